package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/wiring"
)

func chartsDir(t *testing.T) string {
	t.Helper()
	wd, _ := os.Getwd()
	dir := components.OfflineChartsDir(wd)
	if _, err := os.Stat(filepath.Join(dir, "opentelemetry-demo-0.41.0.tgz")); err != nil {
		t.Skipf("chart archives not found in %q (set CHARTS_DIR): %v", dir, err)
	}
	return dir
}

// allPresetsStack enables every preset of the default stack: the Astronomy Shop without Istio.
func allPresetsStack() string {
	var b strings.Builder
	b.WriteString("config:\n  chaos-mesh-otel:grafanaAdminPassword:\n    secure: AAABAKp1Y2tlZA==\n  chaos-mesh-otel:scenarios:\n")
	shop := scenarios.Options{Deployment: apps.AstronomyShop.Deploy(), Gate: scenarios.Gate{URL: "http://gate", SLOs: slo.Names(slo.Defaults())}}
	for _, n := range scenarios.ApplicablePresets(shop) {
		b.WriteString("    " + n + ":\n      enabled: true\n")
	}
	return b.String()
}

var (
	planOnce sync.Once
	planCode int
	planOut  string
	planErr  string
)

func TestPlanAllPresets(t *testing.T) {
	dir := chartsDir(t)
	planOnce.Do(func() {
		planCode, planOut, planErr = runCLI("plan", "--charts-dir", dir, writeStack(t, allPresetsStack()))
	})
	if planCode != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%s", planCode, planOut, planErr)
	}
	for _, want := range []string{
		"SCENARIO", "PODS HIT",
		"checkout-pod-kill", "PodChaos/pod-kill", "Deployment otel-demo/checkout ×1",
		"frontend-catalog-latency", "Deployment otel-demo/product-catalog ×1", // network target
		"flag:adFailure",
		"wiring: no findings",
	} {
		if !strings.Contains(planOut, want) {
			t.Errorf("output lacks %q:\n%s", want, planOut)
		}
	}
}

func TestPlanFindingsExit2(t *testing.T) {
	dir := chartsDir(t)
	saved := renderLab
	defer func() { renderLab = saved }()
	renderLab = func(ctx context.Context, config map[string]string, charts string) (*wiring.Objects, error) {
		objs, err := saved(ctx, config, charts)
		if err != nil {
			return nil, err
		}
		// Break the label that the checkout scenario selects on.
		u := objs.Get("Deployment", "otel-demo", "checkout")
		_ = unstructured.SetNestedField(u.Object, "renamed", "spec", "template", "metadata", "labels", "app.kubernetes.io/component")
		return objs, nil
	}
	code, out, errOut := runCLI("plan", "--charts-dir", dir, writeStack(t, "config:\n"+encryptedPassword+"  chaos-mesh-otel:scenarios:\n    checkout-pod-kill:\n      enabled: true\n"))
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "[scenarios] Schedule otel-demo/checkout-pod-kill: spec.podChaos.selector") || !strings.Contains(out, "(none)") {
		t.Errorf("the finding or the empty blast radius is missing:\n%s", out)
	}
}

func TestPlanUsage(t *testing.T) {
	if code, _, errOut := runCLI("plan"); code != 1 || !strings.Contains(errOut, "Run 'chaoslab plan --help' for usage.") {
		t.Errorf("no file: exit %d, %s", code, errOut)
	}
	if code, _, _ := runCLI("plan", "a.yaml", "b.yaml"); code != 1 {
		t.Errorf("two files: exit %d, want 1", code)
	}
	if code, _, _ := runCLI("plan", "--nope", "a.yaml"); code != 1 {
		t.Errorf("unknown flag: exit %d, want 1", code)
	}
	if code, _, _ := runCLI("plan", "--kubeconfig", "k", "a.yaml"); code != 1 {
		t.Errorf("a cluster and a file: exit %d, want 1", code)
	}
	if code, _, errOut := runCLI("plan", filepath.Join(t.TempDir(), "missing.yaml")); code != 1 || !strings.Contains(errOut, "missing.yaml") {
		t.Errorf("missing file: exit %d, %s", code, errOut)
	}
}

// Without the chart archives, plan lists those it lacks at their pinned versions and how to fetch them.
func TestPlanWithoutCharts(t *testing.T) {
	stack := writeStack(t, "config:\n"+encryptedPassword)
	code, out, errOut := runCLI("plan", "--charts-dir", t.TempDir(), stack)
	if code != 1 || out != "" {
		t.Errorf("exit %d, stdout %q; want 1", code, out)
	}
	for _, c := range components.AllCharts {
		if !strings.Contains(errOut, c.Name+"-"+c.Version+".tgz") || !strings.Contains(errOut, c.PullCommand("")[:len("helm pull ")]) {
			t.Errorf("stderr lacks %s %s:\n%s", c.Name, c.Version, errOut)
		}
	}
	for _, want := range []string{"lacks 9 of the 9 pinned chart archives",
		"helm pull chaos-mesh --repo https://charts.chaos-mesh.org --version 2.8.3 -d ",
		"helm pull oci://us-docker.pkg.dev/online-boutique-ci/charts/onlineboutique --version 0.10.6 -d "} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if code, _, errOut := runCLI("plan", "--charts-dir", "", stack); code != 1 || !strings.Contains(errOut, "no charts directory: plan renders every chart") {
		t.Errorf("no charts dir: exit %d, %s", code, errOut)
	}
}

func TestPlanInvalidConfig(t *testing.T) {
	dir := chartsDir(t)
	stack := writeStack(t, "config:\n"+encryptedPassword+"  chaos-mesh-otel:scenarios:\n    x:\n      enabled: true\n      fault: pod-kil\n      target: checkout\n")
	code, out, errOut := runCLI("plan", "--charts-dir", dir, stack)
	if code != 2 || !strings.Contains(errOut, "chaos-mesh-otel:scenarios.x") || out != "" {
		t.Errorf("invalid config: exit %d\n%s\n%s", code, out, errOut)
	}
}

// A halted stack still shows what each scenario would hit, and says on each row that it strikes nothing.
func TestPlanMarksHaltedScenarios(t *testing.T) {
	dir := chartsDir(t)
	body := "config:\n" + encryptedPassword + "  chaos-mesh-otel:halt: true\n  chaos-mesh-otel:scenarios:\n    checkout-pod-kill: {enabled: true}\n    frontend-catalog-latency: {enabled: true}\n"
	code, out, errOut := runCLI("plan", "--charts-dir", dir, writeStack(t, body))
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"halt is on", "checkout-pod-kill (halted: paused)", "frontend-catalog-latency (halted: aborted)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
