package main

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/pulumimock"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// previewErrors runs the program as pulumi preview runs it under the Go language host (stacks.Lab, with the
// whole config in PULUMI_CONFIG) and returns the problems of its config error, one per line.
func previewErrors(t *testing.T, values map[string]string) []string {
	t.Helper()
	raw, err := json.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(pulumi.EnvConfig, string(raw))
	// The project's one mock engine: a bad config must stop the program before its first resource.
	engine := pulumimock.New(stacks.ConfigNamespace, "parity")
	err = engine.Run(stacks.Lab)
	var ce *stacks.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("the program did not refuse the config with a ConfigError: %v", err)
	}
	for _, r := range engine.Resources() {
		if r.Type != "pulumi:pulumi:Stack" {
			t.Errorf("the program registered %s before refusing the config", r.Type)
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

// mustName are the keys that a parity case's problems must name, so that agreeing on nothing cannot pass.
var mustName = map[string][]string{
	"app typo":                 {"chaos-mesh-otel:app"},
	"mesh fault without Istio": {"chaos-mesh-otel:scenarios.x.fault", "chaos-mesh-otel:scenarios.x.abort"},
	"mesh faults gone wrong": {"chaos-mesh-otel:scenarios.x.abort", "chaos-mesh-otel:scenarios.x.delay", "chaos-mesh-otel:scenarios.x.delayPercent",
		"chaos-mesh-otel:scenarios.x.from", "chaos-mesh-otel:scenarios.x.schedule", "chaos-mesh-otel:scenarios.z.target", "chaos-mesh-otel:scenarios.g.steps[0]"},
	"shop on the Boutique": {"chaos-mesh-otel:loadGeneratorUsers", "chaos-mesh-otel:scenarios.x.target", "chaos-mesh-otel:scenarios.ad-failure",
		"chaos-mesh-otel:scenarios.shipping-http-faults", "chaos-mesh-otel:scenarios.io.target"},
}

// The CLI and the program judge a stack file the same way, line for line: chaoslab validate reads the file
// with Pulumi's loader and parses it with stacks.ParseConfig, as the program does at preview. The password
// is encrypted, as make up stores it; the program gets it decrypted. (What the Pulumi CLI itself refuses
// before the program runs, a type or a plaintext secret, is compared with the real CLI in e2e.)
func TestValidateAndPreviewAgree(t *testing.T) {
	const password = encryptedPassword
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
		"app typo":                 password + "  chaos-mesh-otel:app: online-botique\n",
		"mesh fault without Istio": password + "  chaos-mesh-otel:app: online-boutique\n  chaos-mesh-otel:scenarios: {x: {enabled: true, fault: mesh-fault, target: adservice, abort: UNAVALABLE}}\n",
		"mesh faults gone wrong": password + "  chaos-mesh-otel:app: online-boutique\n  chaos-mesh-otel:istio: true\n" +
			"  chaos-mesh-otel:scenarios: {x: {enabled: true, fault: mesh-fault, target: frontend, abort: 200, delay: 1.5ms, delayPercent: 101, from: adservice, schedule: '@daily'}," +
			" z: {enabled: true, fault: mesh-fault, target: redis-cart, abortPercent: ten}, g: {enabled: true, steps: [ad-mesh-faults]}}\n",
		"shop on the Boutique": password + "  chaos-mesh-otel:app: online-boutique\n  chaos-mesh-otel:istio: true\n  chaos-mesh-otel:loadGeneratorUsers: 20\n" +
			"  chaos-mesh-otel:scenarios: {x: {enabled: true, fault: pod-kill, target: checkout}, ad-failure: {enabled: true}, shipping-http-faults: {enabled: true}," +
			" io: {enabled: true, fault: io-latency, target: cartservice, delay: 10ms, duration: 1m}}\n",
		"everything at once": password + "  chaos-mesh-otel:chaosRuntime: rkt\n  chaos-mesh-otel:hlat: true\n" +
			"  chaos-mesh-otel:scenarios: {x: {enabled: true, fault: pod-kil, target: chekout}, checkout-gameday: {enabled: true, steps: [ghost]}}\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := writeStack(t, "config:\n"+body)
			file, err := stacks.ReadStackFile(path)
			if err != nil {
				t.Fatal(err)
			}
			cli := validateErrors(t, path)
			values := maps.Clone(file.Values)
			values[passwordKey] = "a-long-password"
			program := previewErrors(t, values)
			if len(program) == 0 {
				t.Fatal("the program found no problem")
			}
			for _, key := range mustName[name] {
				if !slices.ContainsFunc(cli, func(l string) bool { return strings.HasPrefix(l, key+": ") }) {
					t.Errorf("no problem at %s:\n%s", key, strings.Join(cli, "\n"))
				}
			}
			if strings.Join(cli, "\n") != strings.Join(program, "\n") {
				t.Errorf("validate and preview disagree\n--- validate ---\n%s\n--- preview ---\n%s", strings.Join(cli, "\n"), strings.Join(program, "\n"))
			}
		})
	}
}
