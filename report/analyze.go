// Package report judges chaos fault windows against the SLO model, from Prometheus: baseline before each
// window, SLIs during and after, impact on the target, time to recover, a verdict and a resilience score. It
// writes report.md, report.json and PNG plots. `chaoslab report` is its command line (Run).
package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

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
}

// MarshalJSON writes durations as seconds.
func (s Settings) MarshalJSON() ([]byte, error) {
	return marshalJSON(map[string]any{
		"stepSeconds": s.Step.Seconds(), "rateWindowSeconds": s.RateWindow.Seconds(), "baselineSeconds": s.Baseline.Seconds(),
		"afterSeconds": s.After.Seconds(), "tolerance": s.Tolerance, "consecutive": s.Consecutive,
		"recoveryBudgetSeconds": s.RecoveryBudget.Seconds(), "namespace": s.Namespace, "target": s.Target,
	})
}

// DefaultSettings suit the lab (Prometheus scrapes every 5 s).
func DefaultSettings() Settings {
	return Settings{Step: 5 * time.Second, RateWindow: 30 * time.Second, Baseline: 5 * time.Minute, After: 5 * time.Minute,
		Tolerance: 0.25, Consecutive: 3, RecoveryBudget: 2 * time.Minute, Namespace: apps.AstronomyShop.Namespace}
}

// SLIResult is one SLO judged over one window. SLIs are good-event ratios (comparable with Objective).
type SLIResult struct {
	SLO             string   `json:"slo"`
	Service         string   `json:"service"`
	Kind            slo.Kind `json:"kind"`
	Objective       float64  `json:"objective"`
	Baseline        *float64 `json:"baseline"` // over Settings.Baseline before the window
	During          *float64 `json:"during"`   // over the window
	After           *float64 `json:"after"`    // over Settings.After after it (null if not observed yet)
	Worst           *float64 `json:"worst"`    // lowest rolling SLI from the start of the window to the end of "after"
	Verdict         string   `json:"verdict"`
	RecoverySeconds *float64 `json:"recoverySeconds"`
	Reason          string   `json:"reason"`
}

// Impact is what the fault did to its target service.
type Impact struct {
	Service            string   `json:"service"`
	P95BaselineMs      *float64 `json:"p95BaselineMs"`
	P95DuringMs        *float64 `json:"p95DuringMs"`
	DeltaP95Ms         *float64 `json:"deltaP95Ms"`
	ErrorRatioBaseline *float64 `json:"errorRatioBaseline"`
	ErrorRatioDuring   *float64 `json:"errorRatioDuring"`
	DeltaErrorRatio    *float64 `json:"deltaErrorRatio"`
	PodsNotReadyMax    *float64 `json:"podsNotReadyMax"` // max of desired − ready replicas, window start to end of "after"
	Restarts           *float64 `json:"restarts"`        // container restarts over the same span
}

// WindowReport is one judged window.
type WindowReport struct {
	Window                      // the window judged; its fields appear inline in the JSON
	Verdict         string      `json:"verdict"`
	RecoverySeconds *float64    `json:"recoverySeconds"` // null if it never recovered (or could not be observed)
	Score           *float64    `json:"score"`           // null when the verdict is unknown
	Impact          Impact      `json:"impact"`
	SLIs            []SLIResult `json:"slis"`
	Notes           []string    `json:"notes,omitempty"`
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

// ErrUnreachable wraps failures to talk to Prometheus at all.
var ErrUnreachable = errors.New("prometheus unreachable")

// Analyzer queries Prometheus.
type Analyzer struct {
	API          v1.API
	SLOs         []slo.SLO
	Settings     Settings
	QueryTimeout time.Duration
	Now          func() time.Time
}

func (a *Analyzer) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// promRange writes a duration as a PromQL range in whole seconds (at least 1s).
func promRange(d time.Duration) string {
	s := int64(math.Round(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return fmt.Sprintf("%ds", s)
}

// instant runs one instant query that must give one finite number; otherwise nil and why.
func (a *Analyzer) instant(ctx context.Context, q string, at time.Time) (*float64, string, error) {
	ctx, cancel := context.WithTimeout(ctx, a.QueryTimeout)
	defer cancel()
	val, _, _, err := a.API.Query(ctx, q, at, v1.WithTimeout(a.QueryTimeout))
	if err != nil {
		return nil, "", queryErr(err)
	}
	vec, ok := val.(model.Vector)
	if !ok || len(vec) == 0 {
		return nil, "no data", nil
	}
	v := float64(vec[0].Value)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Sprintf("%v (no traffic)", v), nil
	}
	return &v, "", nil
}

// Point is one sample of a series; NaN when absent.
type Point struct {
	T time.Time
	V float64
}

// series runs a range query that must give at most one series, sampled at every step (gaps are NaN).
func (a *Analyzer) series(ctx context.Context, q string, from, to time.Time, step time.Duration) ([]Point, error) {
	ctx, cancel := context.WithTimeout(ctx, a.QueryTimeout)
	defer cancel()
	val, _, _, err := a.API.QueryRange(ctx, q, v1.Range{Start: from, End: to, Step: step}, v1.WithTimeout(a.QueryTimeout))
	if err != nil {
		return nil, queryErr(err)
	}
	var out []Point
	for t := from; !t.After(to); t = t.Add(step) {
		out = append(out, Point{T: t, V: math.NaN()})
	}
	m, _ := val.(model.Matrix)
	if len(m) == 0 {
		return out, nil
	}
	for _, sp := range m[0].Values {
		i := int(math.Round(float64(sp.Timestamp.Time().Sub(from)) / float64(step)))
		if i >= 0 && i < len(out) {
			out[i].V = float64(sp.Value)
		}
	}
	return out, nil
}

func queryErr(err error) error {
	var apiErr *v1.Error
	if errors.As(err, &apiErr) && apiErr.Type != v1.ErrClient && apiErr.Type != v1.ErrServer {
		return fmt.Errorf("query rejected: %w", err) // bad_data, execution, ...: Prometheus is there
	}
	return fmt.Errorf("%w: %v", ErrUnreachable, err)
}

// Ping checks that Prometheus answers.
func (a *Analyzer) Ping(ctx context.Context) error {
	_, _, err := a.instant(ctx, "vector(1)", a.now())
	return err
}

// P95Query is the 95th percentile of a service's server spans over the range, in ms.
func P95Query(service, rng string) string {
	return fmt.Sprintf(`histogram_quantile(0.95, sum by (le) (rate(%s{service_name=%q, span_kind=%q}[%s])))`,
		slo.DurationBucket, service, slo.ServerSpanKind, rng)
}

// ErrorRatioQuery is the share of a service's server spans that ended in error over the range.
func ErrorRatioQuery(service, rng string) string {
	return slo.SLO{Service: service, Kind: slo.Availability}.ErrorRatioQuery(rng)
}

// NotReadyQuery is desired minus ready replicas of the target Deployment (kube-state-metrics).
func NotReadyQuery(ns, deployment string) string {
	sel := fmt.Sprintf(`{namespace=%q, deployment=%q}`, ns, deployment)
	return fmt.Sprintf(`sum(kube_deployment_spec_replicas%s) - sum(kube_deployment_status_replicas_ready%s)`, sel, sel)
}

// ReadyQuery is the ready replicas of the target Deployment.
func ReadyQuery(ns, deployment string) string {
	return fmt.Sprintf(`sum(kube_deployment_status_replicas_ready{namespace=%q, deployment=%q})`, ns, deployment)
}

// RestartsQuery counts container restarts of the Deployment's pods over the range.
func RestartsQuery(ns, deployment, rng string) string {
	return fmt.Sprintf(`sum(increase(kube_pod_container_status_restarts_total{namespace=%q, pod=~%q}[%s]))`,
		ns, deployment+"-[a-z0-9]+-[a-z0-9]+", rng)
}

// AnalyzeWindow judges one window.
func (a *Analyzer) AnalyzeWindow(ctx context.Context, w Window) (WindowReport, error) {
	st := a.Settings
	wr := WindowReport{Window: w}
	if wr.Target == "" {
		wr.Target = st.Target
	}
	now := a.now()
	afterEnd := w.End.Add(st.After)
	if afterEnd.After(now) {
		afterEnd = now
	}
	observedAfter := afterEnd.Sub(w.End)
	during := w.End.Sub(w.Start)
	if during < st.RateWindow {
		during = st.RateWindow
		wr.Notes = append(wr.Notes, fmt.Sprintf("window shorter than the rate window; SLIs during it read over the %s before its end", promRange(st.RateWindow)))
	}
	if w.Ongoing {
		wr.Notes = append(wr.Notes, "the fault was still injected when the report was made")
	}
	if observedAfter < st.RateWindow {
		wr.Notes = append(wr.Notes, fmt.Sprintf("only %s observed after the window; recovery cannot be judged yet", observedAfter.Round(time.Second)))
	}

	for _, s := range a.SLOs {
		r := SLIResult{SLO: s.Name, Service: s.Service, Kind: s.Kind, Objective: s.Objective}
		var why string
		var err error
		if r.Baseline, why, err = a.instant(ctx, s.SLIQuery(promRange(st.Baseline)), w.Start); err != nil {
			return wr, err
		}
		baseWhy := why
		if r.During, why, err = a.instant(ctx, s.SLIQuery(promRange(during)), w.End); err != nil {
			return wr, err
		}
		duringWhy := why
		if observedAfter >= st.RateWindow {
			if r.After, _, err = a.instant(ctx, s.SLIQuery(promRange(observedAfter)), afterEnd); err != nil {
				return wr, err
			}
		}
		var rolling []Point
		if afterEnd.After(w.Start) {
			if rolling, err = a.series(ctx, s.SLIQuery(promRange(st.RateWindow)), w.Start, afterEnd, st.Step); err != nil {
				return wr, err
			}
		}
		r.Worst = minFinite(rolling)
		tol := st.Tolerance * s.ErrorBudget()
		switch {
		case r.Baseline == nil:
			r.Verdict, r.Reason = Unknown, "no baseline: "+baseWhy+" in the "+promRange(st.Baseline)+" before the window"
		case r.During == nil:
			r.Verdict, r.Reason = Unknown, "no data during the window: "+duringWhy
		default:
			r.RecoverySeconds = Recovery(rolling, w.End, *r.Baseline-tol, st.Consecutive, st.RateWindow)
			r.Verdict, r.Reason = judge(s, r, tol, observedAfter >= st.RateWindow)
		}
		wr.SLIs = append(wr.SLIs, r)
	}
	wr.Verdict, wr.RecoverySeconds = combine(wr.SLIs)
	if err := a.impact(ctx, &wr, w, during, afterEnd); err != nil {
		return wr, err
	}
	wr.Score = Score(wr, a.SLOs, st.RecoveryBudget)
	return wr, nil
}

func judge(s slo.SLO, r SLIResult, tol float64, afterObserved bool) (string, string) {
	if *r.During < s.Objective {
		return Violated, fmt.Sprintf("SLI %.4f during the fault is below the objective %.4f", *r.During, s.Objective)
	}
	if r.After != nil && *r.After < s.Objective {
		return Violated, fmt.Sprintf("SLI %.4f after the fault is below the objective %.4f", *r.After, s.Objective)
	}
	if *r.Baseline < s.Objective {
		return Violated, fmt.Sprintf("the baseline %.4f was already below the objective %.4f", *r.Baseline, s.Objective)
	}
	if *r.During < *r.Baseline-tol {
		return Degraded, fmt.Sprintf("SLI fell from %.4f to %.4f (tolerance %.4f) but met the objective %.4f", *r.Baseline, *r.During, tol, s.Objective)
	}
	if afterObserved && r.RecoverySeconds == nil {
		return Degraded, "SLI did not stay within tolerance of its baseline after the fault"
	}
	return Held, fmt.Sprintf("SLI stayed within %.4f of its baseline %.4f", tol, *r.Baseline)
}

// combine gives the window's verdict (violated > unknown > degraded > held) and its recovery: the slowest
// SLO's, null if any judged SLO did not recover.
func combine(rs []SLIResult) (string, *float64) {
	rank := map[string]int{Held: 0, Degraded: 1, Unknown: 2, Violated: 3}
	verdict := Unknown
	if len(rs) > 0 {
		verdict = Held
	}
	var rec *float64
	never := false
	for _, r := range rs {
		if rank[r.Verdict] > rank[verdict] {
			verdict = r.Verdict
		}
		if r.Verdict == Unknown {
			continue
		}
		if r.RecoverySeconds == nil {
			never = true
		} else if rec == nil || *r.RecoverySeconds > *rec {
			v := *r.RecoverySeconds
			rec = &v
		}
	}
	if never || verdict == Unknown {
		rec = nil
	}
	return verdict, rec
}

// Recovery is the time from end to the first moment from which the rolling SLI stays at or above floor for n
// consecutive samples. A rolling SLI at t covers (t−rateWindow, t], so that moment is the start of the first
// good sample's range: t−rateWindow (never before end). Nil when it never happens in the samples.
func Recovery(rolling []Point, end time.Time, floor float64, n int, rateWindow time.Duration) *float64 {
	if n < 1 {
		n = 1
	}
	run := 0
	for i, p := range rolling {
		if p.T.Before(end) {
			continue
		}
		if math.IsNaN(p.V) || p.V < floor {
			run = 0
			continue
		}
		run++
		if run == n {
			first := rolling[i-n+1].T.Add(-rateWindow)
			secs := math.Max(0, first.Sub(end).Seconds())
			return &secs
		}
	}
	return nil
}

func minFinite(ps []Point) *float64 {
	var m *float64
	for _, p := range ps {
		if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
			continue
		}
		if m == nil || p.V < *m {
			v := p.V
			m = &v
		}
	}
	return m
}

func (a *Analyzer) impact(ctx context.Context, wr *WindowReport, w Window, during time.Duration, afterEnd time.Time) error {
	st := a.Settings
	svc := wr.Target
	if svc == "" && len(a.SLOs) > 0 {
		svc = a.SLOs[0].Service
		wr.Notes = append(wr.Notes, fmt.Sprintf("no target known for this window; impact is shown for %s", svc))
	}
	im := Impact{Service: svc}
	var err error
	if im.P95BaselineMs, _, err = a.instant(ctx, P95Query(svc, promRange(st.Baseline)), w.Start); err != nil {
		return err
	}
	if im.P95DuringMs, _, err = a.instant(ctx, P95Query(svc, promRange(during)), w.End); err != nil {
		return err
	}
	im.DeltaP95Ms = delta(im.P95DuringMs, im.P95BaselineMs)
	if im.ErrorRatioBaseline, _, err = a.instant(ctx, ErrorRatioQuery(svc, promRange(st.Baseline)), w.Start); err != nil {
		return err
	}
	if im.ErrorRatioDuring, _, err = a.instant(ctx, ErrorRatioQuery(svc, promRange(during)), w.End); err != nil {
		return err
	}
	im.DeltaErrorRatio = delta(im.ErrorRatioDuring, im.ErrorRatioBaseline)
	if afterEnd.After(w.Start) {
		notReady, err := a.series(ctx, NotReadyQuery(st.Namespace, svc), w.Start, afterEnd, st.Step)
		if err != nil {
			return err
		}
		im.PodsNotReadyMax = maxFinite(notReady)
		if im.Restarts, _, err = a.instant(ctx, RestartsQuery(st.Namespace, svc, promRange(afterEnd.Sub(w.Start))), afterEnd); err != nil {
			return err
		}
		if im.Restarts != nil {
			r := math.Round(*im.Restarts)
			im.Restarts = &r
		}
	}
	if im.PodsNotReadyMax == nil {
		wr.Notes = append(wr.Notes, fmt.Sprintf("no kube-state-metrics series for deployment %s in %s", svc, st.Namespace))
	}
	wr.Impact = im
	return nil
}

func maxFinite(ps []Point) *float64 {
	var m *float64
	for _, p := range ps {
		if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
			continue
		}
		if m == nil || p.V > *m {
			v := p.V
			m = &v
		}
	}
	return m
}

func delta(a, b *float64) *float64 {
	if a == nil || b == nil {
		return nil
	}
	d := *a - *b
	return &d
}

// Score is the window's resilience score, 0..100, or nil when the verdict is unknown:
//
//	depth    D = max over SLOs of min(1, max(0, baseline − during) / (1 − objective))
//	recovery R = min(1, recoverySeconds / recoveryBudget), 1 when it never recovered
//	score      = 100 × (1 − 0.7·D − 0.3·R), at most 50 when violated
//
// D is the share of the error budget the fault consumed at its worst SLO; R how slowly it healed.
func Score(wr WindowReport, slos []slo.SLO, recoveryBudget time.Duration) *float64 {
	if wr.Verdict == Unknown {
		return nil
	}
	d := 0.0
	for _, r := range wr.SLIs {
		if r.Baseline == nil || r.During == nil {
			continue
		}
		budget := 1 - r.Objective
		if budget <= 0 {
			continue
		}
		d = math.Max(d, math.Min(1, math.Max(0, *r.Baseline-*r.During)/budget))
	}
	rr := 1.0
	if wr.RecoverySeconds != nil {
		rr = math.Min(1, *wr.RecoverySeconds/recoveryBudget.Seconds())
	}
	s := 100 * (1 - 0.7*d - 0.3*rr)
	if wr.Verdict == Violated {
		s = math.Min(s, 50)
	}
	s = math.Round(math.Max(0, math.Min(100, s))*10) / 10
	return &s
}

// Analyze judges every window and summarises them.
func (a *Analyzer) Analyze(ctx context.Context, scenario string, ws []Window, from, to time.Time) (*Report, error) {
	rep := &Report{SchemaVersion: 1, Scenario: scenario, From: from.UTC(), To: to.UTC(), GeneratedAt: a.now().UTC(),
		Settings: a.Settings, Windows: []WindowReport{}, Plots: []string{}}
	for _, w := range ws {
		wr, err := a.AnalyzeWindow(ctx, w)
		if err != nil {
			return nil, err
		}
		rep.Windows = append(rep.Windows, wr)
	}
	rep.Verdict, rep.Score = Summarise(rep.Windows)
	return rep, nil
}

// Summarise gives the worst verdict (unknown when there are no windows) and the mean judged score.
func Summarise(ws []WindowReport) (string, *float64) {
	if len(ws) == 0 {
		return Unknown, nil
	}
	rank := map[string]int{Held: 0, Degraded: 1, Unknown: 2, Violated: 3}
	verdict, sum, n := Held, 0.0, 0
	for _, w := range ws {
		if rank[w.Verdict] > rank[verdict] {
			verdict = w.Verdict
		}
		if w.Score != nil {
			sum += *w.Score
			n++
		}
	}
	if n == 0 {
		return verdict, nil
	}
	m := math.Round(sum/float64(n)*10) / 10
	return verdict, &m
}

// ExitCode is the contract for CI: 0 held/degraded, 2 any violated, 3 missing data.
func ExitCode(rep *Report) int {
	if len(rep.Windows) == 0 {
		return 3
	}
	code := 0
	for _, w := range rep.Windows {
		switch w.Verdict {
		case Violated:
			return 2
		case Unknown:
			code = 3
		}
	}
	return code
}

func sortedServices(slos []slo.SLO, extra ...string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range slos {
		if !seen[s.Service] {
			seen[s.Service] = true
			out = append(out, s.Service)
		}
	}
	for _, s := range extra {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
