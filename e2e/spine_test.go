//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"k8s.io/client-go/rest"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/e2e/procstat"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/e2e/shopload"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// spineRun is one run of the shop's telemetry through the real spine: the lab up on a cluster whose pods
// have loopback addresses, the collector, Jaeger and Prometheus running with what the lab applied, the SLO
// gate reading that Prometheus, and the load generator.
type spineRun struct {
	ctx     context.Context
	c       *Cluster
	spine   *Spine
	gen     *shopload.Generator
	gate    *SLOGate
	rec     map[string]*procstat.Recorder
	started time.Time
	fault   shopload.Fault
}

// startSpineRun brings the lab up on a fresh cluster and starts the spine, the gate, the load (vus virtual
// users, time compressed speed×) and the measurement of each part.
func startSpineRun(t *testing.T, vus int, speed float64) *spineRun {
	t.Helper()
	ctx := context.Background()
	c, e, _ := labCluster(t, SpineTools)
	UseLoopbackPodIPs(ctx, t, c)
	s := e.RepoStack(ctx, t, stacks.Lab)
	cfg := LabConfig(c)
	// The gate's Service would wait for endpoints that loopback pod addresses cannot have (see
	// UseLoopbackPodIPs); the gate runs as a process here instead.
	cfg[Key("sloGate")] = auto.ConfigValue{Value: "off"}
	if err := s.SetAllConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if _, d, err := Up(ctx, t, s); err != nil {
		t.Fatalf("up: %v", err)
	} else {
		t.Logf("lab up in %s", d.Round(time.Second))
	}
	r := &spineRun{ctx: ctx, c: c}
	r.spine = StartSpine(ctx, t, c)
	r.rec = map[string]*procstat.Recorder{}
	for _, p := range r.parts() {
		r.rec[p.Name] = procstat.Record(p.cmd.Process.Pid, time.Second)
	}
	r.gate = StartSLOGate(t, c.Dir, r.spine.PromURL)
	r.started = time.Now()
	gen, err := shopload.Start(ctx, shopload.Config{
		Collector: shopload.Collector{GRPC: r.spine.CollectorGRPC, HTTP: r.spine.CollectorHTTP},
		VUs:       vus, Speed: speed, Pods: r.shopPods, Seed: uint64(time.Now().UnixNano()),
	})
	if err != nil {
		t.Fatalf("load generator: %v", err)
	}
	r.gen = gen
	t.Cleanup(func() {
		if err := gen.Stop(context.Background()); err != nil {
			t.Logf("load generator: %v", err)
		}
	})
	t.Logf("load: %d virtual users at %g× (%.2f iterations/s)", vus, speed, shopload.IterationsPerSecond(vus, speed))
	return r
}

func (r *spineRun) parts() []*SpinePart {
	return []*SpinePart{r.spine.Collector, r.spine.Jaeger, r.spine.Prometheus}
}

// shopPods is where each shop service's telemetry comes from: its running pods.
func (r *spineRun) shopPods(service string) []shopload.Pod {
	pods, err := r.c.Pods(r.ctx, apps.AstronomyShop.Namespace, apps.AstronomyShop.SelectorLabel, service)
	if err != nil {
		return nil
	}
	out := make([]shopload.Pod, len(pods))
	for i, p := range pods {
		out[i] = shopload.Pod{Name: p.Name, IP: p.Status.PodIP}
	}
	return out
}

// TestSpine runs the shop's telemetry at the load generator's default 5 users through the lab's real
// collector, Prometheus and Jaeger, and judges a fault with the lab's own queries, rules, gate and report.
func TestSpine(t *testing.T) {
	r := startSpineRun(t, 5, 1)
	step := steps(t)
	step("series", r.series)
	step("rules", r.rules)
	step("gate-flips", r.gateFlips)
	step("report", r.report)
	step("jaeger", r.jaeger)
	// Over the whole run, the fault included: the error panels have errors to show.
	step("dashboards", r.dashboards)
	step("footprint", r.footprint)
	step("series-by-job", r.seriesByJob)
}

// footprint logs what each part used and fails a part that went over its container's limit: in its pod it
// would have been OOM-killed.
func (r *spineRun) footprint(t *testing.T) {
	st := r.gen.Stats()
	t.Logf("load so far: %s in %s", st, time.Since(r.started).Round(time.Second))
	for _, p := range r.parts() {
		s := r.rec[p.Name].Summary()
		t.Logf("%-10s peak RSS %6.1f MiB (anonymous %6.1f), limit %d Mi; CPU mean %4.0fm, p95 %4.0fm over %s",
			p.Name, procstat.MiB(s.PeakHWM), procstat.MiB(s.PeakAnon), p.LimitMi, s.MeanCPU, s.P95CPU, s.Span.Round(time.Second))
		if procstat.MiB(s.PeakHWM) >= float64(p.LimitMi) {
			t.Errorf("%s peaked at %.1f MiB, at or over its %d Mi limit: its pod would be OOM-killed", p.Name, procstat.MiB(s.PeakHWM), p.LimitMi)
		}
	}
}

// seriesByJob logs what each scrape job brings into Prometheus, and how many series the API server would
// bring if its job reached it: the figures behind the choice of jobs (docs/footprint.md).
func (r *spineRun) seriesByJob(t *testing.T) {
	vec := r.instant(t, `sort_desc(count by (job) ({__name__=~".+"}))`)
	var b strings.Builder
	for _, s := range vec {
		fmt.Fprintf(&b, " %s=%s", s.Metric["job"], s.Value)
	}
	t.Logf("series by job:%s", b.String())
	up := r.instant(t, `count by (job) (up == 1)`)
	t.Logf("targets up by job: %v", up)
	client, err := rest.HTTPClientFor(r.c.Config)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(r.c.Config.Host + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range fams {
		for _, m := range f.Metric {
			switch {
			case m.Histogram != nil:
				n += len(m.Histogram.Bucket) + 3 // buckets, +Inf, sum and count
			case m.Summary != nil:
				n += len(m.Summary.Quantile) + 2
			default:
				n++
			}
		}
	}
	t.Logf("kube-apiserver %s exposes %d series in %d families (what the lab's kubernetes-api-servers job would keep, every 5 s)", KubeVersion(), n, len(fams))
}

// writeWindows writes the fault window as `chaoslab report --windows` reads it.
func (r *spineRun) writeWindows(t *testing.T, scenario string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "windows.yaml")
	body := fmt.Sprintf("- {scenario: %s, start: %q, end: %q, target: %s}\n", scenario,
		r.fault.From.UTC().Format(time.RFC3339Nano), r.fault.To.UTC().Format(time.RFC3339Nano), r.fault.Service)
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}
