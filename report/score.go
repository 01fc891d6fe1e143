package report

import (
	"math"
	"time"
)

// Score is the window's resilience score, 0..100, or nil when the verdict is unknown:
//
//	depth    D = max over SLOs of min(1, max(0, baseline − during) / (1 − objective))
//	recovery R = min(1, recoverySeconds / recoveryBudget), 1 when it did not recover or is not known
//	score      = 100 × (1 − 0.7·D − 0.3·R), at most 50 when violated
//
// D is the share of the error budget the fault consumed at its worst SLO; R how slowly it healed.
func Score(wr WindowReport, recoveryBudget time.Duration) *float64 {
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

// Summarise gives the worst verdict (unknown when there are no windows) and the mean judged score.
func Summarise(ws []WindowReport) (string, *float64) {
	if len(ws) == 0 {
		return Unknown, nil
	}
	verdict, sum, n := Held, 0.0, 0
	for _, w := range ws {
		if verdictRank[w.Verdict] > verdictRank[verdict] {
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

// ExitCode is the contract for CI: 0 held or degraded, 2 any violated, 3 data missing (or no window at all).
func ExitCode(rep *Report) int {
	if len(rep.Windows) == 0 {
		return ExitMissingData
	}
	code := ExitOK
	for _, w := range rep.Windows {
		switch w.Verdict {
		case Violated:
			return ExitViolated
		case Unknown:
			code = ExitMissingData
		}
	}
	return code
}
