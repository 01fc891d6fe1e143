package experiment

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

// judge waits for the recovery period, then runs the report on the windows the watch saw.
func (r *run) judge(ctx context.Context) int {
	now := r.w.Clock.Now()
	r.times.judgeStart = now
	defer func() { r.times.judgeEnd = r.w.Clock.Now() }()
	windows, err := r.track.windows(now, r.started, r.flagOff)
	if err != nil {
		code, _ := r.failf(ExitUnknown, "reading the fault windows: %v", err)
		return code
	}
	r.windows = windows
	runs, injected, failed := r.track.counts()
	r.out.say("seen: %d run(s), %d injection(s), %d failure(s) to inject or recover, %d fault window(s)", runs, injected, failed, len(windows))
	for _, w := range windows {
		r.out.say("window %s → %s  %s on %s (%s)", w.Start.Format(timeFormat), w.End.Format(timeFormat), w.Scenario, orNone(w.Target), w.Source)
	}
	if len(windows) == 0 {
		r.out.say("no fault window: %s", r.noWindowReason(runs, failed))
	} else if !r.intr.interrupted() {
		r.settle(ctx, windows)
	}

	rctx, done := r.intr.stoppable(ctx, "stopping the report")
	defer done()
	url, closeProm, err := r.cluster.Prometheus(rctx, r.o.Prometheus)
	if err != nil {
		code, _ := r.failf(ExitUnknown, "cannot judge: Prometheus: %v", err)
		return code
	}
	defer closeProm()
	code := r.w.Judge(rctx, r.reportOptions(url, windows), r.stdout, r.stderr)
	if rctx.Err() != nil {
		code, _ = r.failf(ExitUnknown, "interrupted during the report: no verdict")
	}
	code = r.finalCode(code)
	r.out.say("verdict: %s (exit %d); report in %s", verdictWords(code), code, r.o.OutDir)
	return code
}

// finalCode is the run's exit code given the report's: a fault that did not land voids the experiment
// (exit 5, whatever the SLOs did), and a run cut short, by an interrupt or by someone deleting its chaos,
// never passes (exit 3 at best).
func (r *run) finalCode(reportCode int) int {
	if len(r.noStrike) > 0 {
		for _, why := range r.noStrike {
			fmt.Fprintf(r.stderr, "chaoslab run: %s\n", why)
		}
		return ExitNoStrike
	}
	if reportCode != ExitOK {
		return reportCode
	}
	for _, st := range r.track.strikes() {
		if st.DeletedByOther {
			fmt.Fprintf(r.stderr, "chaoslab run: the chaos of %s was deleted by someone else than this run: the experiment was cut short, so it cannot pass\n", st.Scenario.Name)
			return ExitUnknown
		}
	}
	if r.intr.interrupted() {
		fmt.Fprintln(r.stderr, "chaoslab run: interrupted: the experiment and its recovery were cut short, so it cannot pass")
		return ExitUnknown
	}
	return ExitOK
}

func orNone(s string) string {
	if s == "" {
		return "(no target)"
	}
	return s
}

func (r *run) noWindowReason(runs, failed int) string {
	switch {
	case failed > 0:
		return fmt.Sprintf("Chaos Mesh failed to inject %d time(s); see the lines above and the chaos objects' events", failed)
	case runs == 0 && r.track != nil && r.hasSchedule():
		return "the Schedule did not run while it was on (the first run of a Schedule comes one interval after it is created): give a longer --for"
	default:
		return "nothing was injected while the scenarios were on"
	}
}

func (r *run) hasSchedule() bool {
	for _, s := range r.ours {
		if s.Kind == KindSchedule {
			return true
		}
	}
	return false
}

// settle waits until --after has passed since the last fault ended, so that the report sees the recovery.
func (r *run) settle(ctx context.Context, windows []report.Window) {
	last := windows[0].End
	for _, w := range windows {
		if w.End.After(last) {
			last = w.End
		}
	}
	wait := last.Add(r.o.After).Sub(r.w.Clock.Now())
	if wait <= 0 {
		return
	}
	sctx, done := r.intr.stoppable(ctx, "judging now, without the rest of the recovery period")
	defer done()
	r.out.say("waiting %s for recovery (--after %s from the last fault's end) before judging", wait.Round(time.Second), r.o.After)
	select {
	case <-r.w.Clock.After(wait):
	case <-sctx.Done():
	}
}

func (r *run) reportOptions(url string, windows []report.Window) report.Options {
	settings := report.DefaultSettings()
	settings.After = r.o.After
	if r.plan.ShopNamespace != "" {
		settings.Namespace = r.plan.ShopNamespace
	}
	o := report.Options{
		Prometheus: url,
		Windows:    windows,
		From:       r.started,
		To:         r.w.Clock.Now(),
		OutDir:     r.o.OutDir,
		SLOs:       r.plan.SLOs,
		Settings:   settings,
		Title:      fmt.Sprintf("chaoslab run: %s on stack %s", strings.Join(r.names(), ", "), r.stack.Name),
		Now:        r.w.Clock.Now,
		JUnit:      r.o.JUnit,
	}
	if len(r.ours) == 1 {
		o.Scenario = r.ours[0].Name
	}
	return o
}

func verdictWords(code int) string {
	switch code {
	case ExitOK:
		return "every SLO held"
	case ExitViolated:
		return "an SLO was violated"
	case ExitUnknown:
		return "could not judge"
	case ExitNoStrike:
		return "a fault did not land, so the experiment is void"
	default:
		return "the report failed"
	}
}
