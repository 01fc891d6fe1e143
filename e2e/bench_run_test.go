//go:build e2e && bench

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment/labstack"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report/promtest"
)

// runOverheadTarget is issue 20's target: what `chaoslab run` adds to the fault window and the recovery it
// waits for.
const runOverheadTarget = 10 * time.Second

// runOverhead times one `chaoslab run` of the flip scenario (in-process, labstack.Run, with the controller
// already running and a real Prometheus scraping a synthetic shop) and returns its wall time, the fault
// windows' span, and the overhead: the wall time minus the windows and the recovery wait (--after 0s: none).
func runOverhead(ctx context.Context, t *testing.T, c *Cluster, e *Engine, s auto.Stack) (wall, windows, overhead time.Duration) {
	t.Helper()
	setScenarios(ctx, t, s, `{}`)
	if _, _, err := Up(ctx, t, s); err != nil {
		t.Fatalf("switch off before the run: %v", err)
	}
	awaitNoChaos(ctx, t, c)
	steady := []promtest.Step{{At: 0, Phase: promtest.Steady(20)}}
	exporter := promtest.NewExporter(t, apps.AstronomyShop.Namespace, map[string][]promtest.Step{"checkout": steady})
	interval, err := time.ParseDuration(components.ScrapeInterval)
	if err != nil {
		t.Fatal(err)
	}
	prom := StartPrometheus(t, c.Dir, interval, ScrapeJob{Name: "synthetic-shop", Targets: []string{exporter.Addr}})
	t.Setenv("PATH", e.Env["PATH"])
	t.Chdir(RepoRoot())
	out := t.TempDir()
	t.Cleanup(func() {
		leftovers, _ := filepath.Glob(filepath.Join(RepoRoot(), ".chaoslab", "run-"+s.Name()+".*"))
		for _, f := range leftovers {
			_ = os.Remove(f)
		}
	})
	start := time.Now()
	var stdout, stderr syncBuffer
	code := labstack.Run(ctx, []string{"--stack", s.Name(), "--dir", RepoRoot(), "--out", out, "--prometheus", prom.URL,
		"--scenario", flipScenario(), "--after", "0s", "--otlp-endpoint", "off"}, &stdout, &stderr, nil)
	wall = time.Since(start)
	t.Logf("chaoslab run (exit %d, %s):\n%s%s", code, wall.Round(time.Millisecond), stdout.String(), stderr.String())
	var rep report.Report
	if err := json.Unmarshal(readFile(t, filepath.Join(out, "report.json")), &rep); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	if len(rep.Windows) == 0 {
		t.Fatalf("the run saw no fault window (exit %d): no overhead to measure", code)
	}
	first, last := rep.Windows[0].Start, rep.Windows[0].End
	for _, w := range rep.Windows {
		if w.Start.Before(first) {
			first = w.Start
		}
		if w.End.After(last) {
			last = w.End
		}
	}
	windows = last.Sub(first)
	return wall, windows, wall - windows
}

// awaitNoChaos waits until Chaos Mesh has released every chaos object of the app's namespace.
func awaitNoChaos(ctx context.Context, t *testing.T, c *Cluster) {
	t.Helper()
	poll(t, ctx, 2*time.Minute, "no chaos object left", func(ctx context.Context) (bool, error) {
		objs, err := c.ChaosObjects(ctx, apps.AstronomyShop.Namespace)
		if err != nil {
			return false, nil
		}
		exps, err := c.Experiments(ctx, apps.AstronomyShop.Namespace, "")
		return err == nil && len(objs) == 0 && len(exps) == 0, nil
	})
}

func overheadRow(wall, windows, overhead time.Duration) string {
	return fmt.Sprintf("%.1f s (run %.1f s − fault window %.1f s; target <= %s, met: %v)", overhead.Seconds(), wall.Seconds(),
		windows.Seconds(), runOverheadTarget, overhead <= runOverheadTarget)
}
