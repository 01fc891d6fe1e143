package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// JudgeWindow judges one window from its data alone, without querying: each SLO's verdict and recovery, the
// window's verdict (the worst SLO's) and recovery (the slowest SLO's), the impact on the target, the observed
// blast radius and the score.
func JudgeWindow(d WindowData, st Settings) WindowReport {
	wr := WindowReport{Window: d.Span.Window}
	for _, s := range d.SLIs {
		wr.SLIs = append(wr.SLIs, judgeSLI(s, d.Span, st, d.Bounds[s.SLO.Service]))
	}
	wr.Verdict, wr.RecoverySeconds, wr.Recovery = combine(wr.SLIs)
	var notes []string
	wr.Impact, notes = impactOf(d, st.Namespace)
	wr.Notes = append(wr.Notes, notes...)
	var uncompared []string
	wr.Observed, wr.ServicesCompared, uncompared = ObservedBlastRadius(d.Services, d.Span.Target, st.Observed)
	if len(uncompared) > 0 {
		wr.Notes = append(wr.Notes, fmt.Sprintf("not compared for the observed blast radius (no server traffic before or during the window): %s",
			strings.Join(uncompared, ", ")))
	}
	wr.Score = Score(wr, st.RecoveryBudget)
	return wr
}

// judgeSLI judges one SLO from its readings: unknown without a baseline or a reading during the window (with
// the reason, naming a latency threshold that is no bound of the histogram), else its recovery and verdict.
func judgeSLI(d SLIData, sp Span, st Settings, bounds []float64) SLIResult {
	s := d.SLO
	r := SLIResult{SLO: s.Name, Service: s.Service, Kind: s.Kind, Objective: s.Objective,
		Baseline: d.SLI.Baseline.V, During: d.SLI.During.V, After: d.SLI.After.V, Worst: minFinite(d.Rolling)}
	switch {
	case r.Baseline == nil:
		r.Verdict, r.Recovery = Unknown, NoData
		r.Reason = "no baseline: " + explainMissing(s, d.SLI.Baseline.Why, bounds) + " in the " + promRange(st.Baseline) + " before the window"
		return r
	case r.During == nil:
		r.Verdict, r.Recovery = Unknown, NoData
		r.Reason = "no data during the window: " + explainMissing(s, d.SLI.During.Why, bounds)
		return r
	}
	tol := st.Tolerance * s.ErrorBudget()
	secs := Recovery(d.Rolling, sp.End, *r.Baseline-tol, st.Consecutive, st.RateWindow)
	if r.Recovery = recoveryStatus(secs, d.Rolling, sp.End, sp.AfterObserved); r.Recovery == Recovered {
		r.RecoverySeconds = secs
	}
	r.Verdict, r.Reason = judge(s, r, tol, sp.AfterEnd.Sub(sp.End), st.After)
	return r
}

// judge gives the verdict of an SLO whose baseline and "during" SLI were read. A violation is certain as
// soon as it is seen. Held and degraded are not: they need the recovery to have been watched with data, for
// until then the SLI may still fall below its objective. So an SLO whose recovery was not observed, or had no
// data, is unknown, never held. observed is how much of the watched time after the fault had passed.
func judge(s slo.SLO, r SLIResult, tol float64, observed, watched time.Duration) (string, string) {
	if *r.During < s.Objective {
		return Violated, fmt.Sprintf("SLI %.4f during the fault is below the objective %.4f", *r.During, s.Objective)
	}
	if r.After != nil && *r.After < s.Objective {
		return Violated, fmt.Sprintf("SLI %.4f after the fault is below the objective %.4f", *r.After, s.Objective)
	}
	if *r.Baseline < s.Objective {
		return Violated, fmt.Sprintf("the baseline %.4f was already below the objective %.4f", *r.Baseline, s.Objective)
	}
	fell := *r.During < *r.Baseline-tol
	fall := ""
	if fell {
		fall = fmt.Sprintf("SLI fell from %.4f to %.4f (tolerance %.4f); ", *r.Baseline, *r.During, tol)
	}
	switch r.Recovery {
	case NotObservedYet:
		return Unknown, fmt.Sprintf("%srecovery not observed: only %s of the %s watched after the fault had passed "+
			"(a run cut short, or a report made too soon); report again once it has", fall, observed.Round(time.Second), watched)
	case NoData:
		return Unknown, fall + "no data after the fault: whether the SLI came back cannot be told"
	case NotRecovered:
		return Degraded, fmt.Sprintf("%sSLI did not come back within %.4f of its baseline in the %s watched after the fault", fall, tol, watched)
	}
	if fell {
		return Degraded, fmt.Sprintf("SLI fell from %.4f to %.4f (tolerance %.4f) but met the objective %.4f and came back", *r.Baseline, *r.During, tol, s.Objective)
	}
	return Held, fmt.Sprintf("SLI stayed within %.4f of its baseline %.4f", tol, *r.Baseline)
}

// verdictRank orders verdicts from best to worst: unknown is worse than degraded, since it may hide anything.
var verdictRank = map[string]int{Held: 0, Degraded: 1, Unknown: 2, Violated: 3}

// recoveryRank orders what is known of recoveries from best to worst.
var recoveryRank = map[RecoveryStatus]int{Recovered: 0, NotObservedYet: 1, NoData: 2, NotRecovered: 3}

// combine gives the window's verdict (violated > unknown > degraded > held; unknown without SLOs) and its
// recovery: the slowest SLO's when every SLO recovered, else the worst status (not recovered > no data > not
// observed yet), unknown SLOs included, since the slowest SLO's recovery is then not known.
func combine(rs []SLIResult) (string, *float64, RecoveryStatus) {
	if len(rs) == 0 {
		return Unknown, nil, NoData
	}
	verdict, status := Held, Recovered
	var slowest *float64
	for _, r := range rs {
		if verdictRank[r.Verdict] > verdictRank[verdict] {
			verdict = r.Verdict
		}
		if recoveryRank[r.Recovery] > recoveryRank[status] {
			status = r.Recovery
		}
		if r.RecoverySeconds != nil && (slowest == nil || *r.RecoverySeconds > *slowest) {
			v := *r.RecoverySeconds
			slowest = &v
		}
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

// recoveryStatus says what is known of a recovery: it came back (secs), it did not in the data after the
// fault, there was no data, or too little time has passed. A recovery counts only once "after" has been
// observed (one rate window): until then an SLI that came back may still fall below its objective.
func recoveryStatus(secs *float64, rolling []Point, end time.Time, afterObserved bool) RecoveryStatus {
	switch {
	case !afterObserved:
		return NotObservedYet
	case secs != nil:
		return Recovered
	}
	for _, p := range rolling {
		if !p.T.Before(end) && !math.IsNaN(p.V) && !math.IsInf(p.V, 0) {
			return NotRecovered
		}
	}
	return NoData
}

// explainMissing says why an SLI read nothing, more precisely than "no data" where it can: a latency SLO whose
// threshold is not one of the service's histogram bounds reads nothing although the histogram has series, and
// the fix is in the collector's buckets or the SLO's threshold, not in the traffic.
func explainMissing(s slo.SLO, why string, bounds []float64) string {
	if s.Kind != slo.Latency || len(bounds) == 0 || slices.Contains(bounds, s.ThresholdMs) {
		return why
	}
	listed := make([]string, len(bounds))
	for i, b := range bounds {
		listed[i] = strconv.FormatFloat(b, 'f', -1, 64)
	}
	return fmt.Sprintf("no le=%q bucket in %s's latency histogram; the collector's buckets are %s ms (a latency SLO's threshold must be one of them)",
		strconv.FormatFloat(s.ThresholdMs, 'f', -1, 64), s.Service, strings.Join(listed, ", "))
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
