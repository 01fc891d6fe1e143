package components

import (
	"slices"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/pulumimock"
)

// Every component that others wait on records each custom resource under it as a part, so that After waits
// on all of them, as depending on the component means to.
func TestPartsAreEveryCustomResourceUnderTheComponent(t *testing.T) {
	charts := ChartSource{LocalDir: sharedCharts(t), CacheDir: t.TempDir()}
	shop := pulumi.String(apps.AstronomyShop.Namespace)
	for name, declare := range map[string]func(ctx *pulumi.Context) (Composite, error){
		"namespaces with Istio": func(ctx *pulumi.Context) (Composite, error) {
			return NewNamespaces(ctx, NamespacesName, &NamespacesArgs{AppNamespace: apps.AstronomyShop.Namespace, Istio: true})
		},
		"chaos mesh": func(ctx *pulumi.Context) (Composite, error) {
			return NewChaosMesh(ctx, ChaosMeshName, &ChaosMeshArgs{Charts: charts, Namespace: pulumi.String(ChaosNamespace), TargetNamespace: shop})
		},
		"shop": func(ctx *pulumi.Context) (Composite, error) {
			return NewOtelDemo(ctx, OtelDemoName, &OtelDemoArgs{Charts: charts, Namespace: shop, CollectorHost: CollectorService})
		},
		"online boutique": func(ctx *pulumi.Context) (Composite, error) {
			return NewOnlineBoutique(ctx, "online-boutique", &OnlineBoutiqueArgs{Charts: charts, Namespace: pulumi.String(apps.OnlineBoutique.Namespace), CollectorHost: CollectorService})
		},
		"slo gate from its image": func(ctx *pulumi.Context) (Composite, error) {
			return NewSLOGate(ctx, "slo-gate", &SLOGateArgs{Namespace: pulumi.String(ObservabilityNamespace), Image: "slo-gate:test"})
		},
		"slo gate built": func(ctx *pulumi.Context) (Composite, error) {
			return NewSLOGate(ctx, "slo-gate", &SLOGateArgs{Namespace: pulumi.String(ObservabilityNamespace), Image: "slo-gate:test", Build: true, DockerHost: "tcp://docker:2376"})
		},
		"istio": func(ctx *pulumi.Context) (Composite, error) {
			return NewIstio(ctx, "istio", &IstioArgs{Charts: charts, Namespace: pulumi.String(IstioNamespace), SelectorLabel: "app"})
		},
	} {
		t.Run(name, func(t *testing.T) {
			m := pulumimock.New("chaos-mesh-otel", "test")
			parts := make(chan []string, 1)
			var component string
			if err := m.Run(func(ctx *pulumi.Context) error {
				c, err := declare(ctx)
				if err != nil {
					return err
				}
				urns := []any{c.URN()}
				for _, r := range c.Resources() {
					urns = append(urns, r.URN())
				}
				pulumi.All(urns...).ApplyT(func(all []any) error {
					component = string(all[0].(pulumi.URN))
					var out []string
					for _, u := range all[1:] {
						out = append(out, string(u.(pulumi.URN)))
					}
					parts <- out
					return nil
				})
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			var got []string
			select {
			case got = <-parts:
			case <-time.After(10 * time.Second):
				t.Fatal("the parts' URNs never resolved")
			}
			var want []string
			under := map[string]bool{component: true}
			for _, r := range m.Resources() { // in registration order: a parent comes before its children
				if !under[r.Parent] {
					continue
				}
				under[r.URN] = true
				if r.Custom && !slices.Contains([]string{"pulumi:providers:docker", "pulumi:providers:kubernetes"}, r.Type) {
					want = append(want, r.URN)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("parts:\n  %v\nwant every custom resource under %s:\n  %v", got, component, want)
			}
		})
	}
}
