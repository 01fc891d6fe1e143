//go:build e2e && bench

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/e2e/procstat"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/e2e/shopload"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/e2e/telemetry"
)

// benchPhase is one load of the measurement.
type benchPhase struct {
	name  string
	vus   int
	speed float64
	// length bounds the phase; a fill phase ends earlier once Jaeger's store has wrapped twice.
	length time.Duration
	// churn replaces one shop pod this often, as a pod-kill does (0: never).
	churn time.Duration
	fill  bool
}

// The phases: the load generator's default (5 users) and its maximum (LoadGeneratorMaxUsers), each in real
// time, then the fill: the maximum at 4× its rate with a shop pod replaced every 30 s, until Jaeger's
// in-memory store has held max_traces twice over and Prometheus' head holds the series of every pod that
// three hours of the checkout-pod-kill preset (one kill every 10 min) would leave before the head's first
// compaction: 18 pod generations, here one every 30 s, 20× faster. Scrapes stay at the lab's 5 s, so the
// head's chunks are those of a 10-minute run, not of three hours: the series are counted honestly, the
// samples are not (see docs/footprint.md).
func benchPhases() []benchPhase {
	d := func(env string, def time.Duration) time.Duration {
		if v, err := time.ParseDuration(os.Getenv(env)); err == nil {
			return v
		}
		return def
	}
	return []benchPhase{
		{name: "default", vus: 5, speed: 1, length: d("E2E_SPINE_DEFAULT", 5*time.Minute)},
		{name: "max", vus: components.LoadGeneratorMaxUsers, speed: 1, length: d("E2E_SPINE_MAX", 5*time.Minute)},
		{name: "fill", vus: components.LoadGeneratorMaxUsers, speed: 4, length: d("E2E_SPINE_FILL", 25*time.Minute), churn: 30 * time.Second, fill: true},
	}
}

// TestSpineBench measures the spine under the shop's load and writes e2e/results/telemetry.json.
func TestSpineBench(t *testing.T) {
	phases := benchPhases()
	r := startSpineRun(t, phases[0].vus, phases[0].speed)
	out := telemetry.File{
		Measured: time.Now().UTC().Format("2006-01-02"),
		Machine:  fmt.Sprintf("%d cores, %s, shared", runtime.NumCPU(), memTotal()),
		Versions: map[string]string{"collector": "otelcol-validate " + collectorVersion, "prometheus": "v3.13.1", "jaeger": "v2.13.0", "kubernetes": KubeVersion()},
		Loads:    map[string]telemetry.Load{},
	}
	// The control plane that a Minikube node runs beside the lab, with the lab's objects loaded: the room
	// that the node needs for its own processes (docs/footprint.md).
	controlPlane := map[string]*procstat.Recorder{}
	for _, name := range []string{"kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler"} {
		raw, err := os.ReadFile(filepath.Join(r.c.workdir, "clusters", r.c.Name, "pids", name+".pid"))
		if err != nil {
			t.Fatalf("%s's pid: %v", name, err)
		}
		var pid int
		fmt.Sscan(strings.TrimSpace(string(raw)), &pid)
		controlPlane[name] = procstat.Record(pid, time.Second)
	}
	windows := map[string][2]time.Time{}
	var traces0 int
	for i, ph := range phases {
		if i > 0 {
			if err := r.gen.Stop(r.ctx); err != nil {
				t.Logf("load generator: %v", err)
			}
			gen, err := shopload.Start(r.ctx, shopload.Config{Collector: shopload.Collector{GRPC: r.spine.CollectorGRPC, HTTP: r.spine.CollectorHTTP},
				VUs: ph.vus, Speed: ph.speed, Pods: r.shopPods, Seed: uint64(i)})
			if err != nil {
				t.Fatal(err)
			}
			r.gen = gen
		}
		before := r.gen.Stats()
		from := time.Now()
		restarts := r.runPhase(t, ph, traces0)
		to := time.Now()
		windows[ph.name] = [2]time.Time{from, to}
		st := r.gen.Stats()
		secs := to.Sub(from).Seconds()
		out.Loads[ph.name] = telemetry.Load{VUs: ph.vus, Speed: ph.speed, Seconds: int(secs),
			IterationsPerSecond: shopload.IterationsPerSecond(ph.vus, ph.speed),
			SpansPerSecond:      float64(st.Spans-before.Spans) / secs, TracesPerSecond: float64(st.Traces-before.Traces) / secs,
			PodRestartSeconds: int(ph.churn.Seconds()), Note: fmt.Sprintf("%d pods replaced", restarts)}
		traces0 += st.Traces
		t.Logf("phase %s: %d users at %g× for %s: %.0f spans/s, %.1f traces/s, %d pods replaced; head series %s",
			ph.name, ph.vus, ph.speed, to.Sub(from).Round(time.Second), out.Loads[ph.name].SpansPerSecond, out.Loads[ph.name].TracesPerSecond,
			restarts, r.scalar(t, "prometheus_tsdb_head_series"))
	}
	heap := map[string]string{
		"collector":  `max_over_time(otelcol_process_runtime_heap_alloc_bytes{app_kubernetes_io_name="opentelemetry-collector"}[1h])`,
		"jaeger":     `max_over_time(otelcol_process_runtime_heap_alloc_bytes{app_kubernetes_io_name="jaeger"}[1h])`,
		"prometheus": `max_over_time(go_memstats_heap_inuse_bytes{job="prometheus"}[1h])`,
	}
	detail := map[string]string{
		"collector":  "spanmetrics series exported: " + r.scalar(t, `count({__name__=~"traces_span_metrics_.*"})`),
		"jaeger":     fmt.Sprintf("max_traces %d; %d traces sent in all", components.JaegerMaxTraces, traces0),
		"prometheus": "head series " + r.scalar(t, "max_over_time(prometheus_tsdb_head_series[1h])") + ", head chunks " + r.scalar(t, "max_over_time(prometheus_tsdb_head_chunks[1h])"),
	}
	for _, p := range r.parts() {
		all := r.rec[p.Name].Stop()
		part := telemetry.Part{Part: p.Name, Container: p.Container, LimitMiB: p.LimitMi,
			PeakMiB: round1(procstat.MiB(all.PeakHWM)), PeakAnonMiB: round1(procstat.MiB(all.PeakAnon)),
			CPUMillicores: map[string]float64{}, CPUP95Millicores: map[string]float64{}, Load: "fill", Detail: detail[p.Name]}
		for name, w := range windows {
			s := r.rec[p.Name].Window(w[0], w[1])
			part.CPUMillicores[name] = float64(int(s.MeanCPU))
			part.CPUP95Millicores[name] = float64(int(s.P95CPU))
		}
		if v, err := parseFloat(r.scalar(t, heap[p.Name])); err == nil {
			part.GoHeapMiB = round1(v / (1 << 20))
		}
		out.Parts = append(out.Parts, part)
	}
	sort.Slice(out.Parts, func(i, j int) bool { return out.Parts[i].Part < out.Parts[j].Part })
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"} {
		all := controlPlane[name].Stop()
		out.ControlPlane = append(out.ControlPlane, telemetry.Process{Name: name, PeakMiB: round1(procstat.MiB(all.PeakHWM)),
			CPUMillicores: float64(int(all.MeanCPU))})
	}
	path := filepath.Join(RepoRoot(), "e2e", "results", "telemetry.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := out.Write(path); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s:\n%s", path, out.Table(nil))
	for _, problem := range out.Check(nil) {
		t.Errorf("budget: %s", problem)
	}
}

// runPhase runs the load until the phase's length passes (or, for the fill, until Jaeger's store has wrapped
// twice), replacing a shop pod every churn. It returns how many pods it replaced.
func (r *spineRun) runPhase(t *testing.T, ph benchPhase, tracesBefore int) int {
	t.Helper()
	deadline := time.Now().Add(ph.length)
	restarts := 0
	churn := time.NewTicker(max(ph.churn, time.Second))
	defer churn.Stop()
	victims := []string{"checkout", "product-catalog", "cart", "frontend", "recommendation", "ad"}
	for time.Now().Before(deadline) {
		if ph.fill && tracesBefore+r.gen.Stats().Traces >= 2*components.JaegerMaxTraces &&
			restarts >= 18 {
			break
		}
		select {
		case <-churn.C:
			if ph.churn > 0 {
				if err := r.replacePod(victims[restarts%len(victims)]); err != nil {
					t.Logf("replacing a pod: %v", err)
				} else {
					restarts++
				}
			}
		case <-time.After(time.Until(deadline)):
		}
	}
	return restarts
}

// replacePod deletes a running pod of a shop service; its ReplicaSet makes another, with a new name and IP,
// which the load generator reports from once it sees it.
func (r *spineRun) replacePod(service string) error {
	pods, err := r.c.Pods(r.ctx, apps.AstronomyShop.Namespace, apps.AstronomyShop.SelectorLabel, service)
	if err != nil || len(pods) == 0 {
		return fmt.Errorf("no pod of %s: %v", service, err)
	}
	return r.c.Client.CoreV1().Pods(apps.AstronomyShop.Namespace).Delete(r.ctx, pods[0].Name, metav1.DeleteOptions{})
}

// scalar evaluates a query that gives one number, as text ("?" when it gives none).
func (r *spineRun) scalar(t *testing.T, q string) string {
	t.Helper()
	v, _, _, err := r.spine.Prom.Query(context.Background(), q, time.Now())
	if err != nil {
		t.Logf("%s: %v", q, err)
		return "?"
	}
	vec, _ := v.(model.Vector)
	if len(vec) == 0 {
		return "?"
	}
	return vec[0].Value.String()
}

func round1(v float64) float64 { return float64(int(v*10+0.5)) / 10 }

func parseFloat(s string) (float64, error) {
	var v float64
	_, err := fmt.Sscan(s, &v)
	return v, err
}

// memTotal is the machine's memory, from /proc/meminfo.
func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			var kb float64
			fmt.Sscan(f[1], &kb)
			return fmt.Sprintf("%.0f GiB", kb/(1<<20))
		}
	}
	return "?"
}

// collectorVersion is the collector release of the otelcol-validate tool (e2e/tools/build.sh).
const collectorVersion = "v0.165.0"
