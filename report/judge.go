package report

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// watch is the time around one fault window over which its SLIs are read.
type watch struct {
	Window
	// during is the range of the "during" SLI: the window, or one rate window when the window is shorter.
	during time.Duration
	// afterEnd ends the "after" period: Settings.After past the window, or now if that is sooner.
	afterEnd time.Time
	// afterObserved says whether enough of "after" has passed (one rate window) to judge a recovery.
	afterObserved bool
}

func (a *Analyzer) watchOf(w Window) (watch, []string) {
	st := a.Settings
	wt := watch{Window: w, during: w.End.Sub(w.Start), afterEnd: w.End.Add(st.After)}
	if now := a.now(); wt.afterEnd.After(now) {
		wt.afterEnd = now
	}
	observedAfter := wt.afterEnd.Sub(w.End)
	wt.afterObserved = observedAfter >= st.RateWindow
	var notes []string
	if wt.during < st.RateWindow {
		wt.during = st.RateWindow
		notes = append(notes, fmt.Sprintf("window shorter than the rate window; SLIs during it read over the %s before its end", promRange(st.RateWindow)))
	}
	if w.Ongoing {
		notes = append(notes, "the fault was still injected when the report was made")
	}
	if !wt.afterObserved {
		notes = append(notes, fmt.Sprintf("only %s observed after the window; recovery cannot be judged yet", observedAfter.Round(time.Second)))
	}
	return wt, notes
}

// targetOf is the service whose impact a window shows: the window's own target, else --target, else the
// target of the preset that the window's scenario names, else the first SLO's service. The note says which
// guess was made, if any.
func (a *Analyzer) targetOf(w Window) (string, string) {
	switch {
	case w.Target != "":
		return w.Target, ""
	case a.Settings.Target != "":
		return a.Settings.Target, ""
	}
	if t, ok := scenarios.PresetTarget(w.Scenario); ok {
		return t, fmt.Sprintf("target %s is the preset %s's; name a target in the windows file if your config changes it", t, w.Scenario)
	}
	if len(a.SLOs) > 0 {
		return a.SLOs[0].Service, fmt.Sprintf("no target known for this window; impact is shown for %s", a.SLOs[0].Service)
	}
	return "", ""
}

// AnalyzeWindow judges one window.
func (a *Analyzer) AnalyzeWindow(ctx context.Context, w Window) (WindowReport, error) {
	wr := WindowReport{Window: w}
	target, note := a.targetOf(w)
	wr.Target = target
	if note != "" {
		wr.Notes = append(wr.Notes, note)
	}
	wt, notes := a.watchOf(wr.Window)
	wr.Notes = append(wr.Notes, notes...)
	for _, s := range a.SLOs {
		r, err := a.judgeSLO(ctx, s, wt)
		if err != nil {
			return wr, err
		}
		wr.SLIs = append(wr.SLIs, r)
	}
	wr.Verdict, wr.RecoverySeconds, wr.Recovery = combine(wr.SLIs)
	if err := a.impact(ctx, &wr, wt); err != nil {
		return wr, err
	}
	wr.Score = Score(wr, a.SLOs, a.Settings.RecoveryBudget)
	return wr, nil
}

// judgeSLO reads one SLO's SLI before, during and after the window, and its rolling SLI from the start of
// the window to the end of "after", and judges them.
func (a *Analyzer) judgeSLO(ctx context.Context, s slo.SLO, wt watch) (SLIResult, error) {
	st := a.Settings
	r := SLIResult{SLO: s.Name, Service: s.Service, Kind: s.Kind, Objective: s.Objective}
	var baseWhy, duringWhy string
	var err error
	if r.Baseline, baseWhy, err = a.instant(ctx, s.SLIQuery(promRange(st.Baseline)), wt.Start); err != nil {
		return r, err
	}
	if r.During, duringWhy, err = a.instant(ctx, s.SLIQuery(promRange(wt.during)), wt.End); err != nil {
		return r, err
	}
	if wt.afterObserved {
		if r.After, _, err = a.instant(ctx, s.SLIQuery(promRange(wt.afterEnd.Sub(wt.End))), wt.afterEnd); err != nil {
			return r, err
		}
	}
	var rolling []Point
	if wt.afterEnd.After(wt.Start) {
		if rolling, err = a.series(ctx, s.SLIQuery(promRange(st.RateWindow)), wt.Start, wt.afterEnd, st.Step); err != nil {
			return r, err
		}
	}
	r.Worst = minFinite(rolling)
	switch {
	case r.Baseline == nil:
		why, err := a.explainMissing(ctx, s, baseWhy, promRange(st.Baseline), wt.Start)
		r.Verdict, r.Recovery, r.Reason = Unknown, NoData, "no baseline: "+why+" in the "+promRange(st.Baseline)+" before the window"
		return r, err
	case r.During == nil:
		why, err := a.explainMissing(ctx, s, duringWhy, promRange(wt.during), wt.End)
		r.Verdict, r.Recovery, r.Reason = Unknown, NoData, "no data during the window: "+why
		return r, err
	}
	tol := st.Tolerance * s.ErrorBudget()
	r.RecoverySeconds = Recovery(rolling, wt.End, *r.Baseline-tol, st.Consecutive, st.RateWindow)
	r.Recovery = recoveryStatus(r.RecoverySeconds, rolling, wt.End, wt.afterObserved)
	r.Verdict, r.Reason = judge(s, r, tol, st.After)
	return r, nil
}

// judge gives the verdict of an SLO whose baseline and "during" SLI were read.
func judge(s slo.SLO, r SLIResult, tol float64, watched time.Duration) (string, string) {
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
	switch r.Recovery {
	case NotRecovered:
		return Degraded, fmt.Sprintf("SLI did not come back within %.4f of its baseline in the %s watched after the fault", tol, watched)
	case NoData:
		return Unknown, "no data after the fault: whether the SLI came back cannot be told"
	}
	return Held, fmt.Sprintf("SLI stayed within %.4f of its baseline %.4f", tol, *r.Baseline)
}

// verdictRank orders verdicts from best to worst: unknown is worse than degraded, since it may hide anything.
var verdictRank = map[string]int{Held: 0, Degraded: 1, Unknown: 2, Violated: 3}

// recoveryRank orders what is known of recoveries from best to worst.
var recoveryRank = map[RecoveryStatus]int{Recovered: 0, NotObservedYet: 1, NoData: 2, NotRecovered: 3}

// combine gives the window's verdict (violated > unknown > degraded > held) and its recovery: the slowest
// SLO's when every judged SLO recovered, else the worst status (not recovered > no data > not observed yet).
func combine(rs []SLIResult) (string, *float64, RecoveryStatus) {
	verdict := Unknown
	if len(rs) > 0 {
		verdict = Held
	}
	status := Recovered
	var slowest *float64
	for _, r := range rs {
		if verdictRank[r.Verdict] > verdictRank[verdict] {
			verdict = r.Verdict
		}
		if r.Verdict == Unknown {
			continue
		}
		if recoveryRank[r.Recovery] > recoveryRank[status] {
			status = r.Recovery
		}
		if r.RecoverySeconds != nil && (slowest == nil || *r.RecoverySeconds > *slowest) {
			v := *r.RecoverySeconds
			slowest = &v
		}
	}
	if verdict == Unknown {
		return verdict, nil, NoData
	}
	if status != Recovered {
		return verdict, nil, status
	}
	return verdict, slowest, Recovered
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

// recoveryStatus says what a missing recovery means: data that never came back, no data, or too little time.
func recoveryStatus(secs *float64, rolling []Point, end time.Time, afterObserved bool) RecoveryStatus {
	switch {
	case secs != nil:
		return Recovered
	case !afterObserved:
		return NotObservedYet
	}
	for _, p := range rolling {
		if !p.T.Before(end) && !math.IsNaN(p.V) && !math.IsInf(p.V, 0) {
			return NotRecovered
		}
	}
	return NoData
}

// impact reads what the fault did to the window's target.
func (a *Analyzer) impact(ctx context.Context, wr *WindowReport, wt watch) error {
	st := a.Settings
	svc := wr.Target
	im := Impact{Service: svc}
	var err error
	if im.P95BaselineMs, _, err = a.instant(ctx, slo.P95Query(svc, promRange(st.Baseline)), wt.Start); err != nil {
		return err
	}
	if im.P95DuringMs, _, err = a.instant(ctx, slo.P95Query(svc, promRange(wt.during)), wt.End); err != nil {
		return err
	}
	im.DeltaP95Ms = delta(im.P95DuringMs, im.P95BaselineMs)
	if im.ErrorRatioBaseline, _, err = a.instant(ctx, ErrorRatioQuery(svc, promRange(st.Baseline)), wt.Start); err != nil {
		return err
	}
	if im.ErrorRatioDuring, _, err = a.instant(ctx, ErrorRatioQuery(svc, promRange(wt.during)), wt.End); err != nil {
		return err
	}
	im.DeltaErrorRatio = delta(im.ErrorRatioDuring, im.ErrorRatioBaseline)
	if wt.afterEnd.After(wt.Start) {
		notReady, err := a.series(ctx, NotReadyQuery(st.Namespace, svc), wt.Start, wt.afterEnd, st.Step)
		if err != nil {
			return err
		}
		im.PodsNotReadyMax = maxFinite(notReady)
		if im.Restarts, _, err = a.instant(ctx, RestartsQuery(st.Namespace, svc, promRange(wt.afterEnd.Sub(wt.Start))), wt.afterEnd); err != nil {
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

func minFinite(ps []Point) *float64 {
	return extremeFinite(ps, func(a, b float64) bool { return a < b })
}

func maxFinite(ps []Point) *float64 {
	return extremeFinite(ps, func(a, b float64) bool { return a > b })
}

// extremeFinite is the finite sample that beats every other one; nil when there is none.
func extremeFinite(ps []Point, beats func(a, b float64) bool) *float64 {
	var m *float64
	for _, p := range ps {
		if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
			continue
		}
		if m == nil || beats(p.V, *m) {
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
