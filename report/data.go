package report

import (
	"fmt"
	"math"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// WindowData is everything the report reads from Prometheus about one fault window, read once by fetchWindow.
// The verdicts, the recovery, the impact on the target, the observed blast radius and the score are pure
// functions of it (JudgeWindow), so each can be tested on plain values.
type WindowData struct {
	Span Span
	// Services are the server-span figures of every service that had server spans in the baseline, the
	// window or after it: one query per figure and period, grouped by service.
	Services map[string]ServiceData
	// SLIs are the SLOs' readings, one per SLO in the order of Analyzer.SLOs.
	SLIs []SLIData
	// Target is what kube-state-metrics said of the target's Deployment.
	Target TargetData
	// Bounds are each service's latency histogram bounds in ms (+Inf left out). They are read only when a
	// latency SLI read nothing, to tell a threshold that is no bound of the histogram from missing traffic.
	Bounds map[string][]float64
}

// Reading is one number read from Prometheus, or why there is none: "no data" (no series), "NaN (no
// traffic)" (0/0), or "not observed yet" (an "after" period that has not passed).
type Reading struct {
	V   *float64
	Why string
}

// Why a Reading is empty, when it is not a value Prometheus returned.
const (
	whyNoData         = "no data"
	whyNotObservedYet = "not observed yet"
)

// readingOf is a sample as a Reading: NaN and ±Inf (no traffic: 0/0) are no number.
func readingOf(v float64) Reading {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Reading{Why: fmt.Sprintf("%v (no traffic)", v)}
	}
	return Reading{V: &v}
}

// Periods are one quantity over the baseline before a window, over the window, and over the time after it.
type Periods struct {
	Baseline, During, After Reading
}

// ServiceData are one service's server-span figures: p95 in ms, error ratio, and requests per second.
type ServiceData struct {
	P95Ms, ErrorRatio, RequestRate Periods
}

// SLIData are one SLO's readings: its SLI over the three periods, and the rolling SLI (rate over
// Settings.RateWindow) from the window's start to the end of "after", one sample per step (NaN where absent).
type SLIData struct {
	SLO     slo.SLO
	SLI     Periods
	Rolling []Point
}

// TargetData is what kube-state-metrics said of the target's Deployment from the window's start to the end
// of "after".
type TargetData struct {
	// Deployment is the window's target, or the first SLO's service when the window has none (the impact is
	// then shown for that service); empty when neither is known.
	Deployment string
	NotReady   []Point // desired − ready replicas, one sample per step
	Restarts   Reading // container restarts over the same span
}
