package report

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// fakeProm answers instant and range queries from functions of the query text, and counts them; any other
// call panics.
type fakeProm struct {
	v1.API
	instant func(q string) model.Vector
	ranged  func(q string) model.Matrix
	queries *int
}

func (f fakeProm) Query(_ context.Context, q string, _ time.Time, _ ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error) {
	if f.queries != nil {
		*f.queries++
	}
	return f.instant(q), nil, nil, nil
}

func (f fakeProm) QueryRange(_ context.Context, q string, r v1.Range, _ ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error) {
	if f.queries != nil {
		*f.queries++
	}
	if f.ranged == nil {
		return model.Matrix{}, nil, nil, nil
	}
	return f.ranged(q), nil, nil, nil
}

func sample(v float64, labels ...string) *model.Sample {
	m := model.Metric{}
	for i := 0; i+1 < len(labels); i += 2 {
		m[model.LabelName(labels[i])] = model.LabelValue(labels[i+1])
	}
	return &model.Sample{Metric: m, Value: model.SampleValue(v)}
}

var (
	t0       = time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	window   = Window{Scenario: "checkout-pod-kill", Start: t0, End: t0.Add(time.Minute), Target: "checkout"}
	afterAll = t0.Add(time.Hour)
)

func testSettings() Settings {
	st := DefaultSettings()
	st.Step = time.Second
	return st
}

func analyzer(api v1.API, slos ...slo.SLO) *Analyzer {
	return &Analyzer{API: api, SLOs: slos, Settings: testSettings(), QueryTimeout: time.Second, Now: func() time.Time { return afterAll }}
}

// Plain values for the pure functions.

func rd(v float64) Reading { return Reading{V: &v} }

var noData = Reading{Why: whyNoData}

func periods(baseline, during, after Reading) Periods {
	return Periods{Baseline: baseline, During: during, After: after}
}

// spanAt is the span of window w as it is read at now, with the test settings.
func spanAt(w Window, now time.Time) Span {
	sp, _ := spanOf(w, testSettings(), now)
	return sp
}

// rolling is a rolling SLI at v, one sample a second over [from, to].
func rolling(from, to time.Time, v float64) []Point {
	var ps []Point
	for t := from; !t.After(to); t = t.Add(time.Second) {
		ps = append(ps, Point{T: t, V: v})
	}
	return ps
}

var checkoutAvailability = slo.SLO{Name: "checkout-availability", Service: "checkout", Kind: slo.Availability, Objective: 0.99}

// A recovery that was not observed (the report made, or the run cut short, right after the fault) is never
// held: the SLO and the window are unknown with the reason, the score is null and the exit code 3.
func TestNotObservedRecoveryIsUnknown(t *testing.T) {
	now := window.End.Add(5 * time.Second) // less than one rate window (30 s) after the fault
	sp := spanAt(window, now)
	if sp.AfterObserved {
		t.Fatal("5 s after the window counts as observed")
	}
	d := WindowData{Span: sp, SLIs: []SLIData{{SLO: checkoutAvailability, SLI: periods(rd(1), rd(0.999), Reading{Why: whyNotObservedYet}),
		Rolling: rolling(window.Start, now, 1)}}}
	wr := JudgeWindow(d, testSettings())
	if wr.Verdict != Unknown || wr.Recovery != NotObservedYet || wr.RecoverySeconds != nil || wr.Score != nil {
		t.Fatalf("verdict %s, recovery %s %v, score %v; want unknown, not-observed-yet, no score", wr.Verdict, wr.Recovery, wr.RecoverySeconds, wr.Score)
	}
	if r := wr.SLIs[0].Reason; !strings.Contains(r, "recovery not observed: only 5s of the 5m0s watched after the fault") {
		t.Errorf("reason %q", r)
	}
	if code := ExitCode(&Report{Windows: []WindowReport{wr}}); code != ExitMissingData {
		t.Errorf("exit %d, want 3", code)
	}
	if got := recovery(wr.RecoverySeconds, wr.Recovery, time.Minute); got != "not observed yet" {
		t.Errorf("recovery text %q", got)
	}

	// The same readings with the whole "after" watched are held.
	d.Span = spanAt(window, afterAll)
	d.SLIs[0].Rolling = rolling(window.Start, d.Span.AfterEnd, 1)
	if wr := JudgeWindow(d, testSettings()); wr.Verdict != Held || wr.Recovery != Recovered {
		t.Errorf("observed: %s, %s; want held, recovered", wr.Verdict, wr.Recovery)
	}
}

// A window without data is never a pass: no SLI, no service, no kube-state-metrics.
func TestWindowWithoutDataIsUnknown(t *testing.T) {
	sp := spanAt(window, afterAll)
	d := WindowData{Span: sp, Target: TargetData{Deployment: "checkout", Restarts: noData},
		SLIs: []SLIData{{SLO: checkoutAvailability, SLI: periods(noData, noData, noData)}}}
	wr := JudgeWindow(d, testSettings())
	if wr.Verdict != Unknown || wr.Score != nil || wr.Recovery != NoData || wr.Observed != nil || wr.ServicesCompared != 0 {
		t.Fatalf("%+v", wr)
	}
	if !strings.HasPrefix(wr.SLIs[0].Reason, "no baseline: no data in the 300s before the window") {
		t.Errorf("reason %q", wr.SLIs[0].Reason)
	}
	if !strings.Contains(strings.Join(wr.Notes, "\n"), "no kube-state-metrics series for deployment checkout in otel-demo") {
		t.Errorf("notes %q", wr.Notes)
	}
	// And no SLO at all is no verdict either.
	if wr := JudgeWindow(WindowData{Span: sp}, testSettings()); wr.Verdict != Unknown || wr.Score != nil {
		t.Errorf("no SLO: %s, score %v", wr.Verdict, wr.Score)
	}
}

// Data before and during the fault but none after it: the report must say the recovery is unknown, not
// that the service never recovered.
func TestMissingDataIsNotAFailureToRecover(t *testing.T) {
	sp := spanAt(window, afterAll)
	d := WindowData{Span: sp, SLIs: []SLIData{{SLO: checkoutAvailability, SLI: periods(rd(1), rd(1), noData),
		Rolling: rolling(window.Start, window.End.Add(-time.Second), 1)}}}
	wr := JudgeWindow(d, testSettings())
	if wr.Verdict != Unknown || wr.Recovery != NoData || wr.RecoverySeconds != nil || wr.Score != nil {
		t.Fatalf("verdict %s, recovery %s %v, score %v; want unknown, no-data", wr.Verdict, wr.Recovery, wr.RecoverySeconds, wr.Score)
	}
	md, _, _ := strings.Cut(string((&Report{Windows: []WindowReport{wr}, Settings: DefaultSettings()}).Markdown("")), "## How to read")
	if !strings.Contains(md, "Time to recover: unknown (no data)") || strings.Contains(md, "never") || strings.Contains(md, "not within") {
		t.Errorf("report.md:\n%s", md)
	}

	// The same window with data after the fault that stays below the baseline did not recover.
	d.SLIs[0].Rolling = rolling(window.Start, afterAll, 0.995)
	if wr = JudgeWindow(d, testSettings()); wr.Verdict != Degraded || wr.Recovery != NotRecovered {
		t.Fatalf("verdict %s, recovery %s; want degraded, not-recovered", wr.Verdict, wr.Recovery)
	}
	if got := recovery(wr.RecoverySeconds, wr.Recovery, 5*time.Minute); got != "not within the 5m0s watched" {
		t.Errorf("recovery text %q", got)
	}

	// And one that comes back recovered.
	d.SLIs[0].Rolling = rolling(window.Start, afterAll, 1)
	if wr = JudgeWindow(d, testSettings()); wr.Verdict != Held || wr.Recovery != Recovered || wr.RecoverySeconds == nil {
		t.Fatalf("verdict %s, recovery %s %v; want held, recovered", wr.Verdict, wr.Recovery, wr.RecoverySeconds)
	}
}

// A latency SLO whose threshold is no bound of the histogram reads nothing although the histogram has series:
// the reason names the missing bound and the bounds there are, instead of "no data".
func TestMissingBucketIsNamed(t *testing.T) {
	latency := slo.SLO{Name: "checkout-latency", Service: "checkout", Kind: slo.Latency, Objective: 0.95, ThresholdMs: 300}
	want := `no le="300" bucket in checkout's latency histogram; the collector's buckets are 100, 250, 500 ms`
	if got := explainMissing(latency, whyNoData, []float64{100, 250, 500}); got != want+" (a latency SLO's threshold must be one of them)" {
		t.Errorf("explainMissing: %q", got)
	}
	for _, bounds := range [][]float64{{100, 300}, nil} {
		if got := explainMissing(latency, whyNoData, bounds); got != whyNoData {
			t.Errorf("bounds %v: %q, want plain no data", bounds, got)
		}
	}
	if got := explainMissing(checkoutAvailability, whyNoData, []float64{100}); got != whyNoData {
		t.Errorf("availability: %q", got)
	}

	// Through Prometheus: the bounds are read, grouped by service, only because the latency SLI read nothing.
	bounds := model.Vector{sample(3, "le", "100", "service_name", "checkout"), sample(3, "le", "+Inf", "service_name", "checkout"),
		sample(3, "le", "250.0", "service_name", "checkout"), sample(3, "le", "500", "service_name", "checkout"),
		sample(3, "le", "300", "service_name", "cart")}
	api := fakeProm{instant: func(q string) model.Vector {
		if strings.HasPrefix(q, "count by (service_name, le)") {
			return bounds
		}
		return nil
	}}
	wr, err := analyzer(api, latency).AnalyzeWindow(context.Background(), window)
	if err != nil {
		t.Fatal(err)
	}
	if r := wr.SLIs[0]; r.Verdict != Unknown || !strings.HasPrefix(r.Reason, "no baseline: "+want) {
		t.Errorf("verdict %s, reason %q; want unknown and %q", r.Verdict, r.Reason, want)
	}
}

// The blast radius costs no query per service: a window's data take as many queries with 30 services as with
// 3, and every one of them is in the data.
func TestFetchIsOneQueryPerFigure(t *testing.T) {
	count := func(services int) (int, WindowData) {
		n := 0
		api := fakeProm{queries: &n, instant: func(q string) model.Vector {
			if !strings.Contains(q, "service_name)") && !strings.Contains(q, "service_name, le)") {
				return model.Vector{sample(0.999)}
			}
			var vec model.Vector
			for i := range services {
				vec = append(vec, sample(0.01, "service_name", fmt.Sprintf("svc-%02d", i)))
			}
			return vec
		}}
		a := analyzer(api, slo.Defaults()...)
		sp, _ := spanOf(window, a.Settings, afterAll)
		d, err := a.fetchWindow(context.Background(), sp)
		if err != nil {
			t.Fatal(err)
		}
		return n, d
	}
	few, _ := count(3)
	many, d := count(30)
	if few != many {
		t.Errorf("%d queries for 3 services, %d for 30: the blast radius must not query per service", few, many)
	}
	// 3 figures × 3 periods, 6 SLOs × (3 periods + 1 range), the target's 2.
	if want := 9 + 6*4 + 2; many != want {
		t.Errorf("%d queries per window, want %d", many, want)
	}
	if len(d.Services) != 30 || d.Services["svc-29"].ErrorRatio.During.V == nil {
		t.Errorf("services read: %d", len(d.Services))
	}
}

func TestRecoveryStatus(t *testing.T) {
	nan := math.NaN()
	end := t0.Add(10 * time.Second)
	for _, c := range []struct {
		name     string
		secs     *float64
		rolling  []Point
		observed bool
		want     RecoveryStatus
	}{
		{"recovered", fp(3), pts(t0, 5*time.Second, 1, 1, 1, 1), true, Recovered},
		{"too soon", nil, pts(t0, 5*time.Second, 1, 1, 0.5), false, NotObservedYet},
		{"came back, but too soon to count", fp(0), pts(t0, 5*time.Second, 1, 1, 1, 1), false, NotObservedYet},
		{"stayed low", nil, pts(t0, 5*time.Second, 1, 1, 0.5, 0.5, nan), true, NotRecovered},
		{"no samples after the end", nil, pts(t0, 5*time.Second, 0.5, 0.5, nan, nan, nan), true, NoData},
		{"no samples at all", nil, nil, true, NoData},
	} {
		if got := recoveryStatus(c.secs, c.rolling, end, c.observed); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// A window that names only a preset takes the preset's target; one that names nothing has none declared, and
// its impact is shown for the first SLO's service, with a note.
func TestTargetOfAPresetWindow(t *testing.T) {
	for _, c := range []struct {
		w          Window
		flag, want string
		noted      bool
	}{
		{Window{Scenario: "checkout-pod-kill", Target: "cart"}, "", "cart", false},
		{Window{Scenario: "checkout-pod-kill"}, "", "checkout", true},
		{Window{Scenario: "recommendation-cpu-stress"}, "", "recommendation", true},
		{Window{Scenario: "checkout-pod-kill"}, "payment", "payment", false},
		{Window{Scenario: "my-own-experiment"}, "", "", false},
	} {
		got, note := targetOf(c.w, c.flag)
		if got != c.want || (note != "") != c.noted {
			t.Errorf("%+v with --target %q: %q (note %q), want %q", c.w, c.flag, got, note, c.want)
		}
	}
	d := WindowData{Span: spanAt(Window{Scenario: "my-own-experiment", Start: t0, End: t0.Add(time.Minute)}, afterAll),
		Target: TargetData{Deployment: "frontend-proxy"}}
	if im, notes := impactOf(d, "otel-demo"); im.Service != "frontend-proxy" || !strings.Contains(strings.Join(notes, "\n"), "no target known for this window; impact is shown for frontend-proxy") {
		t.Errorf("impact on %q, notes %q", im.Service, notes)
	}
}
