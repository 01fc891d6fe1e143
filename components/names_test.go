package components

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/pulumimock"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

// declareAll declares every component of the lab once, each named with the prefix before its usual name.
func declareAll(ctx *pulumi.Context, prefix string, charts ChartSource) error {
	ns := pulumi.String(ObservabilityNamespace)
	shop := apps.AstronomyShop.Namespace
	if _, err := NewNamespaces(ctx, prefix+NamespacesName, &NamespacesArgs{AppNamespace: shop}); err != nil {
		return err
	}
	if _, err := NewChaosMesh(ctx, prefix+ChaosMeshName, &ChaosMeshArgs{Charts: charts, Namespace: pulumi.String(ChaosNamespace),
		TargetNamespace: pulumi.String(shop), Runtime: "containerd", SocketPath: "/run/containerd/containerd.sock"}); err != nil {
		return err
	}
	if _, err := NewOtelDemo(ctx, prefix+OtelDemoName, &OtelDemoArgs{Charts: charts, Namespace: pulumi.String(shop),
		CollectorHost: CollectorService, LoadGeneratorUsers: 1}); err != nil {
		return err
	}
	if _, err := NewSLOGate(ctx, prefix+"slo-gate", &SLOGateArgs{Namespace: ns, Image: "slo-gate:test", Build: true, DockerHost: "tcp://docker:2376"}); err != nil {
		return err
	}
	chaosObject := scenarios.Object{Name: "kill", Kind: "Schedule", Manifest: map[string]any{
		"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "Schedule",
		"metadata": map[string]any{"name": "kill", "namespace": shop}, "spec": map[string]any{"schedule": "@every 1m"}}}
	if _, err := NewChaosScenarios(ctx, prefix+"scenarios", &ChaosScenariosArgs{Objects: []scenarios.Object{chaosObject}}); err != nil {
		return err
	}
	if _, err := NewJaeger(ctx, prefix+"jaeger", &JaegerArgs{Charts: charts, Namespace: ns}); err != nil {
		return err
	}
	if _, err := NewCollector(ctx, prefix+CollectorName, &CollectorArgs{Charts: charts, Namespace: ns}); err != nil {
		return err
	}
	if _, err := NewPrometheus(ctx, prefix+"prometheus", &PrometheusArgs{Charts: charts, Namespace: ns}); err != nil {
		return err
	}
	_, err := NewGrafana(ctx, prefix+GrafanaName, &GrafanaArgs{Charts: charts, Namespace: ns, AdminPassword: pulumi.String("pw"),
		Dashboards: map[string]string{"a.json": "{}"}})
	return err
}

// Every component can be declared twice: its children are named after it, so no two resources share a URN,
// while the names that Kubernetes sees stay those that the rest of the lab addresses.
func TestEveryComponentCanBeDeclaredTwice(t *testing.T) {
	charts := ChartSource{LocalDir: sharedCharts(t), CacheDir: t.TempDir()}
	m := pulumimock.New("chaos-mesh-otel", "test")
	if err := m.Run(func(ctx *pulumi.Context) error {
		if err := declareAll(ctx, "", charts); err != nil {
			return err
		}
		return declareAll(ctx, "second-", charts)
	}); err != nil {
		t.Fatal(err)
	}
	byURN := map[string]pulumimock.Resource{}
	perType := map[string]int{}
	for _, r := range m.Resources() {
		if r.Type == "pulumi:pulumi:Stack" {
			continue
		}
		if other, dup := byURN[r.URN]; dup {
			t.Errorf("two resources share %s (%s and %s)", r.URN, other.Name, r.Name)
		}
		byURN[r.URN] = r
		perType[r.Type]++
	}
	for typ, n := range perType {
		if n%2 != 0 {
			t.Errorf("%d %s: a second declaration must double every type", n, typ)
		}
	}
	if len(byURN) < 40 {
		t.Errorf("only %d resources: the test declares too little to prove anything", len(byURN))
	}
	// The second instance's children carry its name; Kubernetes names do not change with it.
	for _, r := range m.Resources() {
		if r.Parent == "" {
			continue
		}
		parent := r.Parent[strings.LastIndex(r.Parent, "::")+len("::"):]
		if strings.HasPrefix(parent, "second-") && !strings.HasPrefix(r.Name, "second-") {
			t.Errorf("%s %s of %s is not named after its component", r.Type, r.Name, parent)
		}
	}
	first, _ := m.Named("kubernetes:helm.sh/v3:Release", OtelDemoName)
	second, _ := m.Named("kubernetes:helm.sh/v3:Release", "second-"+OtelDemoName)
	if first.Inputs["name"].StringValue() != OtelDemoRelease || second.Inputs["name"].StringValue() != OtelDemoRelease {
		t.Errorf("release names %v and %v, want %s for both", first.Inputs["name"], second.Inputs["name"], OtelDemoRelease)
	}
}

// Under their usual names, components alias every renamed child to the fixed name it had before, so that an
// existing lab's `pulumi up` renames them in the state instead of replacing them; another instance aliases
// nothing, since two resources may not take over one URN.
func TestUsualInstancesKeepTheirFormerChildNames(t *testing.T) {
	charts := ChartSource{LocalDir: sharedCharts(t), CacheDir: t.TempDir()}
	m := pulumimock.New("chaos-mesh-otel", "test")
	if err := m.Run(func(ctx *pulumi.Context) error {
		if err := declareAll(ctx, "", charts); err != nil {
			return err
		}
		return declareAll(ctx, "second-", charts)
	}); err != nil {
		t.Fatal(err)
	}
	var aliased []string
	for _, r := range m.Resources() {
		for _, a := range r.Aliases {
			// The provider SDKs alias every Kubernetes kind to its older API versions; only renames count here.
			typeAndParent := r.URN[:strings.LastIndex(r.URN, "::")]
			if !strings.HasPrefix(a, typeAndParent+"::") {
				continue
			}
			if strings.Contains(r.Name, "second-") {
				t.Errorf("%s %s of a second instance aliases %s", r.Type, r.Name, a)
			}
			aliased = append(aliased, r.Type[strings.LastIndex(r.Type, ":")+1:]+" "+strings.TrimPrefix(a, typeAndParent+"::"))
		}
	}
	slices.Sort(aliased)
	want := []string{
		"ConfigMap chaos-flag-overrides", "ConfigMap chaos-lab-dashboards",
		"LimitRange chaos-mesh-defaults", "LimitRange observability-defaults", "LimitRange otel-demo-defaults",
		"Namespace chaos-mesh", "Namespace observability", "Namespace otel-demo",
		"Release otel-collector", "Release otel-demo",
		"Role chaos-lab-operator", "RoleBinding chaos-lab-operator",
		"Secret chaos-lab-operator-token", "ServiceAccount chaos-lab-operator",
	}
	if !slices.Equal(aliased, want) {
		t.Errorf("aliases\n got %v\nwant %v", aliased, want)
	}
}
