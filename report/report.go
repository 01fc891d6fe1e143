// Package report judges chaos fault windows against the SLO model, from Prometheus: baseline before each
// window, SLIs during and after, impact on the target, time to recover, a verdict and a resilience score. It
// writes report.md, report.json and PNG plots. `chaoslab report` is its command line (Run).
//
// Each window goes one way (analyze.go): its span (the window with its baseline and "after" periods), then
// fetch.go reads everything about it from Prometheus once, into plain data (WindowData), and JudgeWindow makes
// the verdicts and recovery (judge.go), the impact on the target, the observed blast radius (blast.go) and the
// score (score.go) from that data alone, without querying. queries.go holds the Prometheus client and the
// report's own queries (the SLI and spanmetrics queries are package slo's), windows.go and events.go find the
// fault windows, output.go, plot.go and junit.go write the report, and flags.go, command.go and run.go are
// the command line.
package report

import (
	"time"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// Verdicts, from best to worst.
const (
	Held     = "held"     // every SLI stayed within tolerance of its baseline
	Degraded = "degraded" // some SLI left its baseline's tolerance (or did not come back) but met its objective
	Violated = "violated" // some SLI fell below its objective during or after the fault
	Unknown  = "unknown"  // missing data: no verdict can be given; never reported as held
)

// RecoveryStatus says what is known about a recovery, so that "did not recover" is never said of missing data.
type RecoveryStatus string

const (
	// Recovered: the SLI came back within tolerance of its baseline; RecoverySeconds says when.
	Recovered RecoveryStatus = "recovered"
	// NotRecovered: there was data after the fault, and the SLI did not come back within the watched time.
	NotRecovered RecoveryStatus = "not-recovered"
	// NotObservedYet: too little time has passed since the fault to tell.
	NotObservedYet RecoveryStatus = "not-observed-yet"
	// NoData: the series are missing, so nothing can be said about the recovery.
	NoData RecoveryStatus = "no-data"
)

// Settings tune the analysis.
type Settings struct {
	Step           time.Duration `json:"stepSeconds"`           // resolution of the series
	RateWindow     time.Duration `json:"rateWindowSeconds"`     // PromQL range of the rolling SLIs
	Baseline       time.Duration `json:"baselineSeconds"`       // how long before a window the baseline is read
	After          time.Duration `json:"afterSeconds"`          // how long after a window recovery is watched
	Tolerance      float64       `json:"tolerance"`             // share of the error budget an SLI may drift from baseline
	Consecutive    int           `json:"consecutive"`           // N: good samples in a row that make a recovery
	RecoveryBudget time.Duration `json:"recoveryBudgetSeconds"` // recovery time that costs the full 30 score points
	Namespace      string        `json:"namespace"`             // shop namespace, for kube-state-metrics
	Target         string        `json:"target,omitempty"`      // default target service of windows that name none
	Observed       MoveTolerance `json:"-"`                     // when a service counts in the observed blast radius
}

// MoveTolerance says when a service's server SLIs moved beyond noise against its own baseline, for the
// observed blast radius: its p95 when |Δ| ≥ max(P95Floor, P95Share × its baseline p95), its error ratio when
// |Δ| ≥ ErrorRatioFloor. The floor keeps the histogram's coarse buckets from making noise of fast services;
// the share scales with slow ones. Error ratios sit near 0, where a share of the baseline means nothing.
type MoveTolerance struct {
	P95Floor        time.Duration
	P95Share        float64
	ErrorRatioFloor float64 // a ratio: 0.01 is one percentage point
}

// MarshalJSON writes durations as seconds.
func (s Settings) MarshalJSON() ([]byte, error) {
	return marshalJSON(map[string]any{
		"stepSeconds": s.Step.Seconds(), "rateWindowSeconds": s.RateWindow.Seconds(), "baselineSeconds": s.Baseline.Seconds(),
		"afterSeconds": s.After.Seconds(), "tolerance": s.Tolerance, "consecutive": s.Consecutive,
		"recoveryBudgetSeconds": s.RecoveryBudget.Seconds(), "namespace": s.Namespace, "target": s.Target,
		"observedP95FloorMs": float64(s.Observed.P95Floor) / float64(time.Millisecond), "observedP95Share": s.Observed.P95Share,
		"observedErrorRatioFloor": s.Observed.ErrorRatioFloor,
	})
}

// DefaultSettings suit the lab (Prometheus scrapes every 5 s).
func DefaultSettings() Settings {
	return Settings{Step: 5 * time.Second, RateWindow: 30 * time.Second, Baseline: 5 * time.Minute, After: 5 * time.Minute,
		Tolerance: 0.25, Consecutive: 3, RecoveryBudget: 2 * time.Minute, Namespace: apps.AstronomyShop.Namespace,
		Observed: MoveTolerance{P95Floor: 50 * time.Millisecond, P95Share: 0.5, ErrorRatioFloor: 0.01}}
}

// SLIResult is one SLO judged over one window. SLIs are good-event ratios (comparable with Objective).
type SLIResult struct {
	SLO             string         `json:"slo"`
	Service         string         `json:"service"`
	Kind            slo.Kind       `json:"kind"`
	Objective       float64        `json:"objective"`
	Baseline        *float64       `json:"baseline"` // over Settings.Baseline before the window
	During          *float64       `json:"during"`   // over the window
	After           *float64       `json:"after"`    // over Settings.After after it (null if not observed yet)
	Worst           *float64       `json:"worst"`    // lowest rolling SLI from the start of the window to the end of "after"
	Verdict         string         `json:"verdict"`
	RecoverySeconds *float64       `json:"recoverySeconds"` // set when Recovery is recovered
	Recovery        RecoveryStatus `json:"recovery"`
	Reason          string         `json:"reason"`
}

// ServiceChange is how a service's server spans changed from the baseline to the window: p95 in ms and
// error ratio, each null when unknown.
type ServiceChange struct {
	Service            string   `json:"service"`
	P95BaselineMs      *float64 `json:"p95BaselineMs"`
	P95DuringMs        *float64 `json:"p95DuringMs"`
	DeltaP95Ms         *float64 `json:"deltaP95Ms"`
	ErrorRatioBaseline *float64 `json:"errorRatioBaseline"`
	ErrorRatioDuring   *float64 `json:"errorRatioDuring"`
	DeltaErrorRatio    *float64 `json:"deltaErrorRatio"`
}

// Impact is what the fault did to its target service.
type Impact struct {
	ServiceChange            // its fields appear inline in the JSON
	PodsNotReadyMax *float64 `json:"podsNotReadyMax"` // max of desired − ready replicas, window start to end of "after"
	Restarts        *float64 `json:"restarts"`        // container restarts over the same span
}

// ObservedService is one service of the observed blast radius: its server SLIs moved beyond
// Settings.Observed against its own baseline during the window, whether the fault targeted it or not.
type ObservedService struct {
	ServiceChange                // its fields appear inline in the JSON
	Targeted            bool     `json:"targeted"`            // the service is the window's declared target
	RequestRateBaseline *float64 `json:"requestRateBaseline"` // server spans per second
	RequestRateDuring   *float64 `json:"requestRateDuring"`
	Moved               []string `json:"moved"` // what moved beyond tolerance: "p95", "errorRatio"
	// Size is the larger of the two changes in units of its tolerance (|Δ| / tolerance, so at least 1): the
	// sort key of the list.
	Size float64 `json:"size"`
}

// Names of what can move in ObservedService.Moved.
const (
	MovedP95        = "p95"
	MovedErrorRatio = "errorRatio"
)

// WindowReport is one judged window.
type WindowReport struct {
	Window                         // the window judged; its fields appear inline in the JSON
	Verdict         string         `json:"verdict"`
	RecoverySeconds *float64       `json:"recoverySeconds"` // the slowest SLO's, set when Recovery is recovered
	Recovery        RecoveryStatus `json:"recovery"`
	Score           *float64       `json:"score"` // null when the verdict is unknown
	Impact          Impact         `json:"impact"`
	// Observed is the observed blast radius: the services whose server SLIs moved, largest change first (ties
	// by name); empty when none moved, null when no service could be compared (no spans before and during).
	Observed         []ObservedService `json:"observed"`
	ServicesCompared int               `json:"servicesCompared"` // services with server spans before and during the window
	SLIs             []SLIResult       `json:"slis"`
	Notes            []string          `json:"notes,omitempty"`
}

// Report is report.json.
type Report struct {
	SchemaVersion int            `json:"schemaVersion"`
	Scenario      string         `json:"scenario"`
	Prometheus    string         `json:"prometheus"`
	From          time.Time      `json:"from"`
	To            time.Time      `json:"to"`
	GeneratedAt   time.Time      `json:"generatedAt"`
	Verdict       string         `json:"verdict"` // the worst window verdict
	Score         *float64       `json:"score"`   // mean of the judged windows' scores; null if none was judged
	Windows       []WindowReport `json:"windows"`
	Plots         []string       `json:"plots"`
	Settings      Settings       `json:"settings"`
	Notes         []string       `json:"notes,omitempty"`
}
