package components

import (
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/pulumimock"
)

// LabNamespaces is exactly what NewNamespaces declares: chaoslab run waits for the workloads of these.
func TestLabNamespacesAreTheDeclaredOnes(t *testing.T) {
	for _, istio := range []bool{false, true} {
		m := pulumimock.New("chaos-mesh-otel", "test")
		err := m.Run(func(ctx *pulumi.Context) error {
			_, err := NewNamespaces(ctx, "lab", &NamespacesArgs{AppNamespace: "some-app", Istio: istio})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var declared []string
		for _, r := range m.OfType("kubernetes:core/v1:Namespace") {
			declared = append(declared, r.Inputs["metadata"].ObjectValue()["name"].StringValue())
		}
		want := LabNamespaces("some-app", istio)
		slices.Sort(declared)
		slices.Sort(want)
		if !slices.Equal(declared, want) || (istio != slices.Contains(want, IstioNamespace)) {
			t.Errorf("istio %v: declared %v, LabNamespaces %v", istio, declared, want)
		}
	}
}
