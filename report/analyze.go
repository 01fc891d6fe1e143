package report

import (
	"context"
	"fmt"
	"time"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

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

// AnalyzeWindow judges one window: it names the target, reads the window's data once, and judges the data.
func (a *Analyzer) AnalyzeWindow(ctx context.Context, w Window) (WindowReport, error) {
	var notes []string
	var note string
	w.Target, note = targetOf(w, a.Settings.Target)
	if note != "" {
		notes = append(notes, note)
	}
	sp, spanNotes := spanOf(w, a.Settings, a.now())
	notes = append(notes, spanNotes...)
	d, err := a.fetchWindow(ctx, sp)
	if err != nil {
		return WindowReport{Window: w}, err
	}
	wr := JudgeWindow(d, a.Settings)
	wr.Notes = append(notes, wr.Notes...)
	return wr, nil
}

// Span is one fault window with the periods around it over which its series are read.
type Span struct {
	Window
	// During is the range of the "during" readings: the window, or one rate window when the window is shorter.
	During time.Duration
	// AfterEnd ends the "after" period: Settings.After past the window, or now if that is sooner.
	AfterEnd time.Time
	// AfterObserved says whether enough of "after" has passed (one rate window) to judge a recovery.
	AfterObserved bool
}

// spanOf is the span of a window as it can be read at now, with notes on what limits it.
func spanOf(w Window, st Settings, now time.Time) (Span, []string) {
	sp := Span{Window: w, During: w.End.Sub(w.Start), AfterEnd: w.End.Add(st.After)}
	if sp.AfterEnd.After(now) {
		sp.AfterEnd = now
	}
	observedAfter := sp.AfterEnd.Sub(w.End)
	sp.AfterObserved = observedAfter >= st.RateWindow
	var notes []string
	if sp.During < st.RateWindow {
		sp.During = st.RateWindow
		notes = append(notes, fmt.Sprintf("window shorter than the rate window; SLIs during it read over the %s before its end", promRange(st.RateWindow)))
	}
	if w.Ongoing {
		notes = append(notes, "the fault was still injected when the report was made")
	}
	if !sp.AfterObserved {
		notes = append(notes, fmt.Sprintf("only %s observed after the window; recovery cannot be judged yet", observedAfter.Round(time.Second)))
	}
	return sp, notes
}

// period is one of a span's three readings: the PromQL range it covers, the time it is read at, and where
// its reading goes.
type period struct {
	rng string
	at  time.Time
	of  func(*Periods) *Reading
}

// periods are the readings of the span: the baseline before the window, the window, and "after" once it has
// been observed.
func (sp Span) periods(st Settings) []period {
	ps := []period{
		{promRange(st.Baseline), sp.Start, func(p *Periods) *Reading { return &p.Baseline }},
		{promRange(sp.During), sp.End, func(p *Periods) *Reading { return &p.During }},
	}
	if sp.AfterObserved {
		ps = append(ps, period{promRange(sp.AfterEnd.Sub(sp.End)), sp.AfterEnd, func(p *Periods) *Reading { return &p.After }})
	}
	return ps
}

// targetOf is the service that a window's fault was declared to hit: the window's own target, else --target
// (flag), else the target of the preset that the window's scenario names, else none. The note says when the
// preset's was taken.
func targetOf(w Window, flag string) (string, string) {
	switch {
	case w.Target != "":
		return w.Target, ""
	case flag != "":
		return flag, ""
	}
	if t, ok := scenarios.PresetTarget(w.Scenario); ok {
		return t, fmt.Sprintf("target %s is the preset %s's; name a target in the windows file if your config changes it", t, w.Scenario)
	}
	return "", ""
}
