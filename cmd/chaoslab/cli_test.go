package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/testproject"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// writeStack writes a stack file beside a copy of the project's Pulumi.yaml, whose config schema Pulumi
// (and so chaoslab) checks it against.
func writeStack(t *testing.T, body string) string {
	t.Helper()
	return testproject.StackFile(t, "Pulumi.dev.yaml", body)
}

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// encryptedPassword is grafanaAdminPassword as make up stores it: a secure value chaoslab cannot decrypt.
const encryptedPassword = "  chaos-mesh-otel:grafanaAdminPassword:\n    secure: AAABAKp1Y2tlZA==\n"

const validStack = `config:
` + encryptedPassword + `  chaos-mesh-otel:halt: false
  chaos-mesh-otel:scenarios:
    checkout-pod-kill:
      enabled: true
    frontend-catalog-latency:
      enabled: true
      latency: 1500ms
    ad-failure:
      enabled: true
    cart-loss:
      enabled: true
      fault: network-loss
      target: cart
      loss: 20
      duration: 2m
`

func TestValidateOK(t *testing.T) {
	code, out, errOut := runCLI("validate", writeStack(t, validStack))
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"valid for astronomy-shop without Istio; 4 scenario(s) enabled, 4 Chaos Mesh object(s), 0 Istio VirtualService(s)", "checkout-pod-kill", "Schedule", "ad-failure", "Flag",
		"grafanaAdminPassword is encrypted in this file: counted as set"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

func TestValidateErrors(t *testing.T) {
	stack := `config:
` + encryptedPassword + `  chaos-mesh-otel:scenarios:
    bad-latency:
      enabled: true
      fault: network-delay
      target: frontend
      to: billing
      latncy: 1s
      duration: 1m
    ad-http:
      enabled: true
      fault: http-delay
      target: ad
      delay: 1s
      duration: 1m
    nightly:
      enabled: true
      schedule: "@every 24h"
      steps: [checkout-pod-kill, ghost]
`
	path := writeStack(t, stack)
	code, out, errOut := runCLI("validate", path)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if out != "" {
		t.Errorf("nothing on stdout when invalid, got %q", out)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if !strings.HasPrefix(lines[0], path+": invalid stack configuration (6 problem(s))") {
		t.Errorf("the first line names the file and counts the problems: %q", lines[0])
	}
	wantPaths := []string{
		"chaos-mesh-otel:scenarios.ad-http.target:",
		"chaos-mesh-otel:scenarios.bad-latency.latency:",
		"chaos-mesh-otel:scenarios.bad-latency.latncy:",
		"chaos-mesh-otel:scenarios.bad-latency.to:",
		"chaos-mesh-otel:scenarios.nightly.schedule:",
		"chaos-mesh-otel:scenarios.nightly.steps[1]:",
	}
	for i, w := range wantPaths {
		if i+1 >= len(lines) || !strings.HasPrefix(strings.TrimSpace(lines[i+1]), w) {
			t.Errorf("line %d does not start with %q in:\n%s", i+1, w, errOut)
		}
	}
	if len(lines) != len(wantPaths)+1 {
		t.Errorf("want a header and one line per error (%d), got %d:\n%s", len(wantPaths), len(lines), errOut)
	}
}

func TestValidateLLMComponents(t *testing.T) {
	body := "config:\n" + encryptedPassword + "  chaos-mesh-otel:scenarios:\n    agent-kill:\n      enabled: true\n      fault: pod-kill\n      target: agent\n"
	if code, _, errOut := runCLI("validate", writeStack(t, body)); code != 2 || !strings.Contains(errOut, "scenarios.agent-kill.target") {
		t.Errorf("LLM target without llmComponents: exit %d, %s", code, errOut)
	}
	body += "  chaos-mesh-otel:llmComponents: true\n"
	if code, _, errOut := runCLI("validate", writeStack(t, body)); code != 0 {
		t.Errorf("LLM target with llmComponents: exit %d, %s", code, errOut)
	}
}

func TestValidateSLOsFromConfig(t *testing.T) {
	body := `config:
` + encryptedPassword + `  chaos-mesh-otel:slos:
    - name: cart-availability
      service: cart
      kind: availability
      objective: 0.99
  chaos-mesh-otel:scenarios:
    gd:
      enabled: true
      steps: [checkout-pod-kill]
      steadyState: {slo: frontend-proxy-availability}
`
	code, _, errOut := runCLI("validate", writeStack(t, body))
	if code != 2 || !strings.Contains(errOut, `scenarios.gd.steadyState.slo: Unsupported value: "frontend-proxy-availability"`) || !strings.Contains(errOut, "cart-availability") {
		t.Errorf("slo not among the configured SLOs: exit %d\n%s", code, errOut)
	}
	body = strings.Replace(body, "frontend-proxy-availability", "cart-availability", 1)
	if code, _, errOut := runCLI("validate", writeStack(t, body)); code != 0 {
		t.Errorf("configured SLO: exit %d\n%s", code, errOut)
	}
}

func TestValidateBadFiles(t *testing.T) {
	if code, _, errOut := runCLI("validate", filepath.Join(t.TempDir(), "missing.yaml")); code != 1 || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing file: exit %d, want 1: %s", code, errOut)
	}
	if code, _, errOut := runCLI("validate", writeStack(t, "config: [\n")); code != 2 || !strings.Contains(errOut, "not a valid Pulumi stack file") {
		t.Errorf("bad YAML is a refused stack file: exit %d, %s", code, errOut)
	}
	if code, _, errOut := runCLI("validate", writeStack(t, "config:\n"+encryptedPassword+"  chaos-mesh-otel:halt: maybe\n")); code != 2 ||
		!strings.Contains(errOut, `chaos-mesh-otel:halt: Invalid value: "maybe": must be of type boolean`) {
		t.Errorf("bad halt: exit %d, %s", code, errOut)
	}
	// Pulumi gives a key without a namespace the project's.
	if code, out, errOut := runCLI("render", writeStack(t, "config:\n"+encryptedPassword+"  halt: true\n  scenarios: {checkout-pod-kill: {enabled: true}}\n")); code != 0 ||
		!strings.Contains(out, "experiment.chaos-mesh.org/pause: \"true\"") {
		t.Errorf("keys without a namespace: exit %d, %s %s", code, out, errOut)
	}
	// A stack with nothing but the password is valid, and says that nothing is enabled.
	if code, out, errOut := runCLI("validate", writeStack(t, "config:\n"+encryptedPassword)); code != 0 || !strings.Contains(out, "no scenario enabled") {
		t.Errorf("password only: exit %d, %s %s", code, out, errOut)
	}
	// Without a Pulumi.yaml beside it, the lab's own (compiled in) is the schema, and a notice says so.
	lone := filepath.Join(t.TempDir(), "Pulumi.dev.yaml")
	if err := os.WriteFile(lone, []byte("config:\n"+encryptedPassword+"  chaos-mesh-otel:halt: on\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI("validate", lone); code != 2 || !strings.Contains(errOut, "notice: no Pulumi.yaml beside") ||
		!strings.Contains(errOut, `chaos-mesh-otel:halt: Invalid value: "on": must be of type boolean`) {
		t.Errorf("no project file: exit %d, %s", code, errOut)
	}
}

// An empty stack file is what a new user has before make up: it is valid, with a notice that no key is set
// and one that make up generates the password that pulumi preview requires.
func TestValidateEmptyFile(t *testing.T) {
	for _, body := range []string{"", "config:\n", "config:\n  kubernetes:context: minikube\n"} {
		path := writeStack(t, body)
		code, out, errOut := runCLI("validate", path)
		if code != 0 || !strings.Contains(out, "valid for astronomy-shop") {
			t.Errorf("%q: exit %d, stdout %q; want 0", body, code, out)
		}
		for _, want := range []string{"notice: " + path + " sets no chaos-mesh-otel key", "notice: chaos-mesh-otel:grafanaAdminPassword: not set yet: `make up` generates it"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%q: stderr lacks %q:\n%s", body, want, errOut)
			}
		}
	}
}

// The things a new user met: each is an error naming its key.
func TestValidateRefusesWhatPreviewRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ keys, want string }{
		"runtime":          {"  chaos-mesh-otel:chaosRuntime: dockerd\n", `chaos-mesh-otel:chaosRuntime: Unsupported value: "dockerd": supported values: "containerd", "crio", "docker"`},
		"users":            {"  chaos-mesh-otel:loadGeneratorUsers: 500\n", `chaos-mesh-otel:loadGeneratorUsers: Invalid value: "500": expected a whole number from 1 to 200`},
		"slo not deployed": {"  chaos-mesh-otel:slos: [{name: docs, service: telemetry-docs, kind: availability, objective: 0.9}]\n", "chaos-mesh-otel:slos[0].service"},
		"gate-off gameday": {"  chaos-mesh-otel:sloGate: \"off\"\n  chaos-mesh-otel:scenarios: {checkout-gameday: {enabled: true}}\n", `chaos-mesh-otel:scenarios.checkout-gameday.steadyState.slo: Invalid value: "frontend-proxy-availability": no SLO gate`},
		"scenarioz":        {"  chaos-mesh-otel:scenarioz: {}\n", `chaos-mesh-otel:scenarioz: Forbidden: unknown key (did you mean "scenarios"?)`},
		"hlat":             {"  chaos-mesh-otel:hlat: true\n", `chaos-mesh-otel:hlat: Forbidden: unknown key (did you mean "halt"?)`},
		"century":          {"  chaos-mesh-otel:scenarios: {checkout-pod-kill: {enabled: true, duration: 876000h}}\n", "chaos-mesh-otel:scenarios.checkout-pod-kill.duration"},
		"cron */61":        {"  chaos-mesh-otel:scenarios: {checkout-pod-kill: {enabled: true, schedule: \"*/61 * * * *\"}}\n", "chaos-mesh-otel:scenarios.checkout-pod-kill.schedule"},
		"encrypted halt":   {"  chaos-mesh-otel:halt:\n    secure: AAABAKp1Y2tlZA==\n", "chaos-mesh-otel:halt: Forbidden: set to an encrypted"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := runCLI("validate", writeStack(t, "config:\n"+encryptedPassword+tc.keys))
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, want 2 and %q in:\n%s", code, tc.want, errOut)
			}
		})
	}
}

// TestRenderMatchesBuild: render prints exactly the objects Build returns, as multi-document YAML.
func TestRenderMatchesBuild(t *testing.T) {
	path := writeStack(t, validStack)
	code, out, errOut := runCLI("render", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	file, err := stacks.ReadStackFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := stacks.CheckStackFile(file)
	if err != nil {
		t.Fatal(err)
	}
	plan := cfg.Scenarios
	docs := strings.Split(strings.TrimPrefix(out, "---\n"), "\n---\n")
	if len(docs) != len(plan.Objects) {
		t.Fatalf("%d documents, want %d:\n%s", len(docs), len(plan.Objects), out)
	}
	for i, d := range docs {
		var got map[string]any
		if err := yaml.Unmarshal([]byte(d), &got); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		want, _ := yaml.Marshal(plan.Objects[i].Manifest)
		back, _ := yaml.Marshal(got)
		if string(want) != string(back) {
			t.Errorf("document %d differs:\n%s\nwant\n%s", i, back, want)
		}
	}
	for _, want := range []string{"kind: Schedule", "kind: Workflow", "latency: 1500ms", "name: cart-loss", "loss: \"20\""} {
		if !strings.Contains(out, want) {
			t.Errorf("render output lacks %q", want)
		}
	}
	if strings.Contains(out, "adFailure") {
		t.Error("flags are not Chaos Mesh objects and must not be rendered")
	}
}

func TestRenderHalt(t *testing.T) {
	body := strings.Replace(validStack, "chaos-mesh-otel:halt: false", "chaos-mesh-otel:halt: \"true\"", 1)
	code, out, errOut := runCLI("render", writeStack(t, body))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Count(out, "experiment.chaos-mesh.org/pause: \"true\"") != 1 || strings.Count(out, "workflow.chaos-mesh.org/abort: \"true\"") != 3 {
		t.Errorf("halted render must pause the Schedule and abort both Workflows and the Schedule's kick-off:\n%s", out)
	}
}

func TestRenderInvalid(t *testing.T) {
	code, out, errOut := runCLI("render", writeStack(t, "config:\n"+encryptedPassword+"  chaos-mesh-otel:scenarios:\n    x: {enabled: true, fault: nope}\n"))
	if code != 2 || out != "" || !strings.Contains(errOut, "chaos-mesh-otel:scenarios.x.fault") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestScenariosAsJSONString(t *testing.T) {
	// `pulumi config set --path` writes objects, but a JSON string value works too.
	body := "config:\n" + encryptedPassword + "  chaos-mesh-otel:scenarios: '{\"checkout-pod-kill\":{\"enabled\":true}}'\n"
	code, out, errOut := runCLI("render", writeStack(t, body))
	if code != 0 || !strings.Contains(out, "name: checkout-pod-kill") {
		t.Errorf("exit %d, %s %s", code, out, errOut)
	}
}

func TestCommandTree(t *testing.T) {
	code, out, _ := runCLI("help")
	for _, name := range []string{"validate", "render", "plan", "dashboards", "report", "run", "version", "completion"} {
		if code != 0 || !strings.Contains(out, "\n  "+name+" ") {
			t.Errorf("help: exit %d, lacks %s:\n%s", code, name, out)
		}
	}
	if code, _, errOut := runCLI("frobnicate"); code != 1 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, %s", code, errOut)
	}
}
