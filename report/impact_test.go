package report

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// served is a service's server spans: p95 and error ratio before and during the window, at 10 requests/s.
func served(p95Before, p95During, errBefore, errDuring float64) ServiceData {
	return ServiceData{P95Ms: periods(rd(p95Before), rd(p95During), noData), ErrorRatio: periods(rd(errBefore), rd(errDuring), noData),
		RequestRate: periods(rd(10), rd(10), noData)}
}

// observedNamesOf lists the observed services, the targeted ones marked with a *.
func observedNamesOf(os []ObservedService) []string {
	var out []string
	for _, o := range os {
		name := o.Service
		if o.Targeted {
			name += "*"
		}
		out = append(out, name)
	}
	return out
}

// The observed blast radius on plain values, with a known truth of which services moved. Default
// tolerances: p95 max(50 ms, 50% of its baseline), error ratio 1 percentage point.
func TestObservedBlastRadius(t *testing.T) {
	tol := DefaultSettings().Observed
	nan := Reading{Why: "NaN (no traffic)"}
	for _, c := range []struct {
		name       string
		target     string
		services   map[string]ServiceData
		want       []string // in order; nil: nothing could be compared
		compared   int
		uncompared []string
	}{
		{
			// frontend → product-catalog delayed by 1 s on the wire (the preset frontend-catalog-latency): the
			// callers' server spans wait for it; product-catalog's own server spans do not see it.
			name: "wire delay shows at the caller", target: "frontend",
			services: map[string]ServiceData{
				"frontend-proxy":  served(120, 1150, 0, 0),
				"frontend":        served(100, 1100, 0, 0),
				"product-catalog": served(20, 21, 0, 0),
				"cart":            served(30, 32, 0.001, 0.002),
			},
			want: []string{"frontend*", "frontend-proxy"}, compared: 4,
		},
		{
			// shipping's responses replaced by HTTP 500 after its server answered: its own spans stay clean, its callers fail.
			name: "error burst on a caller", target: "shipping",
			services: map[string]ServiceData{
				"checkout": served(80, 90, 0, 0.15),
				"frontend": served(100, 110, 0.001, 0.04),
				"shipping": served(10, 10, 0, 0),
			},
			want: []string{"checkout", "frontend"}, compared: 3,
		},
		{
			name: "noise does not count", target: "ad",
			services: map[string]ServiceData{
				"fast":    served(10, 55, 0, 0),          // +45 ms: under the 50 ms floor
				"slow":    served(2000, 2900, 0, 0),      // +900 ms: under 50% of its 2 s baseline
				"errors":  served(80, 80, 0.002, 0.011),  // +0.9 pp: under 1 pp
				"calmer":  served(300, 260, 0.01, 0.005), // better, within tolerance
				"ad":      served(40, 41, 0, 0),
				"at-edge": served(10, 60, 0, 0), // exactly one tolerance (50 ms): moved
			},
			want: []string{"at-edge"}, compared: 6,
		},
		{
			name: "a change either way counts, sorted by size then name", target: "b",
			services: map[string]ServiceData{
				"a": served(500, 100, 0, 0),    // −400 ms = 1.6 tolerances of 250 ms
				"b": served(100, 180, 0, 0),    // +80 ms = 1.6 tolerances of 50 ms
				"c": served(100, 100, 0.3, 0),  // −30 pp = 30 tolerances
				"d": served(100, 100, 0, 0.02), // +2 pp = 2 tolerances
			},
			want: []string{"c", "d", "a", "b*"}, compared: 4,
		},
		{
			name: "a service that stopped serving is not compared", target: "checkout",
			services: map[string]ServiceData{
				"checkout": {P95Ms: periods(rd(80), nan, noData), ErrorRatio: periods(rd(0), nan, noData), RequestRate: periods(rd(10), rd(0), noData)},
				"frontend": served(100, 100, 0, 0.3),
				"new":      {P95Ms: periods(noData, rd(50), noData), ErrorRatio: periods(noData, rd(0), noData)},
			},
			want: []string{"frontend"}, compared: 1, uncompared: []string{"checkout", "new"},
		},
		{
			name: "window without data", target: "checkout",
			services: map[string]ServiceData{},
			want:     nil,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, compared, uncompared := ObservedBlastRadius(c.services, c.target, tol)
			if names := observedNamesOf(got); !slices.Equal(names, c.want) || (got == nil) != (c.want == nil) {
				t.Errorf("observed %v (nil %v), want %v", names, got == nil, c.want)
			}
			if compared != c.compared || !slices.Equal(uncompared, c.uncompared) {
				t.Errorf("compared %d, uncompared %v; want %d, %v", compared, uncompared, c.compared, c.uncompared)
			}
			for i := 1; i < len(got); i++ {
				if got[i].Size > got[i-1].Size {
					t.Errorf("not sorted by size: %v", got)
				}
			}
		})
	}
}

// What one observed service says: its figures, what moved, and its size in tolerances.
func TestObservedServiceFigures(t *testing.T) {
	tol := DefaultSettings().Observed
	got, _, _ := ObservedBlastRadius(map[string]ServiceData{"checkout": served(80, 1100, 0, 0.15)}, "shipping", tol)
	if len(got) != 1 {
		t.Fatalf("%+v", got)
	}
	o := got[0]
	// p95: +1020 ms over max(50, 40) = 20.4 tolerances; errors: 15 pp over 1 pp = 15.
	if o.Service != "checkout" || o.Targeted || *o.DeltaP95Ms != 1020 || math.Abs(*o.DeltaErrorRatio-0.15) > 1e-12 || o.Size != 20.4 ||
		!slices.Equal(o.Moved, []string{MovedP95, MovedErrorRatio}) || *o.P95BaselineMs != 80 || *o.RequestRateDuring != 10 {
		t.Errorf("%+v", o)
	}
	// Other tolerances give another radius: a 2 s floor keeps the p95 change in, a 20 pp floor the errors.
	tol = MoveTolerance{P95Floor: 2 * time.Second, P95Share: 0.5, ErrorRatioFloor: 0.2}
	if got, compared, _ := ObservedBlastRadius(map[string]ServiceData{"checkout": served(80, 1100, 0, 0.15)}, "", tol); len(got) != 0 || got == nil || compared != 1 {
		t.Errorf("wide tolerances: %+v", got)
	}
}

// The impact on the target comes from the same per-service figures.
func TestImpactOf(t *testing.T) {
	d := WindowData{Span: spanAt(window, afterAll), Services: map[string]ServiceData{"checkout": served(80, 1100, 0, 0.1)},
		Target: TargetData{Deployment: "checkout", NotReady: pts(t0, time.Second, 0, 1, math.NaN(), 0), Restarts: rd(1.9)}}
	im, notes := impactOf(d, "otel-demo")
	if im.Service != "checkout" || *im.DeltaP95Ms != 1020 || *im.DeltaErrorRatio != 0.1 || *im.PodsNotReadyMax != 1 || *im.Restarts != 2 || len(notes) != 0 {
		t.Errorf("%+v %q", im, notes)
	}
	d.Target.NotReady = nil
	if _, notes := impactOf(d, "otel-demo"); !strings.Contains(strings.Join(notes, ""), "no kube-state-metrics series for deployment checkout in otel-demo") {
		t.Errorf("notes %q", notes)
	}
}
