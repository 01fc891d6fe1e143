package report

import (
	"strings"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/exitcode"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/testproject"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

func TestHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		var out, errb strings.Builder
		if code := Run([]string{arg}, &out, &errb); code != ExitOK || errb.Len() > 0 {
			t.Fatalf("%s: exit %d, stderr %q", arg, code, errb.String())
		}
		for _, want := range []string{"Usage:\n  chaoslab report", "Judges chaos fault windows", "Examples:", "chaoslab report --prometheus http://localhost:9090",
			"scenario: checkout-pod-kill", "target: checkout", exitcode.Help("report"), "--rate-window"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: help lacks %q:\n%s", arg, want, out.String())
			}
		}
	}
	var out, errb strings.Builder
	if code := Run([]string{"--no-such-flag"}, &out, &errb); code != ExitUsage || !strings.Contains(errb.String(), "Run 'chaoslab report --help' for usage.") {
		t.Errorf("bad flag: exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	if code := Run([]string{"--prometheus", "http://x", "--out", t.TempDir(), "report.yaml"}, &out, &errb); code != ExitUsage || !strings.Contains(errb.String(), `expected no arguments (every input is a flag), got 1 (report.yaml)`) {
		t.Errorf("stray argument: exit %d, stderr %q", code, errb.String())
	}
	for _, bad := range []string{"localhost:9090", "prometheus", "ftp://host:9090", "http://"} {
		errb.Reset()
		if code := Run([]string{"--prometheus", bad, "--out", t.TempDir(), "--windows", "w.yaml"}, &out, &errb); code != ExitUsage ||
			!strings.Contains(errb.String(), "expected an absolute http(s) URL") {
			t.Errorf("--prometheus %s: exit %d, stderr %q; want a usage error", bad, code, errb.String())
		}
	}
}

// Without a kubeconfig, report says what to pass instead of client-go's own message.
func TestReportWithoutKubeconfig(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", t.TempDir())
	var out, errb strings.Builder
	code := Run([]string{"--prometheus", "http://127.0.0.1:1", "--out", t.TempDir(), "--kubeconfig", ""}, &out, &errb)
	if code != ExitUsage || !strings.Contains(errb.String(), "no kubeconfig found: pass --kubeconfig PATH (or set KUBECONFIG)") ||
		!strings.Contains(errb.String(), "--windows FILE") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

func TestLoadSLOs(t *testing.T) {
	want := []slo.SLO{
		{Name: "checkout-availability", Service: "checkout", Kind: slo.Availability, Objective: 0.995, Window: 7 * 24 * 3600e9},
		{Name: "checkout-latency", Service: "checkout", Kind: slo.Latency, Objective: 0.9, ThresholdMs: 250, Window: slo.DefaultWindow},
	}
	for name, raw := range map[string]string{
		"YAML list": `
- {name: checkout-availability, service: checkout, kind: availability, objective: 0.995, window: 7d}
- name: checkout-latency
  service: checkout
  kind: latency
  objective: 0.9
  thresholdMs: 250
`,
		"JSON list": `[{"name":"checkout-availability","service":"checkout","kind":"availability","objective":0.995,"window":"7d"},
{"name":"checkout-latency","service":"checkout","kind":"latency","objective":0.9,"thresholdMs":250}]`,
		"stack file, structured": `
config:
  chaos-mesh-otel:grafanaAdminPassword:
    secure: AAABAKp1Y2tlZA==
  chaos-mesh-otel:slos:
    - {name: checkout-availability, service: checkout, kind: availability, objective: 0.995, window: 7d}
    - {name: checkout-latency, service: checkout, kind: latency, objective: 0.9, thresholdMs: 250}
`,
		"stack file, JSON string": `
config:
  chaos-mesh-otel:slos: '[{"name":"checkout-availability","service":"checkout","kind":"availability","objective":0.995,"window":"7d"},{"name":"checkout-latency","service":"checkout","kind":"latency","objective":0.9,"thresholdMs":250}]'
`,
	} {
		got, err := LoadSLOFile(sloFile(t, raw))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
	if got, err := LoadSLOFile(sloFile(t, "config:\n  chaos-mesh-otel:halt: true\n")); err != nil || len(got) != len(slo.Defaults()) {
		t.Errorf("a stack file without slos means the defaults: %v %v", got, err)
	}
	for raw, wantErr := range map[string]string{
		"- {name: a, service: checkout, kind: availability, objective: 1.5}\n":              "slos[0].objective",
		"- {name: a, service: checkout, kind: speed, objective: 0.9}\n":                     "slos[0].kind",
		"- {name: a, service: checkout, kind: latency, objective: 0.9, thresholdMs: 300}\n": "slos[0].thresholdMs",
		"name: a\n":     "Pulumi stack file",
		"- [unclosed\n": "neither YAML nor JSON",
		"- {nmae: a}\n": "unknown field",
	} {
		if _, err := LoadSLOFile(sloFile(t, raw)); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%q: error %v, want %q", raw, err, wantErr)
		}
	}
}

// sloFile writes an SLO file beside the project's Pulumi.yaml (a stack file is read with the project's
// schema): a stack file (one with config:) as Pulumi.dev.yaml, a list as slos.yaml.
func sloFile(t *testing.T, body string) string {
	t.Helper()
	name := "slos.yaml"
	if strings.Contains(body, "config:") {
		name = "Pulumi.dev.yaml"
	}
	return testproject.StackFile(t, name, body)
}
