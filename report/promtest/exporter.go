package promtest

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// Phase is how one service behaves from a moment on.
type Phase struct {
	RPS        float64
	ErrorRatio float64
	// Latency maps a bucket's upper bound in ms (one of slo.LatencyBucketsMs, or +Inf) to the share of requests
	// that fall in that bucket, i.e. above the previous bound and at most this one. Shares sum to 1.
	Latency map[float64]float64
	// Desired and Ready replicas of the service's Deployment, as kube-state-metrics reports them.
	Desired, Ready int
	// Restarts is the container restart count from this phase on (a counter: never lower than before).
	Restarts int
}

// Bounds are the histogram bounds, +Inf last.
func Bounds() []float64 { return append(append([]float64{}, slo.LatencyBucketsMs...), math.Inf(1)) }

// Quantile is what PromQL's histogram_quantile answers for this phase's latency distribution: linear
// interpolation inside the bucket holding the rank, the first bucket starting at 0.
func (p Phase) Quantile(q float64) float64 {
	cum, lower := 0.0, 0.0
	for _, b := range Bounds() {
		share := p.Latency[b]
		if cum+share >= q && share > 0 {
			if math.IsInf(b, 1) {
				return lower
			}
			return lower + (b-lower)*(q-cum)/share
		}
		cum += share
		lower = b
	}
	return math.NaN()
}

// FastShare is the share of requests at or under the bound.
func (p Phase) FastShare(boundMs float64) float64 {
	s := 0.0
	for b, share := range p.Latency {
		if b <= boundMs {
			s += share
		}
	}
	return s
}

// Step switches a service to Phase At this long after the exporter started.
type Step struct {
	At    time.Duration
	Phase Phase
}

type counters struct {
	calls   map[string]float64   // by status code
	buckets map[string][]float64 // by status code, per bound (not cumulative)
	sumMs   map[string]float64
}

// Exporter serves the scripted series at /metrics.
type Exporter struct {
	Addr      string
	Namespace string
	Start     time.Time

	mu      sync.Mutex
	script  map[string][]Step
	state   map[string]*counters
	last    time.Time
	stopped chan struct{}
}

var statuses = []string{"STATUS_CODE_UNSET", "STATUS_CODE_ERROR"}

// NewExporter starts serving the script on loopback; it stops when the test ends. Every service's script must
// start with a step At 0.
func NewExporter(t testing.TB, namespace string, script map[string][]Step) *Exporter {
	t.Helper()
	for svc, steps := range script {
		if len(steps) == 0 || steps[0].At != 0 {
			t.Fatalf("script for %s must start at 0", svc)
		}
		sort.SliceStable(steps, func(i, j int) bool { return steps[i].At < steps[j].At })
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &Exporter{Addr: l.Addr().String(), Namespace: namespace, script: script, state: map[string]*counters{},
		stopped: make(chan struct{})}
	for svc := range script {
		c := &counters{calls: map[string]float64{}, buckets: map[string][]float64{}, sumMs: map[string]float64{}}
		for _, st := range statuses {
			c.buckets[st] = make([]float64, len(Bounds()))
		}
		e.state[svc] = c
	}
	e.Start = time.Now()
	e.last = e.Start
	srv := &http.Server{Handler: http.HandlerFunc(e.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	go func() {
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-e.stopped:
				return
			case now := <-tk.C:
				e.advance(now)
			}
		}
	}()
	t.Cleanup(func() { close(e.stopped); srv.Close() })
	return e
}

// Switch makes svc behave as p from now on, for a test that decides when a fault starts instead of scripting
// it in advance. svc must be in the script.
func (e *Exporter) Switch(svc string, p Phase) {
	e.advance(time.Now()) // what happened so far is counted in the phase it happened in
	e.mu.Lock()
	defer e.mu.Unlock()
	e.script[svc] = append(e.script[svc], Step{At: time.Since(e.Start), Phase: p})
}

// At is the wall-clock time of an offset into the script.
func (e *Exporter) At(offset time.Duration) time.Time { return e.Start.Add(offset) }

// PhaseAt is the phase of a service at a wall-clock time.
func (e *Exporter) PhaseAt(svc string, at time.Time) Phase {
	steps := e.script[svc]
	off := at.Sub(e.Start)
	p := steps[0].Phase
	for _, s := range steps {
		if s.At <= off {
			p = s.Phase
		}
	}
	return p
}

// advance accumulates events up to now, splitting at phase boundaries so that each event is counted in the
// phase it belongs to.
func (e *Exporter) advance(now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for svc, steps := range e.script {
		from := e.last
		for from.Before(now) {
			to := now
			for _, s := range steps {
				if b := e.Start.Add(s.At); b.After(from) && b.Before(to) {
					to = b
				}
			}
			e.accumulate(svc, e.PhaseAt(svc, from), to.Sub(from).Seconds())
			from = to
		}
	}
	e.last = now
}

func (e *Exporter) accumulate(svc string, p Phase, secs float64) {
	c := e.state[svc]
	n := p.RPS * secs
	for _, st := range statuses {
		share := 1 - p.ErrorRatio
		if st == "STATUS_CODE_ERROR" {
			share = p.ErrorRatio
		}
		c.calls[st] += n * share
		lower := 0.0
		for i, b := range Bounds() {
			k := n * share * p.Latency[b]
			c.buckets[st][i] += k
			mid := b
			if math.IsInf(b, 1) {
				mid = lower * 2
			}
			c.sumMs[st] += k * (lower + mid) / 2
			lower = b
		}
	}
}

func (e *Exporter) serve(w http.ResponseWriter, r *http.Request) {
	e.advance(time.Now())
	e.mu.Lock()
	defer e.mu.Unlock()
	svcs := make([]string, 0, len(e.script))
	for s := range e.script {
		svcs = append(svcs, s)
	}
	sort.Strings(svcs)
	var b strings.Builder
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	b.WriteString("# TYPE traces_span_metrics_calls_total counter\n")
	for _, svc := range svcs {
		for _, st := range statuses {
			fmt.Fprintf(&b, "traces_span_metrics_calls_total{%s} %s\n", e.spanLabels(svc, st), f(e.state[svc].calls[st]))
		}
	}
	b.WriteString("# TYPE traces_span_metrics_duration_milliseconds histogram\n")
	for _, svc := range svcs {
		for _, st := range statuses {
			c := e.state[svc]
			cum := 0.0
			for i, bound := range Bounds() {
				cum += c.buckets[st][i]
				le := "+Inf"
				if !math.IsInf(bound, 1) {
					le = f(bound)
				}
				fmt.Fprintf(&b, "traces_span_metrics_duration_milliseconds_bucket{%s,le=%q} %s\n", e.spanLabels(svc, st), le, f(cum))
			}
			fmt.Fprintf(&b, "traces_span_metrics_duration_milliseconds_sum{%s} %s\n", e.spanLabels(svc, st), f(c.sumMs[st]))
			fmt.Fprintf(&b, "traces_span_metrics_duration_milliseconds_count{%s} %s\n", e.spanLabels(svc, st), f(cum))
		}
	}
	now := time.Now()
	b.WriteString("# TYPE kube_deployment_spec_replicas gauge\n")
	for _, svc := range svcs {
		fmt.Fprintf(&b, "kube_deployment_spec_replicas{namespace=%q,deployment=%q} %d\n", e.Namespace, svc, e.PhaseAt(svc, now).Desired)
	}
	b.WriteString("# TYPE kube_deployment_status_replicas_ready gauge\n")
	for _, svc := range svcs {
		fmt.Fprintf(&b, "kube_deployment_status_replicas_ready{namespace=%q,deployment=%q} %d\n", e.Namespace, svc, e.PhaseAt(svc, now).Ready)
	}
	b.WriteString("# TYPE kube_pod_container_status_restarts_total counter\n")
	for _, svc := range svcs {
		fmt.Fprintf(&b, "kube_pod_container_status_restarts_total{namespace=%q,pod=%q,container=%q} %d\n", e.Namespace, svc+"-7c9d8f6b5d-x2x4z", svc, e.PhaseAt(svc, now).Restarts)
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = w.Write([]byte(b.String()))
}

func (e *Exporter) spanLabels(svc, status string) string {
	return fmt.Sprintf(`service_name=%q,span_name=%q,span_kind=%q,status_code=%q,k8s_namespace_name=%q`,
		svc, "synthetic/Handle", slo.ServerSpanKind, status, e.Namespace)
}

// Steady is a healthy phase: p95 80 ms (7/8 of requests in (25, 50] ms, 1/8 in (50, 100] ms), no errors.
func Steady(rps float64) Phase {
	return Phase{RPS: rps, Latency: map[float64]float64{50: 0.875, 100: 0.125}, Desired: 1, Ready: 1}
}

// Degraded is the fault: p95 1100 ms and the given error ratio.
// 14/15 of the 5% tail sits above 1000 ms: the rank 0.95 falls 1/15 into (1000, 2500] ms.
func Degraded(rps, errorRatio float64) Phase {
	tail := 0.05 * 15 / 14
	return Phase{RPS: rps, ErrorRatio: errorRatio, Latency: map[float64]float64{1000: 1 - tail, 2500: tail}, Desired: 1, Ready: 0}
}

// Change is a phase that a service has from From to To into the script, and not before or after.
type Change struct {
	From, To time.Duration
	Phase    Phase
}

// Timeline is a service's script: base from the start, and each change over its span, back to base after it.
// Changes must come in order and not overlap.
func Timeline(base Phase, changes ...Change) []Step {
	steps := []Step{{At: 0, Phase: base}}
	for i, c := range changes {
		if c.From <= 0 || c.To <= c.From || (i > 0 && c.From < changes[i-1].To) {
			panic(fmt.Sprintf("promtest.Timeline: change %d (%s..%s) must start after 0, end after its start and after the change before it", i, c.From, c.To))
		}
		steps = append(steps, Step{At: c.From, Phase: c.Phase}, Step{At: c.To, Phase: base})
	}
	return steps
}

// Delayed is p with every request ms slower, as a delay on the wire makes the server spans of its callers:
// each bucket's share moves to the bucket that holds its upper bound plus ms.
func (p Phase) Delayed(ms float64) Phase {
	bounds := Bounds()
	latency := map[float64]float64{}
	for b, share := range p.Latency {
		i := sort.SearchFloat64s(bounds, b+ms) // the first bound at or above b+ms; +Inf holds the rest
		latency[bounds[i]] += share
	}
	p.Latency = latency
	return p
}

// WithErrors is p with the given share of requests in error.
func (p Phase) WithErrors(ratio float64) Phase {
	p.ErrorRatio = ratio
	return p
}
