package report

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// fakeProm answers instant and range queries from functions of the query text; any other call panics.
type fakeProm struct {
	v1.API
	instant func(q string) model.Vector
	ranged  func(q string) model.Matrix
}

func (f fakeProm) Query(_ context.Context, q string, _ time.Time, _ ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error) {
	return f.instant(q), nil, nil, nil
}

func (f fakeProm) QueryRange(_ context.Context, q string, r v1.Range, _ ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error) {
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

// constantSeries is one series at v over the range, one sample per second.
func constantSeries(from, to time.Time, v float64) model.Matrix {
	var ps []model.SamplePair
	for t := from; !t.After(to); t = t.Add(time.Second) {
		ps = append(ps, model.SamplePair{Timestamp: model.TimeFromUnixNano(t.UnixNano()), Value: model.SampleValue(v)})
	}
	return model.Matrix{{Metric: model.Metric{}, Values: ps}}
}

var (
	t0       = time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	window   = Window{Scenario: "checkout-pod-kill", Start: t0, End: t0.Add(time.Minute), Target: "checkout"}
	afterAll = t0.Add(time.Hour)
)

func analyzer(api v1.API, slos ...slo.SLO) *Analyzer {
	st := DefaultSettings()
	st.Step = time.Second
	return &Analyzer{API: api, SLOs: slos, Settings: st, QueryTimeout: time.Second, Now: func() time.Time { return afterAll }}
}

// A latency SLO whose threshold is no bound of the histogram reads nothing although the histogram has series:
// the reason names the missing bound and the bounds there are, instead of "no data".
func TestMissingBucketIsNamed(t *testing.T) {
	latency := slo.SLO{Name: "checkout-latency", Service: "checkout", Kind: slo.Latency, Objective: 0.95, ThresholdMs: 300}
	bounds := model.Vector{sample(3, "le", "100"), sample(3, "le", "+Inf"), sample(3, "le", "250.0"), sample(3, "le", "500")}
	api := fakeProm{instant: func(q string) model.Vector {
		if strings.HasPrefix(q, "count by (le)") {
			return bounds
		}
		return nil
	}}
	wr, err := analyzer(api, latency).AnalyzeWindow(context.Background(), window)
	if err != nil {
		t.Fatal(err)
	}
	r := wr.SLIs[0]
	want := `no baseline: no le="300" bucket in checkout's latency histogram; the collector's buckets are 100, 250, 500 ms`
	if r.Verdict != Unknown || !strings.HasPrefix(r.Reason, want) {
		t.Errorf("verdict %s, reason %q; want unknown and %q", r.Verdict, r.Reason, want)
	}

	// With the bound present, or with no series at all, missing data stays "no data".
	bounds = append(bounds, sample(3, "le", "300"))
	if wr, _ = analyzer(api, latency).AnalyzeWindow(context.Background(), window); !strings.HasPrefix(wr.SLIs[0].Reason, "no baseline: no data") {
		t.Errorf("bound present: reason %q", wr.SLIs[0].Reason)
	}
	bounds = nil
	if wr, _ = analyzer(api, latency).AnalyzeWindow(context.Background(), window); !strings.HasPrefix(wr.SLIs[0].Reason, "no baseline: no data") {
		t.Errorf("no series: reason %q", wr.SLIs[0].Reason)
	}
}

// Data before and during the fault but none after it: the report must say the recovery is unknown, not
// that the service never recovered.
func TestMissingDataIsNotAFailureToRecover(t *testing.T) {
	avail := slo.SLO{Name: "checkout-availability", Service: "checkout", Kind: slo.Availability, Objective: 0.99}
	api := fakeProm{
		instant: func(q string) model.Vector { return model.Vector{sample(1)} },
		ranged:  func(q string) model.Matrix { return constantSeries(window.Start, window.End.Add(-time.Second), 1) },
	}
	wr, err := analyzer(api, avail).AnalyzeWindow(context.Background(), window)
	if err != nil {
		t.Fatal(err)
	}
	if wr.Verdict != Unknown || wr.Recovery != NoData || wr.RecoverySeconds != nil || wr.Score != nil {
		t.Fatalf("verdict %s, recovery %s %v, score %v; want unknown, no-data", wr.Verdict, wr.Recovery, wr.RecoverySeconds, wr.Score)
	}
	md, _, _ := strings.Cut(string((&Report{Windows: []WindowReport{wr}, Settings: DefaultSettings()}).Markdown("")), "## How to read")
	if !strings.Contains(md, "Time to recover: unknown (no data)") || strings.Contains(md, "never") || strings.Contains(md, "not within") {
		t.Errorf("report.md:\n%s", md)
	}

	// The same window with data after the fault that stays below the baseline did not recover.
	api.ranged = func(q string) model.Matrix { return constantSeries(window.Start, afterAll, 0.995) }
	if wr, err = analyzer(api, avail).AnalyzeWindow(context.Background(), window); err != nil {
		t.Fatal(err)
	}
	if wr.Verdict != Degraded || wr.Recovery != NotRecovered {
		t.Fatalf("verdict %s, recovery %s; want degraded, not-recovered", wr.Verdict, wr.Recovery)
	}
	if got := recovery(wr.RecoverySeconds, wr.Recovery, 5*time.Minute); got != "not within the 5m0s watched" {
		t.Errorf("recovery text %q", got)
	}

	// And one that comes back recovered.
	api.ranged = func(q string) model.Matrix { return constantSeries(window.Start, afterAll, 1) }
	if wr, err = analyzer(api, avail).AnalyzeWindow(context.Background(), window); err != nil {
		t.Fatal(err)
	}
	if wr.Verdict != Held || wr.Recovery != Recovered || wr.RecoverySeconds == nil {
		t.Fatalf("verdict %s, recovery %s %v; want held, recovered", wr.Verdict, wr.Recovery, wr.RecoverySeconds)
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
		{"stayed low", nil, pts(t0, 5*time.Second, 1, 1, 0.5, 0.5, nan), true, NotRecovered},
		{"no samples after the end", nil, pts(t0, 5*time.Second, 0.5, 0.5, nan, nan, nan), true, NoData},
		{"no samples at all", nil, nil, true, NoData},
	} {
		if got := recoveryStatus(c.secs, c.rolling, end, c.observed); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// A window that names only a preset takes the preset's target, not the first SLO's service.
func TestTargetOfAPresetWindow(t *testing.T) {
	a := analyzer(nil, slo.Defaults()...)
	for _, c := range []struct {
		w          Window
		flag, want string
		noted      bool
	}{
		{Window{Scenario: "checkout-pod-kill", Target: "cart"}, "", "cart", false},
		{Window{Scenario: "checkout-pod-kill"}, "", "checkout", true},
		{Window{Scenario: "recommendation-cpu-stress"}, "", "recommendation", true},
		{Window{Scenario: "checkout-pod-kill"}, "payment", "payment", false},
		{Window{Scenario: "my-own-experiment"}, "", slo.Defaults()[0].Service, true},
	} {
		a.Settings.Target = c.flag
		got, note := a.targetOf(c.w)
		if got != c.want || (note != "") != c.noted {
			t.Errorf("%+v with --target %q: %q (note %q), want %q", c.w, c.flag, got, note, c.want)
		}
	}
}
