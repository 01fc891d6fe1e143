//go:build e2e && bench

package e2e

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// TestBenchBoutiqueIstio prints the figures of the Online Boutique with Istio from one run on the simulated
// cluster: the full up, the no-op preview, the mesh-fault flip (ad-mesh-faults on, interleaved with the
// floor as in TestBench) and the destroy, and the footprint: live from the pods, plus the sidecars that
// Istio would inject on a real cluster (none are injected on kwok, whose API server calls no webhook),
// computed from the injection rule.
func TestBenchBoutiqueIstio(t *testing.T) {
	bin, err := ToolsBin()
	if err != nil {
		t.Fatal(err)
	}
	c := StartCluster(t, bin)
	e := NewEngine(t, bin)
	ctx := context.Background()
	var rows [][2]string
	row := func(k, v string) { rows = append(rows, [2]string{k, v}) }
	secs := func(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }
	defer func() {
		var b strings.Builder
		fmt.Fprintf(&b, "\nchaos-mesh-otel bench, Online Boutique with Istio (%d CPU, %s/%s, kube %s)\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, KubeVersion())
		for _, r := range rows {
			fmt.Fprintf(&b, "  %-56s %s\n", r[0], r[1])
		}
		fmt.Print(b.String())
		if f := os.Getenv("E2E_BENCH_OUT"); f != "" {
			_ = os.WriteFile(f+".boutique-istio", []byte(b.String()), 0o644)
		}
	}()

	floorStack := e.ScratchStack(ctx, t, "floor", func(*pulumi.Context) error { return nil })
	floorUp := func() time.Duration {
		_, d, err := Up(ctx, t, floorStack)
		if err != nil {
			t.Fatalf("floor up: %v", err)
		}
		return d
	}
	row("floor on an idle cluster (first up, creates the stack)", secs(floorUp()))

	s := e.RepoStack(ctx, t, stacks.Lab)
	cfg := LabConfig(c)
	cfg[Key("app")] = auto.ConfigValue{Value: apps.OnlineBoutique.Name}
	cfg[Key("istio")] = auto.ConfigValue{Value: "true"}
	if err := s.SetAllConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	res, full, err := Up(ctx, t, s)
	if err != nil {
		t.Fatalf("full up: %v", err)
	}
	created := 0
	if res.Summary.ResourceChanges != nil {
		created = (*res.Summary.ResourceChanges)["create"]
	}
	row("full up (Boutique + Istio)", fmt.Sprintf("%s (%d resources created)", secs(full), created))
	fp, err := c.Footprint(ctx, BoutiqueNamespaces)
	if err != nil {
		t.Fatal(err)
	}

	pres, noop, out, err := Preview(ctx, s, optpreview.ExpectNoChanges())
	n, what := Changes(ChangeSummaryOf(pres.ChangeSummary))
	if err != nil {
		t.Errorf("the no-op preview found changes (%d: %s): %v\n%s", n, what, err, tail(out, 4000))
	}
	row("no-op preview", fmt.Sprintf("%s (%d changes)", secs(noop), n))

	var floors, ons, offs []time.Duration
	for i := range 3 {
		if i > 0 {
			setScenarios(ctx, t, s, `{}`)
			_, off, err := Up(ctx, t, s)
			if err != nil {
				t.Fatalf("flip off: %v", err)
			}
			offs = append(offs, off)
		}
		floors = append(floors, floorUp())
		setScenarios(ctx, t, s, `{"ad-mesh-faults":{"enabled":true}}`)
		_, on, err := Up(ctx, t, s)
		if err != nil {
			t.Fatalf("flip up: %v", err)
		}
		ons = append(ons, on)
	}
	median := func(ds []time.Duration) time.Duration { return slices.Sorted(slices.Values(ds))[len(ds)/2] }
	floor, flip := median(floors), median(ons)
	row("floor: empty program up (median of 3)", fmt.Sprintf("%s (runs: %s)", secs(floor), joinSecs(floors)))
	row("mesh-fault flip up, switch on (ad-mesh-faults; median of 3)", fmt.Sprintf("%s (runs: %s)", secs(flip), joinSecs(ons)))
	row("mesh-fault flip up, switch off (2 runs)", joinSecs(offs))
	row("flip / floor", fmt.Sprintf("%.2f", flip.Seconds()/floor.Seconds()))

	destroy, err := Destroy(ctx, t, s)
	if err != nil {
		t.Fatalf("destroy: %v", err)
	}
	row("destroy", secs(destroy))

	meshed := 0
	for _, svc := range apps.OnlineBoutique.Deploy().Services() {
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
	row("pods (running, the four namespaces)", fmt.Sprint(fp.Pods))
	row("all scheduled on 4 CPU / 8 GiB node", fmt.Sprintf("%v (%d unscheduled)", fp.Unscheduled == 0, fp.Unscheduled))
	row("live: CPU req, mem req, mem limits", fmt.Sprintf("%s, %s, %s", fp.CPURequests.String(), MiB(fp.MemRequests), MiB(fp.MemLimits)))
	row("computed: sidecars Istio injects on a real cluster", fmt.Sprintf("%d × %d Mi = %s", meshed, components.SidecarBudget.MemoryMi, MiB(sidecars)))
	row("live + sidecars: CPU req, mem req, mem limits (<= 6 GiB)", fmt.Sprintf("%s, %s, %s (%v)", cpu.String(), MiB(requests), MiB(limits),
		limits.Cmp(resource.MustParse("6Gi")) <= 0))
}
