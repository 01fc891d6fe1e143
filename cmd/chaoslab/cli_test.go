package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

func writeStack(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "Pulumi.dev.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

const validStack = `config:
  chaos-mesh-otel:halt: false
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
	for _, want := range []string{"valid; 4 scenario(s) enabled, 3 Chaos Mesh object(s)", "checkout-pod-kill", "Schedule", "ad-failure", "Flag"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

func TestValidateErrors(t *testing.T) {
	stack := `config:
  chaos-mesh-otel:scenarios:
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
	code, out, errOut := runCLI("validate", writeStack(t, stack))
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if out != "" {
		t.Errorf("nothing on stdout when invalid, got %q", out)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	wantPaths := []string{
		"scenarios.ad-http.target:",
		"scenarios.bad-latency.latency:",
		"scenarios.bad-latency.latncy:",
		"scenarios.bad-latency.to:",
		"scenarios.nightly.schedule:",
		"scenarios.nightly.steps[1]:",
	}
	for _, w := range wantPaths {
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(l, w)
		}
		if !found {
			t.Errorf("no line starting with %q in:\n%s", w, errOut)
		}
	}
	if len(lines) != len(wantPaths) {
		t.Errorf("want one line per error (%d), got %d:\n%s", len(wantPaths), len(lines), errOut)
	}
}

func TestValidateLLMComponents(t *testing.T) {
	body := "config:\n  chaos-mesh-otel:scenarios:\n    agent-kill:\n      enabled: true\n      fault: pod-kill\n      target: agent\n"
	if code, _, errOut := runCLI("validate", writeStack(t, body)); code != 1 || !strings.Contains(errOut, "scenarios.agent-kill.target") {
		t.Errorf("LLM target without llmComponents: exit %d, %s", code, errOut)
	}
	body += "  chaos-mesh-otel:llmComponents: true\n"
	if code, _, errOut := runCLI("validate", writeStack(t, body)); code != 0 {
		t.Errorf("LLM target with llmComponents: exit %d, %s", code, errOut)
	}
}

func TestValidateSLOsFromConfig(t *testing.T) {
	body := `config:
  chaos-mesh-otel:slos:
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
	if code != 1 || !strings.Contains(errOut, "scenarios.gd.steadyState.slo: unknown SLO") || !strings.Contains(errOut, "cart-availability") {
		t.Errorf("slo not among the configured SLOs: exit %d\n%s", code, errOut)
	}
	body = strings.Replace(body, "frontend-proxy-availability", "cart-availability", 1)
	if code, _, errOut := runCLI("validate", writeStack(t, body)); code != 0 {
		t.Errorf("configured SLO: exit %d\n%s", code, errOut)
	}
}

func TestValidateBadFiles(t *testing.T) {
	if code, _, _ := runCLI("validate", filepath.Join(t.TempDir(), "missing.yaml")); code != 1 {
		t.Errorf("missing file: exit %d, want 1", code)
	}
	if code, _, errOut := runCLI("validate", writeStack(t, "config: [\n")); code != 1 || !strings.Contains(errOut, "YAML") {
		t.Errorf("bad YAML: exit %d, %s", code, errOut)
	}
	if code, _, errOut := runCLI("validate", writeStack(t, "config:\n  chaos-mesh-otel:halt: maybe\n")); code != 1 || !strings.Contains(errOut, "halt: expected true or false") {
		t.Errorf("bad halt: exit %d, %s", code, errOut)
	}
	if code, _, _ := runCLI("validate"); code != 2 {
		t.Errorf("no file: exit %d, want 2", code)
	}
	// A stack without scenarios is valid: nothing enabled.
	if code, out, _ := runCLI("validate", writeStack(t, "config:\n  chaos-mesh-otel:halt: false\n")); code != 0 || !strings.Contains(out, "0 scenario(s)") {
		t.Errorf("empty stack: exit %d, %s", code, out)
	}
}

// TestRenderMatchesBuild: render prints exactly the objects Build returns, as multi-document YAML.
func TestRenderMatchesBuild(t *testing.T) {
	path := writeStack(t, validStack)
	code, out, errOut := runCLI("render", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	cfg, err := loadStackConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := scenarios.Build(cfg.Scenarios, cfg.Options)
	if err != nil {
		t.Fatal(err)
	}
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
	if strings.Count(out, "experiment.chaos-mesh.org/pause: \"true\"") != 1 || strings.Count(out, "workflow.chaos-mesh.org/abort: \"true\"") != 2 {
		t.Errorf("halted render must pause the Schedule and abort both Workflows:\n%s", out)
	}
}

func TestRenderInvalid(t *testing.T) {
	code, out, errOut := runCLI("render", writeStack(t, "config:\n  chaos-mesh-otel:scenarios:\n    x: {enabled: true, fault: nope}\n"))
	if code != 1 || out != "" || !strings.Contains(errOut, "scenarios.x.fault") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestScenariosAsJSONString(t *testing.T) {
	// `pulumi config set --path` writes objects, but a JSON string value works too.
	body := "config:\n  chaos-mesh-otel:scenarios: '{\"checkout-pod-kill\":{\"enabled\":true}}'\n"
	code, out, errOut := runCLI("render", writeStack(t, body))
	if code != 0 || !strings.Contains(out, "name: checkout-pod-kill") {
		t.Errorf("exit %d, %s %s", code, out, errOut)
	}
}

func TestRegistry(t *testing.T) {
	for _, name := range []string{"validate", "render"} {
		if _, ok := commands[name]; !ok {
			t.Errorf("subcommand %s not registered", name)
		}
	}
	code, out, _ := runCLI("help")
	if code != 0 || !strings.Contains(out, "validate") || !strings.Contains(out, "render") {
		t.Errorf("help: exit %d\n%s", code, out)
	}
	if code, _, errOut := runCLI("frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: exit %d, %s", code, errOut)
	}
	if code, _, _ := runCLI(); code != 2 {
		t.Errorf("no command: exit %d, want 2", code)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a name twice must panic")
		}
	}()
	register("validate", "dup", runValidate)
}
