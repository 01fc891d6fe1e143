package stacks

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

var releaseCharts = map[string]components.Chart{
	"chaos-mesh":     components.ChaosMeshChart,
	"otel-demo":      components.OtelDemoChart,
	"otel-collector": components.CollectorChart,
	"prometheus":     components.PrometheusChart,
	"jaeger":         components.JaegerChart,
	"grafana":        components.GrafanaChart,
}

func TestChartsArePinnedFromTheLocalDirectory(t *testing.T) {
	cfg := testConfig(t, nil)
	rec, _ := runLab(t, cfg)
	releases := rec.ofType("kubernetes:helm.sh/v3:Release")
	if got, want := releaseNames(releases), slices.Sorted(maps.Keys(releaseCharts)); !slices.Equal(got, want) {
		t.Fatalf("releases %v, want %v", got, want)
	}
	pinned := map[string]string{
		"chaos-mesh": "2.8.3", "otel-demo": "0.41.0", "otel-collector": "0.165.0",
		"prometheus": "29.18.0", "jaeger": "4.11.1", "grafana": "12.7.2",
	}
	for _, r := range releases {
		name := kubeName(r)
		chart := releaseCharts[name]
		got := r.Inputs["chart"].StringValue()
		dir := filepath.Dir(got)
		if dir != cfg.Charts.LocalDir && dir != cfg.Charts.CacheDir {
			t.Errorf("release %s: chart %q is neither in chartsDir nor in the repack cache", name, got)
		}
		if !strings.HasPrefix(filepath.Base(got), chart.Name+"-"+pinned[name]) || !strings.HasSuffix(got, ".tgz") {
			t.Errorf("release %s: chart %q, want the %s-%s archive", name, got, chart.Name, pinned[name])
		}
		if _, err := os.Stat(got); err != nil {
			t.Errorf("release %s: %v", name, err)
		}
		if _, hasRepo := r.Inputs["repositoryOpts"]; hasRepo {
			t.Errorf("release %s: a local chart must not name a repository", name)
		}
	}
	// A second run gives the same inputs: the repacked archive's path is stable, so a repeat up is a no-op.
	again, _ := runLab(t, cfg)
	for _, r := range releases {
		other, ok := again.named("kubernetes:helm.sh/v3:Release", kubeName(r))
		if !ok || !r.Inputs.DeepEquals(other.Inputs) {
			t.Errorf("release %s: inputs differ between two runs of the same config", kubeName(r))
		}
	}
}

// releaseNames are the Helm release names of the recorded releases, sorted.
func releaseNames(releases []recorded) []string {
	var names []string
	for _, r := range releases {
		names = append(names, kubeName(r))
	}
	slices.Sort(names)
	return names
}

func TestChartsArePinnedFromTheirRepositories(t *testing.T) {
	cfg := testConfig(t, map[string]string{KeyChartsDir: ""})
	// Chaos Mesh is pulled once into the cache and installed from a copy that owns its CRDs; seed the cache
	// so that the test stays offline.
	cfg.Charts.CacheDir = t.TempDir()
	seed := filepath.Join(cfg.Charts.CacheDir, "pulled", "chaos-mesh-2.8.3.tgz")
	raw, err := os.ReadFile(filepath.Join(sharedCharts(t), "chaos-mesh-2.8.3.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(seed), 0o755)
	if err := os.WriteFile(seed, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	rec, _ := runLab(t, cfg)
	releases := rec.ofType("kubernetes:helm.sh/v3:Release")
	if got, want := releaseNames(releases), slices.Sorted(maps.Keys(releaseCharts)); !slices.Equal(got, want) {
		t.Fatalf("releases %v, want %v", got, want)
	}
	for _, r := range releases {
		name := kubeName(r)
		chart := releaseCharts[name]
		if chart.OwnsCRDs {
			got := r.Inputs["chart"].StringValue()
			if filepath.Dir(got) != cfg.Charts.CacheDir || !strings.HasPrefix(filepath.Base(got), chart.Name+"-"+chart.Version+"-crds-owned-") {
				t.Errorf("release %s: chart %q, want the pulled archive's CRD-owning copy in the cache", name, got)
			}
			continue
		}
		if got := r.Inputs["chart"].StringValue(); got != chart.Name {
			t.Errorf("release %s: chart %q, want %q", name, got, chart.Name)
		}
		if got := r.Inputs["version"].StringValue(); got != chart.Version {
			t.Errorf("release %s: version %q, want %q", name, got, chart.Version)
		}
		repo := r.Inputs["repositoryOpts"].ObjectValue()["repo"].StringValue()
		if !strings.HasPrefix(repo, "https://") || repo != chart.Repo {
			t.Errorf("release %s: repo %q, want %q", name, repo, chart.Repo)
		}
	}
}

func TestDemoBundledBackendsStayDisabled(t *testing.T) {
	rec, _ := runLab(t, testConfig(t, nil))
	demo := values(t, rec, "otel-demo")
	for _, sub := range []string{"opentelemetry-collector", "jaeger", "prometheus", "grafana", "opensearch", "otel-ebpf-profiler"} {
		if enabled := dig(t, demo, sub+".enabled"); enabled != false {
			t.Errorf("demo subchart %s: enabled=%v, want false", sub, enabled)
		}
	}
	for _, llm := range llmServices() {
		if enabled := dig(t, demo, "components."+llm+".enabled"); enabled != false {
			t.Errorf("LLM component %s must be off by default, got enabled=%v", llm, enabled)
		}
	}
	// The shop exports to the lab's collector, not the demo's own.
	env := dig(t, demo, "default.envOverrides").([]any)
	found := false
	for _, e := range env {
		kv := e.(map[string]any)
		if kv["name"] == "OTEL_COLLECTOR_NAME" {
			found = kv["value"] == "otel-collector.observability.svc"
		}
	}
	if !found {
		t.Errorf("OTEL_COLLECTOR_NAME must point at otel-collector.observability.svc, env: %v", env)
	}
}

func TestLLMComponentsFollowConfig(t *testing.T) {
	rec, _ := runLab(t, testConfig(t, map[string]string{KeyLLMComponents: "true"}))
	demo := values(t, rec, "otel-demo")
	for _, llm := range llmServices() {
		if enabled := dig(t, demo, "components."+llm+".enabled"); enabled != true {
			t.Errorf("%s: enabled=%v with llmComponents=true", llm, enabled)
		}
	}
}

func TestLoadGeneratorUsersComeFromConfig(t *testing.T) {
	rec, _ := runLab(t, testConfig(t, map[string]string{KeyLoadGeneratorUsers: "17"}))
	env := dig(t, values(t, rec, "otel-demo"), "components.load-generator.envOverrides").([]any)
	got := map[string]any{}
	for _, e := range env {
		kv := e.(map[string]any)
		got[kv["name"].(string)] = kv["value"]
	}
	if got["LOAD_GENERATOR_VUS"] != "17" || got["K6_BROWSER_ENABLED"] != "false" {
		t.Fatalf("load generator env = %v", got)
	}
}

func TestChaosMeshIsSecureAndFiltered(t *testing.T) {
	rec, _ := runLab(t, testConfig(t, map[string]string{KeyChaosRuntime: "docker"}))
	v := values(t, rec, "chaos-mesh")
	if dig(t, v, "dashboard.securityMode") != true {
		t.Error("the Chaos Dashboard's security mode must stay on")
	}
	if dig(t, v, "controllerManager.enableFilterNamespace") != true {
		t.Error("the namespace filter must be on")
	}
	if n := dig(t, v, "controllerManager.replicaCount"); n != float64(1) {
		t.Errorf("controller replicas = %v, want 1", n)
	}
	if dig(t, v, "chaosDaemon.runtime") != "docker" || dig(t, v, "chaosDaemon.socketPath") != "/var/run/docker.sock" {
		t.Errorf("runtime/socket = %v %v", dig(t, v, "chaosDaemon.runtime"), dig(t, v, "chaosDaemon.socketPath"))
	}
	// Only the shop's namespace carries the annotation that the filter looks for.
	for _, ns := range rec.ofType("kubernetes:core/v1:Namespace") {
		meta := ns.Inputs["metadata"].Mappable().(map[string]any)
		annotations, _ := meta["annotations"].(map[string]any)
		injected := annotations[components.ChaosInjectAnnotation] == "enabled"
		if injected != (meta["name"] == apps.AstronomyShop.Namespace) {
			t.Errorf("namespace %v: chaos-mesh.org/inject=%v", meta["name"], annotations[components.ChaosInjectAnnotation])
		}
	}
}

// The kill switch's first layer: while halted, the app's namespace is closed to Chaos Mesh's namespace filter,
// so nothing can select a pod of it, whatever Chaos Mesh starts; un-halted, it is open again.
func TestHaltClosesTheAppNamespaceToChaos(t *testing.T) {
	for _, halt := range []bool{true, false} {
		rec, _ := runLab(t, testConfig(t, map[string]string{KeyHalt: strconv.FormatBool(halt),
			KeyScenarios: `{"checkout-pod-kill":{"enabled":true},"checkout-gameday":{"enabled":true}}`}))
		found := false
		for _, ns := range rec.ofType("kubernetes:core/v1:Namespace") {
			meta := ns.Inputs["metadata"].Mappable().(map[string]any)
			if meta["name"] != apps.AstronomyShop.Namespace {
				continue
			}
			found = true
			annotations, _ := meta["annotations"].(map[string]any)
			want, wantHalted := components.ChaosInjectEnabled, any(nil)
			if halt {
				want, wantHalted = components.ChaosInjectDisabled, "true"
			}
			if annotations[components.ChaosInjectAnnotation] != want || annotations[scenarios.HaltedAnnotation] != wantHalted {
				t.Errorf("halt %v: the app's namespace has %v", halt, annotations)
			}
		}
		if !found {
			t.Fatalf("halt %v: no app namespace declared", halt)
		}
	}
}

func TestChaosOperatorIsScopedToTheShop(t *testing.T) {
	rec, _ := runLab(t, testConfig(t, nil))
	roles := rec.ofType("kubernetes:rbac.authorization.k8s.io/v1:Role")
	if len(roles) != 1 {
		t.Fatalf("want one Role, got %d", len(roles))
	}
	meta := roles[0].Inputs["metadata"].Mappable().(map[string]any)
	if meta["namespace"] != apps.AstronomyShop.Namespace {
		t.Errorf("Role namespace %v, want %s", meta["namespace"], apps.AstronomyShop.Namespace)
	}
	if len(rec.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")) != 0 {
		t.Error("the dashboard operator must not get cluster-wide rights")
	}
}

func TestSecretsStaySecret(t *testing.T) {
	rec, exports := runLab(t, testConfig(t, nil))
	admin, ok := rec.named("kubernetes:core/v1:Secret", "grafana-admin")
	if !ok {
		t.Fatal("no Grafana admin Secret")
	}
	stringData := admin.Inputs["stringData"]
	if !stringData.IsSecret() && !stringData.ObjectValue()["admin-password"].IsSecret() {
		t.Errorf("the Grafana admin password must be a secret input, got %v", stringData)
	}
	// The password never appears in any Release's values.
	for _, r := range rec.ofType("kubernetes:helm.sh/v3:Release") {
		if strings.Contains(r.Inputs["values"].String(), "s3cret-enough") {
			t.Errorf("release %s carries the admin password in its values", r.Name)
		}
	}
	token, ok := exports["chaosDashboardToken"]
	if !ok {
		t.Fatal("no chaosDashboardToken output")
	}
	if !token.Secret || token.Value != "mock-token" {
		t.Errorf("chaosDashboardToken = %v (secret=%v), want the decoded token as a secret", token.Value, token.Secret)
	}
}

func TestEveryResourceIsParentedToAComponent(t *testing.T) {
	rec, _ := runLab(t, testConfig(t, map[string]string{
		KeyScenarios: `{"checkout-pod-kill":{"enabled":true},"frontend-catalog-latency":{"enabled":true}}`,
	}))
	components := 0
	for _, r := range rec.Resources() {
		if strings.HasPrefix(r.Type, "chaos-mesh-otel:") {
			components++
			if r.Parent != "" && !strings.HasSuffix(urnType(r.Parent), "Stack") {
				t.Errorf("component %s should sit at the top of the stack, parent %s", r.Name, r.Parent)
			}
			continue
		}
		if strings.HasPrefix(r.Type, "pulumi:providers:") {
			continue
		}
		if !strings.HasPrefix(urnType(r.Parent), "chaos-mesh-otel:") {
			t.Errorf("%s %s is not parented to a component (parent %q)", r.Type, r.Name, r.Parent)
		}
	}
	if components < 8 {
		t.Errorf("want a component per part (at least 8), got %d", components)
	}
}

func TestEveryResourceUsesTheExplicitProvider(t *testing.T) {
	cfg := testConfig(t, map[string]string{KeyKubeconfig: "/tmp/kubeconfig", KeyContext: "kind-lab"})
	rec, _ := runLab(t, cfg)
	providers := rec.ofType("pulumi:providers:kubernetes")
	if len(providers) != 1 {
		t.Fatalf("want one kubernetes provider, got %d", len(providers))
	}
	p := providers[0].Inputs
	if p["kubeconfig"].StringValue() != "/tmp/kubeconfig" || p["context"].StringValue() != "kind-lab" {
		t.Errorf("provider inputs = %v", p)
	}
	// A flip changes the dashboards' and flags' ConfigMaps: they must be updated, not replaced.
	if v, ok := p["enableConfigMapMutable"]; !ok || !(v.IsBool() && v.BoolValue() || v.IsString() && v.StringValue() == "true") {
		t.Errorf("enableConfigMapMutable = %v, want true", p["enableConfigMapMutable"])
	}
}

// Every part of the lab waits on every namespace and its LimitRange (which must exist before the first pod),
// on every combination of app and Istio: through components.After, not a dependency on the Namespaces
// component, which the Go SDK may lose (pulumi/pulumi#7833), and passed on to each component's children.
func TestEveryPartWaitsOnTheNamespaces(t *testing.T) {
	for _, c := range allCombinations() {
		t.Run(c.String(), func(t *testing.T) {
			rec, _ := runLab(t, c.config(t, true))
			var namespaced []string
			for _, r := range rec.Resources() {
				if r.Type == "kubernetes:core/v1:Namespace" || r.Type == "kubernetes:core/v1:LimitRange" {
					namespaced = append(namespaced, r.URN)
				}
			}
			if want := 2 * len(components.LabNamespaces(c.app.Namespace, c.istio)); len(namespaced) != want {
				t.Fatalf("%d namespaces and LimitRanges, want %d", len(namespaced), want)
			}
			parts := 0
			for _, r := range rec.Resources() {
				if !r.Custom || strings.HasPrefix(r.Type, "pulumi:providers:") || slices.Contains(namespaced, r.URN) {
					continue
				}
				parts++
				for _, ns := range namespaced {
					if !slices.Contains(r.Deps, ns) {
						t.Errorf("%s %s does not wait on %s", r.Type, r.Name, ns)
					}
				}
			}
			if parts < 10 {
				t.Errorf("only %d parts checked", parts)
			}
		})
	}
}

func TestChaosObjectsDependOnChaosMesh(t *testing.T) {
	rec, _ := runLab(t, testConfig(t, map[string]string{KeyScenarios: `{"checkout-pod-kill":{"enabled":true}}`}))
	objects := 0
	for _, r := range rec.Resources() {
		if !strings.HasPrefix(r.Type, "kubernetes:chaos-mesh.org/") {
			continue
		}
		objects++
		// components.After(chaosMesh) names the Chaos Mesh release itself.
		if !slices.ContainsFunc(r.Deps, func(d string) bool {
			return strings.HasSuffix(d, "chaos-mesh-otel:chaos:ChaosMesh$kubernetes:helm.sh/v3:Release::chaos-mesh")
		}) {
			t.Errorf("%s %s does not depend on the ChaosMesh component (deps %v)", r.Type, r.Name, r.Deps)
		}
	}
	// The Schedule and its kick-off Workflow.
	if objects != 2 {
		t.Fatalf("want exactly two chaos objects (the Schedule and its kick-off), got %d", objects)
	}
}

func TestChaosMeshReleaseOwnsItsCRDs(t *testing.T) {
	rec, _ := runLab(t, testConfig(t, nil))
	if groups := rec.ofType("kubernetes:yaml/v2:ConfigGroup"); len(groups) != 0 {
		t.Errorf("the CRDs belong to the chaos-mesh release, not to %d separate resources", len(groups))
	}
	for _, r := range rec.ofType("kubernetes:helm.sh/v3:Release") {
		// helm's crds/ step installs once and never deletes; no release may use it.
		if !r.Inputs["skipCrds"].BoolValue() {
			t.Errorf("release %s must skip its chart's crds/", r.Name)
		}
		chart := r.Inputs["chart"].StringValue()
		if owned := strings.Contains(filepath.Base(chart), "-crds-owned-"); owned != releaseCharts[kubeName(r)].OwnsCRDs {
			t.Errorf("release %s: chart %s, want a CRD-owning archive exactly when the chart has CRDs", r.Name, chart)
		}
	}
}

// llmServices are the shop's services of the optional LLM group.
func llmServices() []string {
	var out []string
	for _, svc := range apps.AstronomyShop.Services {
		if svc.Group == apps.LLM {
			out = append(out, svc.Name)
		}
	}
	return out
}
