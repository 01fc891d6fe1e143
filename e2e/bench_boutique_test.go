//go:build e2e && bench

package e2e

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
)

// TestBenchBoutiqueIstio prints the same figures for the Online Boutique with Istio; the flip is the mesh
// fault ad-mesh-faults (one VirtualService). Istio injects no sidecar on kwok (its API server calls no
// webhook), so the footprint adds the sidecars it would inject on a real cluster, from the injection rule.
func TestBenchBoutiqueIstio(t *testing.T) {
	runBench(t, labBench{
		title:  "chaos-mesh-otel bench, Online Boutique with Istio",
		config: map[string]string{"app": apps.OnlineBoutique.Name, "istio": "true"}, namespaces: BoutiqueNamespaces,
		flip: "ad-mesh-faults", flipKind: "mesh-fault", outSuffix: ".boutique-istio",
		footprint: withSidecars(apps.OnlineBoutique.Deploy()),
	})
}

// withSidecars prints the live footprint plus one sidecar budget per pod that Istio would mesh.
func withSidecars(d apps.Deployment) func(row func(k, v string), fp Footprint) {
	return func(row func(k, v string), fp Footprint) {
		meshed := 0
		for _, svc := range d.Services() {
			if svc.Meshed() {
				meshed++
			}
		}
		sidecars := resource.MustParse(fmt.Sprintf("%dMi", meshed*components.SidecarBudget.MemoryMi))
		sidecarCPU := resource.MustParse(fmt.Sprintf("%dm", meshed*components.SidecarBudget.CPUMilli))
		limits, requests, cpu := fp.MemLimits.DeepCopy(), fp.MemRequests.DeepCopy(), fp.CPURequests.DeepCopy()
		limits.Add(sidecars)
		requests.Add(sidecars)
		cpu.Add(sidecarCPU)
		row("live: CPU req, mem req, mem limits", fmt.Sprintf("%s, %s, %s", fp.CPURequests.String(), MiB(fp.MemRequests), MiB(fp.MemLimits)))
		row("computed: sidecars Istio injects on a real cluster", fmt.Sprintf("%d × %d Mi = %s", meshed, components.SidecarBudget.MemoryMi, MiB(sidecars)))
		room, node := nodeRoom(apps.OnlineBoutique.Deploy(), true)
		row(fmt.Sprintf("live + sidecars: CPU req, mem req, mem limits (<= %s, what a %d GiB node leaves beside its own processes)", MiB(room), node>>10),
			fmt.Sprintf("%s, %s, %s (%v)", cpu.String(), MiB(requests), MiB(limits), limits.Cmp(room) <= 0))
	}
}
