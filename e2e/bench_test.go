//go:build e2e && bench

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// labBench is one lab that make bench measures.
type labBench struct {
	title string
	// config is set on top of LabConfig; namespaces are the lab's, where its pods run.
	config     map[string]string
	namespaces []string
	// flip is the scenario switched on and off; flipKind names what it is in the table.
	flip, flipKind string
	// strikes times the first injection after a switch-on, with Chaos Mesh's controller running.
	strikes bool
	// footprint prints the footprint rows from the live pods.
	footprint func(row func(k, v string), fp Footprint)
	// outSuffix is added to E2E_BENCH_OUT's file name, so that each lab writes its own table.
	outSuffix string
}

// TestBench prints the Astronomy Shop lab's figures from one run on the simulated cluster (make bench).
func TestBench(t *testing.T) {
	runBench(t, labBench{
		title: "chaos-mesh-otel bench", namespaces: LabNamespaces,
		flip: flipScenario(), flipKind: "scenario", strikes: true,
		footprint: func(row func(k, v string), fp Footprint) {
			limit := resource.MustParse("6Gi")
			row("sum CPU requests", fp.CPURequests.String())
			row("sum memory requests", MiB(fp.MemRequests))
			row("sum memory limits (target <= 6 GiB)", fmt.Sprintf("%s (%v; %d of %d containers without a limit)",
				MiB(fp.MemLimits), fp.MemLimits.Cmp(limit) <= 0, fp.ContainersWithoutMemLimit, fp.Containers))
		},
	})
}

// runBench measures one lab: the full up, the no-op preview, the flip interleaved with the floor (an empty
// program's up on the same engine), the first injection when asked, the destroy, the footprint read from
// the live pods and whether all of them got scheduled on the 4 CPU / 8 GiB node; and, with helm in the
// toolchain bin, a helm CLI script that installs the same lab (helmScript) and full up ÷ that.
func runBench(t *testing.T, b labBench) {
	tools := append(append([]string{}, ClusterTools...), EngineTools...)
	if b.strikes {
		tools = append(tools, ChaosControllerBinary)
	}
	bin, err := ToolsBin(tools...)
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
		var out strings.Builder
		host, _ := os.Hostname()
		fmt.Fprintf(&out, "\n%s (%s, %d CPU, %s/%s, kube %s)\n", b.title, host, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, KubeVersion())
		for _, r := range rows {
			fmt.Fprintf(&out, "  %-60s %s\n", r[0], r[1])
		}
		fmt.Print(out.String())
		if f := os.Getenv("E2E_BENCH_OUT"); f != "" {
			_ = os.WriteFile(f+b.outSuffix, []byte(out.String()), 0o644)
		}
	}()

	// The floor is an empty inline program's up. Its stack has the same secrets provider as the lab's, so
	// both pay the passphrase key derivation (about 0.2 s of CPU) that the engine does on every up. Its first
	// up creates the stack, before the lab exists; the floors that flip/floor divides by are taken later,
	// each just before a flip, so that both see the same machine and the same cluster.
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
	config := LabConfig(c)
	for k, v := range b.config {
		config[Key(k)] = auto.ConfigValue{Value: v}
	}
	if err := s.SetAllConfig(ctx, config); err != nil {
		t.Fatal(err)
	}
	res, full, err := Up(ctx, t, s)
	if err != nil {
		row("full up", "FAILED after "+secs(full))
		if fp, ferr := c.Footprint(ctx, b.namespaces); ferr == nil {
			row("partial footprint: pods / unscheduled", fmt.Sprintf("%d / %d", fp.Pods, fp.Unscheduled))
		}
		t.Fatalf("full up: %v", err)
	}
	created := 0
	if res.Summary.ResourceChanges != nil {
		created = (*res.Summary.ResourceChanges)["create"]
	}
	row("full up", fmt.Sprintf("%s (%d resources created)", secs(full), created))
	fp, err := c.Footprint(ctx, b.namespaces)
	if err != nil {
		t.Fatal(err)
	}

	pres, noop, out, err := Preview(ctx, s, optpreview.ExpectNoChanges())
	n, what := Changes(ChangeSummaryOf(pres.ChangeSummary))
	if err != nil {
		t.Errorf("the no-op preview found changes (%d: %s): %v\n%s", n, what, err, tail(out, 4000))
	}
	row("no-op preview", fmt.Sprintf("%s (%d changes)", secs(noop), n))

	// The flip and the floor, interleaved: three rounds of a floor up then an up that switches the scenario
	// on (with an up that switches it off again between rounds); flip/floor is the ratio of their medians.
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
		setScenarios(ctx, t, s, `{"`+b.flip+`":{"enabled":true}}`)
		_, on, err := Up(ctx, t, s)
		if err != nil {
			t.Fatalf("flip up: %v", err)
		}
		ons = append(ons, on)
	}
	floor, flip := median(floors), median(ons)
	row("floor: empty program up (median of 3)", fmt.Sprintf("%s (runs: %s)", secs(floor), joinSecs(floors)))
	row(b.flipKind+" flip up, switch on ("+b.flip+"; median of 3)", fmt.Sprintf("%s (runs: %s)", secs(flip), joinSecs(ons)))
	row(b.flipKind+" flip up, switch off (2 runs)", joinSecs(offs))
	row("flip / floor (target <= 1.5)", fmt.Sprintf("%.2f", flip.Seconds()/floor.Seconds()))

	if b.strikes {
		strikes, missed := firstStrikes(ctx, t, c, s)
		if len(strikes) > 0 {
			row("first injection after the flip's up returned ("+b.flip+", median of 3)",
				fmt.Sprintf("%s (runs: %s; target <= 15 s)", secs(median(strikes)), joinSecs(strikes)))
		}
		if missed > 0 {
			row("switch-ons without an injection within "+strikeDeadline.String(), fmt.Sprint(missed))
		}
		wall, windows, overhead := runOverhead(ctx, t, c, e, s)
		row("chaoslab run overhead ("+b.flip+", --after 0s)", overheadRow(wall, windows, overhead))
	}

	destroy, err := Destroy(ctx, t, s)
	if err != nil {
		t.Fatalf("destroy: %v", err)
	}
	row("destroy", secs(destroy))

	row("pods (running, the lab's namespaces)", fmt.Sprint(fp.Pods))
	for _, p := range fp.UnscheduledPods {
		row("unscheduled", p)
	}
	row("all scheduled on 4 CPU / 8 GiB node", fmt.Sprintf("%v (%d unscheduled)", fp.Unscheduled == 0, fp.Unscheduled))
	b.footprint(row, fp)

	if helm := filepath.Join(bin, "helm"); fileExists(helm) {
		d, releases, err := helmScript(ctx, t, c, helm, config, b.namespaces)
		if err != nil {
			row("helm CLI script of the same lab", "failed: "+err.Error())
		} else {
			row(fmt.Sprintf("helm CLI script of the same lab (%d releases, --wait)", releases), secs(d))
			row("full up / helm (target <= 1.2)", fmt.Sprintf("%.2f", full.Seconds()/d.Seconds()))
		}
	}
}

func median(ds []time.Duration) time.Duration { return slices.Sorted(slices.Values(ds))[len(ds)/2] }

func joinSecs(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%.1f s", d.Seconds())
	}
	return strings.Join(parts, ", ")
}
