package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func marshalJSON(v any) ([]byte, error) { return json.Marshal(v) }

// JSON is report.json: indented, stable field order.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func fnum(v *float64, format string) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf(format, *v)
}

func signed(v *float64, format string) string {
	if v == nil {
		return "—"
	}
	s := fmt.Sprintf(format, *v)
	if *v >= 0 {
		s = "+" + s
	}
	return s
}

func pct(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.2f%%", *v*100)
}

func pp(v *float64) string {
	if v == nil {
		return "—"
	}
	x := *v * 100
	return signed(&x, "%.2f pp")
}

// recovery writes a time to recover, or why there is none: it did not come back within the watched time,
// the data is missing, or too little time has passed.
func recovery(secs *float64, status RecoveryStatus, watched time.Duration) string {
	switch {
	case secs != nil:
		return fmt.Sprintf("%.0f s", *secs)
	case status == NotRecovered:
		return fmt.Sprintf("not within the %s watched", watched)
	case status == NotObservedYet:
		return "not observed yet"
	case status == NoData:
		return "unknown (no data)"
	}
	return "—"
}

// windowLines say on a terminal what a window came to: its verdict and recovery, its declared target beside
// the observed blast radius, and the services hit that were not targeted.
func windowLines(i int, wr WindowReport, watched time.Duration) []string {
	lines := []string{
		fmt.Sprintf("window %d %s → %s: %s, recovery %s", i+1, wr.Start.UTC().Format(time.RFC3339), wr.End.UTC().Format(time.RFC3339),
			wr.Verdict, recovery(wr.RecoverySeconds, wr.Recovery, watched)),
		fmt.Sprintf("  target %s; observed: %s", orNone(wr.Target), observedText(wr)),
	}
	if hit := notTargeted(wr); len(hit) > 0 {
		lines = append(lines, "  hit but not targeted: "+strings.Join(hit, ", "))
	}
	return lines
}

// sliLines are a window's SLOs, one a line, with their verdicts and reasons.
func sliLines(wr WindowReport) []string {
	var lines []string
	for _, s := range wr.SLIs {
		lines = append(lines, fmt.Sprintf("  %s: %s (%s)", s.SLO, s.Verdict, s.Reason))
	}
	return lines
}

// observedText is the observed blast radius in one line: each service that moved, largest change first, with
// its changes; the target is marked.
func observedText(wr WindowReport) string {
	switch {
	case wr.Observed == nil:
		return "nothing to compare (no service had server spans both before and during the window)"
	case len(wr.Observed) == 0:
		return fmt.Sprintf("no service moved beyond tolerance (%d compared)", wr.ServicesCompared)
	}
	parts := make([]string, len(wr.Observed))
	for i, o := range wr.Observed {
		name := o.Service
		if o.Targeted {
			name += " (target)"
		}
		parts[i] = fmt.Sprintf("%s p95 %s, errors %s", name, signed(o.DeltaP95Ms, "%.0f ms"), pp(o.DeltaErrorRatio))
	}
	return strings.Join(parts, "; ")
}

// notTargeted are the observed services that the fault was not declared to hit, largest change first.
func notTargeted(wr WindowReport) []string {
	var out []string
	for _, o := range wr.Observed {
		if !o.Targeted {
			out = append(out, o.Service)
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none declared"
	}
	return s
}

var badge = map[string]string{Held: "HELD", Degraded: "DEGRADED", Violated: "VIOLATED", Unknown: "UNKNOWN"}

// Markdown is report.md: readable on its own.
func (r *Report) Markdown(title string) []byte {
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }
	if title == "" {
		title = "Chaos experiment report: " + r.Scenario
		if r.Scenario == "" {
			title = "Chaos experiment report: all scenarios"
		}
	}
	w("# %s\n\n", title)
	w("**Verdict: %s** · resilience score **%s / 100** · %d fault window(s)\n\n", badge[r.Verdict], fnum(r.Score, "%.1f"), len(r.Windows))
	w("Prometheus `%s`, from %s to %s, generated %s.\n\n", r.Prometheus, ts(r.From), ts(r.To), ts(r.GeneratedAt))
	for _, n := range r.Notes {
		w("> %s\n\n", n)
	}
	if len(r.Windows) == 0 {
		w("No fault window was found, so nothing could be judged (exit code 3).\n\n")
	} else {
		w("| # | fault window (UTC) | length | target | observed | verdict | time to recover | Δ p95 | Δ error ratio | pods not ready (max) | restarts | score |\n")
		w("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for i, wr := range r.Windows {
			w("| %d | %s → %s | %s | %s | %s | **%s** | %s | %s | %s | %s | %s | %s |\n", i+1,
				wr.Start.UTC().Format("01-02 15:04:05"), wr.End.UTC().Format("15:04:05"), wr.End.Sub(wr.Start).Round(time.Second),
				orDash(wr.Impact.Service), observedNames(wr), wr.Verdict, recovery(wr.RecoverySeconds, wr.Recovery, r.Settings.After), signed(wr.Impact.DeltaP95Ms, "%.0f ms"),
				pp(wr.Impact.DeltaErrorRatio), fnum(wr.Impact.PodsNotReadyMax, "%.0f"), fnum(wr.Impact.Restarts, "%.0f"), fnum(wr.Score, "%.1f"))
		}
		w("\n")
	}
	for i, wr := range r.Windows {
		w("## Window %d: %s, %s\n\n", i+1, wr.Scenario, badge[wr.Verdict])
		w("- Fault from %s to %s (%s)", ts(wr.Start), ts(wr.End), wr.End.Sub(wr.Start).Round(time.Second))
		if wr.Source != "" {
			w(", recorded by `%s`", wr.Source)
		}
		w(".\n")
		im := wr.Impact
		w("- Impact on **%s**: p95 %s → %s ms (%s); error ratio %s → %s (%s); pods not ready at most %s; restarts %s.\n",
			orDash(im.Service), fnum(im.P95BaselineMs, "%.0f"), fnum(im.P95DuringMs, "%.0f"), signed(im.DeltaP95Ms, "%.0f ms"),
			pct(im.ErrorRatioBaseline), pct(im.ErrorRatioDuring), pp(im.DeltaErrorRatio), fnum(im.PodsNotReadyMax, "%.0f"), fnum(im.Restarts, "%.0f"))
		w("- Time to recover: %s.\n", recovery(wr.RecoverySeconds, wr.Recovery, r.Settings.After))
		for _, n := range wr.Notes {
			w("- Note: %s.\n", n)
		}
		b.Write(observedSection(wr))
		w("\n| SLO | objective | baseline | during | after | worst | recovery | verdict | why |\n")
		w("|---|---|---|---|---|---|---|---|---|\n")
		for _, s := range wr.SLIs {
			w("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s.SLO, pctf(s.Objective), pct(s.Baseline), pct(s.During),
				pct(s.After), pct(s.Worst), recovery(s.RecoverySeconds, s.Recovery, r.Settings.After), s.Verdict, strings.ReplaceAll(s.Reason, "|", "\\|"))
		}
		w("\n")
	}
	if len(r.Plots) > 0 {
		w("## Plots\n\nFault windows are shaded.\n\n")
		for _, p := range r.Plots {
			w("![%s](%s)\n\n", strings.TrimSuffix(p, ".png"), p)
		}
	}
	st := r.Settings
	w("## How to read this report\n\n")
	w("SLIs are good-event ratios of server spans from the OTel Collector's spanmetrics: for availability the share not in error, for latency the share at or under the threshold. ")
	w("**Baseline** is the SLI over the %s before the window, **during** over the window, **after** over up to %s after it, **worst** the lowest rolling SLI (rate over %s) from the start of the window to the end of *after*.\n\n",
		st.Baseline, st.After, st.RateWindow)
	w("- **held**: every SLI stayed within tolerance of its baseline (tolerance = %.0f%% of the SLO's error budget) and came back.\n", st.Tolerance*100)
	w("- **degraded**: some SLI left that tolerance, or did not come back within it, but every SLI met its objective.\n")
	w("- **violated**: some SLI was below its objective during or after the fault (or already at baseline).\n")
	w("- **unknown**: data was missing (no series, or no traffic: 0/0), or the recovery was not observed (too little time after the fault). Never counted as held.\n\n")
	w("**Observed blast radius**: every service with server spans before and during the window is compared with its own baseline, whatever the fault targeted. ")
	w("A service moved when its p95 changed by at least max(%s, %.0f%% of its baseline p95), or its error ratio by at least %.2f percentage points. ", st.Observed.P95Floor, st.Observed.P95Share*100, st.Observed.ErrorRatioFloor*100)
	w("*Size* is the larger change in units of its tolerance; the list is sorted by it. Server spans measure a service as its callers see it, so a delay on the wire shows at the caller.\n\n")
	w("**Time to recover** is measured from the end of the fault to the first moment from which the rolling SLI stays within tolerance of its baseline for %d consecutive samples (every %s); ", st.Consecutive, st.Step)
	w("since a rolling SLI at time t covers the preceding %s, that moment is the start of the first good sample's range. A window's recovery is its slowest SLO's; \"not within the %s watched\" if one did not come back in that time, and \"unknown (no data)\" when the series are missing, which says nothing about the service.\n\n", st.RateWindow, st.After)
	w("**Resilience score** (0–100) per window: D = the largest share of an SLO's error budget lost between baseline and during (capped at 1), ")
	w("R = time to recover / %s (capped at 1; 1 when it did not recover or is unknown); score = 100 × (1 − 0.7·D − 0.3·R), at most 50 when violated. The report's score is the mean over windows with a verdict other than unknown.\n\n", st.RecoveryBudget)
	w("Exit code: 0 when every verdict is held or degraded, 2 when any is violated, 3 when data is missing, a recovery was not observed, no fault window was found or Prometheus is unreachable.\n")
	return b.Bytes()
}

func pctf(v float64) string { return pct(&v) }

// observedNames is the observed blast radius in a table cell: the services that moved, those not targeted
// marked so.
func observedNames(wr WindowReport) string {
	if wr.Observed == nil {
		return "—"
	}
	if len(wr.Observed) == 0 {
		return "none"
	}
	names := make([]string, len(wr.Observed))
	for i, o := range wr.Observed {
		names[i] = o.Service
		if !o.Targeted {
			names[i] += " (not targeted)"
		}
	}
	return strings.Join(names, ", ")
}

// observedSection is a window's observed blast radius: the declared target beside the services that moved,
// the services hit that were not targeted named, and a table of their changes.
func observedSection(wr WindowReport) []byte {
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("- Declared target: **%s**. Observed blast radius: ", orNone(wr.Target))
	switch {
	case wr.Observed == nil:
		w("nothing to compare (no service had server spans both before and during the window).\n")
		return b.Bytes()
	case len(wr.Observed) == 0:
		w("no service moved beyond tolerance (%d compared).\n", wr.ServicesCompared)
		return b.Bytes()
	}
	w("%d of %d services compared moved", len(wr.Observed), wr.ServicesCompared)
	if hit := notTargeted(wr); len(hit) > 0 {
		w("; hit but not targeted: **%s**.\n", strings.Join(hit, "**, **"))
	} else {
		w(", all of them targeted.\n")
	}
	w("\n| observed service | targeted | p95 baseline → during | Δ p95 | error ratio baseline → during | Δ error ratio | requests/s baseline → during | moved | size |\n")
	w("|---|---|---|---|---|---|---|---|---|\n")
	for _, o := range wr.Observed {
		w("| %s | %s | %s → %s ms | %s | %s → %s | %s | %s → %s | %s | %.1f |\n", o.Service, yesNo(o.Targeted),
			fnum(o.P95BaselineMs, "%.0f"), fnum(o.P95DuringMs, "%.0f"), signed(o.DeltaP95Ms, "%.0f ms"),
			pct(o.ErrorRatioBaseline), pct(o.ErrorRatioDuring), pp(o.DeltaErrorRatio),
			fnum(o.RequestRateBaseline, "%.1f"), fnum(o.RequestRateDuring, "%.1f"), strings.Join(o.Moved, ", "), o.Size)
	}
	return b.Bytes()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// Write puts report.json and report.md in dir.
func (r *Report) Write(dir, title string) error {
	js, err := r.JSON()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), js, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "report.md"), r.Markdown(title), 0o644)
}
