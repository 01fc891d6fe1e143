package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// impactOf is what the fault did to its target: the change of its server spans (from the per-service
// figures) and its Deployment's not-ready replicas and restarts. The notes say when the service stands in for
// an unknown target, and when kube-state-metrics had nothing on it.
func impactOf(d WindowData, namespace string) (Impact, []string) {
	svc := d.Target.Deployment
	var notes []string
	if d.Span.Target == "" && svc != "" {
		notes = append(notes, fmt.Sprintf("no target known for this window; impact is shown for %s", svc))
	}
	im := Impact{ServiceChange: changeOf(svc, d.Services[svc]), PodsNotReadyMax: maxFinite(d.Target.NotReady)}
	if r := d.Target.Restarts.V; r != nil {
		v := math.Round(*r) // increase() extrapolates a counter's steps to fractions
		im.Restarts = &v
	}
	if svc != "" && im.PodsNotReadyMax == nil {
		notes = append(notes, fmt.Sprintf("no kube-state-metrics series for deployment %s in %s", svc, namespace))
	}
	return im, notes
}

// changeOf is a service's change from the baseline to the window.
func changeOf(svc string, d ServiceData) ServiceChange {
	c := ServiceChange{Service: svc, P95BaselineMs: d.P95Ms.Baseline.V, P95DuringMs: d.P95Ms.During.V,
		ErrorRatioBaseline: d.ErrorRatio.Baseline.V, ErrorRatioDuring: d.ErrorRatio.During.V}
	c.DeltaP95Ms = delta(c.P95DuringMs, c.P95BaselineMs)
	c.DeltaErrorRatio = delta(c.ErrorRatioDuring, c.ErrorRatioBaseline)
	return c
}

// ObservedBlastRadius is the services whose server SLIs moved beyond tol against their own baseline during
// the window, whatever the fault targeted. Every service with server spans before and during the window is
// compared, from the per-service figures that the window's data already hold (no query of its own). Server
// spans measure a service as its callers see it, so a delay on the wire shows at the caller, not the callee.
//
// The list is sorted by Size, largest first, ties by name. It is empty when no service moved and nil when none
// could be compared. compared counts the services compared; uncompared names the services seen around the
// window that lack a baseline or a reading during it (one that stopped serving shows at its callers).
func ObservedBlastRadius(services map[string]ServiceData, target string, tol MoveTolerance) (observed []ObservedService, compared int, uncompared []string) {
	for svc, d := range services {
		o, ok := compare(svc, d, tol)
		switch {
		case !ok:
			uncompared = append(uncompared, svc)
			continue
		case observed == nil:
			observed = []ObservedService{}
		}
		compared++
		if len(o.Moved) > 0 {
			o.Targeted = svc == target
			observed = append(observed, o)
		}
	}
	slices.SortFunc(observed, func(a, b ObservedService) int {
		return cmp.Or(cmp.Compare(b.Size, a.Size), cmp.Compare(a.Service, b.Service))
	})
	slices.Sort(uncompared)
	return observed, compared, uncompared
}

// atTolerance is where a change counts as moved: a change of exactly one tolerance does, whatever the float
// rounding of its difference.
const atTolerance = 1 - 1e-9

// compare measures one service's change in units of its tolerances; ok is false when neither its p95 nor its
// error ratio was read both before and during the window.
func compare(svc string, d ServiceData, tol MoveTolerance) (o ObservedService, ok bool) {
	o = ObservedService{ServiceChange: changeOf(svc, d), RequestRateBaseline: d.RequestRate.Baseline.V, RequestRateDuring: d.RequestRate.During.V}
	if o.DeltaP95Ms == nil && o.DeltaErrorRatio == nil {
		return o, false
	}
	o.Moved = []string{}
	if o.DeltaP95Ms != nil {
		size := math.Abs(*o.DeltaP95Ms) / tol.p95Ms(*o.P95BaselineMs)
		if size >= atTolerance {
			o.Moved = append(o.Moved, MovedP95)
		}
		o.Size = size
	}
	if o.DeltaErrorRatio != nil {
		size := math.Abs(*o.DeltaErrorRatio) / tol.ErrorRatioFloor
		if size >= atTolerance {
			o.Moved = append(o.Moved, MovedErrorRatio)
		}
		o.Size = math.Max(o.Size, size)
	}
	o.Size = math.Round(o.Size*100) / 100
	return o, true
}

// p95Ms is the tolerance of a p95 change, in ms, for a service whose baseline p95 is baselineMs.
func (t MoveTolerance) p95Ms(baselineMs float64) float64 {
	return math.Max(float64(t.P95Floor)/float64(time.Millisecond), t.P95Share*baselineMs)
}
