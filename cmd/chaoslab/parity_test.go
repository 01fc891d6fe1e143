package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// noEngine stands in for the Pulumi engine: a bad config must stop the program before its first resource.
type noEngine struct{ registered []string }

func (n *noEngine) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	n.registered = append(n.registered, args.TypeToken)
	return args.Name + "-id", args.Inputs, nil
}

func (n *noEngine) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

// previewErrors runs the program as pulumi preview runs it under the Go language host (stacks.Lab, with the
// whole config in PULUMI_CONFIG) and returns the problems of its config error, one per line.
func previewErrors(t *testing.T, values map[string]string) []string {
	t.Helper()
	raw, err := json.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(pulumi.EnvConfig, string(raw))
	engine := &noEngine{}
	err = pulumi.RunErr(stacks.Lab, pulumi.WithMocks(stacks.ConfigNamespace, "parity", engine))
	var ce *stacks.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("the program did not refuse the config with a ConfigError: %v", err)
	}
	for _, typ := range engine.registered {
		if typ != "pulumi:pulumi:Stack" {
			t.Errorf("the program registered %s before refusing the config", typ)
		}
	}
	return ce.Lines()
}

// validateErrors runs chaoslab validate on the stack file and returns its problem lines.
func validateErrors(t *testing.T, path string) []string {
	t.Helper()
	code, out, errOut := runCLI("validate", path)
	if code != 2 || out != "" {
		t.Fatalf("validate: exit %d, stdout %q; want 2 and nothing on stdout", code, out)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(errOut, "\n"), "\n") {
		if p, ok := strings.CutPrefix(l, "  "); ok {
			lines = append(lines, p)
		}
	}
	return lines
}

// The CLI and the program judge a stack file the same way, line for line: chaoslab validate reads the file
// with stacks.ReadStackFile and parses it with stacks.ParseConfig, as the program does at preview.
func TestValidateAndPreviewAgree(t *testing.T) {
	const password = "  chaos-mesh-otel:grafanaAdminPassword: a-long-password\n"
	for name, body := range map[string]string{
		"runtime dockerd":          password + "  chaos-mesh-otel:chaosRuntime: dockerd\n",
		"500 users":                password + "  chaos-mesh-otel:loadGeneratorUsers: 500\n",
		"slo on a dropped service": password + "  chaos-mesh-otel:slos: [{name: docs, service: telemetry-docs, kind: availability, objective: 0.9}]\n",
		"slo on an LLM service":    password + "  chaos-mesh-otel:slos: [{name: bot, service: chatbot, kind: availability, objective: 0.9}]\n",
		"gate-off game day":        password + "  chaos-mesh-otel:sloGate: \"off\"\n  chaos-mesh-otel:scenarios: {checkout-gameday: {enabled: true}}\n",
		"unknown keys":             password + "  chaos-mesh-otel:scenarioz: {x: {enabled: true}}\n  chaos-mesh-otel:hlat: true\n  kubernetes:context: minikube\n",
		"a century of latency":     password + "  chaos-mesh-otel:scenarios: {frontend-catalog-latency: {enabled: true, duration: 876000h}}\n",
		"cron */61":                password + "  chaos-mesh-otel:scenarios: {checkout-pod-kill: {enabled: true, schedule: \"*/61 * * * *\"}}\n",
		"target not deployed":      password + "  chaos-mesh-otel:scenarios: {docs-kill: {enabled: true, fault: pod-kill, target: telemetry-docs}}\n",
		"bad gate URL":             password + "  chaos-mesh-otel:sloGateURL: slo-gate:8080\n",
		"no password":              "  chaos-mesh-otel:halt: true\n",
		"short password":           "  chaos-mesh-otel:grafanaAdminPassword: short\n",
		"everything at once": "  chaos-mesh-otel:chaosRuntime: rkt\n  chaos-mesh-otel:halt: maybe\n  chaos-mesh-otel:hlat: true\n" +
			"  chaos-mesh-otel:scenarios: {x: {enabled: true, fault: pod-kil, target: chekout}, checkout-gameday: {enabled: true, steps: [ghost]}}\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := writeStack(t, "config:\n"+body)
			file, err := stacks.ReadStackFile(path)
			if err != nil {
				t.Fatal(err)
			}
			cli := validateErrors(t, path)
			program := previewErrors(t, file.Values)
			if len(program) == 0 {
				t.Fatal("the program found no problem")
			}
			if strings.Join(cli, "\n") != strings.Join(program, "\n") {
				t.Errorf("validate and preview disagree\n--- validate ---\n%s\n--- preview ---\n%s", strings.Join(cli, "\n"), strings.Join(program, "\n"))
			}
		})
	}
}
