package report

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/report/promtest"
)

// The blast-radius experiment, in offsets from the exporter's start: three fault windows one after the other,
// each "after" (6 s) over before the next window starts, and a known truth of which services move in each.
// Prometheus's first scrape comes ~5 s after the start, so the first baseline has ~9 s of data.
var (
	calm      = promtest.Change{From: 14 * time.Second, To: 19 * time.Second} // only noise
	wireDelay = promtest.Change{From: 26 * time.Second, To: 34 * time.Second} // frontend → product-catalog +1 s
	burst     = promtest.Change{From: 44 * time.Second, To: 52 * time.Second} // shipping's responses replaced by 500
	blastEnd  = burst.To + 8*time.Second                                      // the last window's 6 s "after", and two scrapes
)

func blastScript() map[string][]promtest.Step {
	steady := promtest.Steady(50)
	noise := steady.WithErrors(0.003) // p95 80 → 87.5 ms, 0.3% errors: below every tolerance
	noise.Latency = map[float64]float64{50: 0.8, 100: 0.2}
	during := func(c promtest.Change, p promtest.Phase) promtest.Change { c.Phase = p; return c }
	return map[string][]promtest.Step{
		// The delay is on frontend's calls to product-catalog: frontend's server spans wait for it, and so do
		// those of its caller, frontend-proxy; product-catalog's own do not.
		"frontend-proxy":  promtest.Timeline(promtest.Steady(60), during(wireDelay, promtest.Steady(60).Delayed(1000))),
		"frontend":        promtest.Timeline(steady, during(wireDelay, steady.Delayed(1000)), during(burst, steady.WithErrors(0.05))),
		"product-catalog": promtest.Timeline(steady),
		// The HTTP fault replaces shipping's responses after its server answered: its own spans stay clean, its
		// callers fail.
		"checkout": promtest.Timeline(steady, during(burst, steady.Delayed(500).WithErrors(0.15))),
		"shipping": promtest.Timeline(steady),
		"cart":     promtest.Timeline(steady, during(calm, noise), during(wireDelay, noise), during(burst, noise)),
	}
}

// TestObservedBlastRadiusAgainstRealPrometheus plays the experiment in real time (~60 s, beside the other
// real-Prometheus test) and checks, through Run, the observed lists, the JUnit file and the exit codes.
func TestObservedBlastRadiusAgainstRealPrometheus(t *testing.T) {
	promtest.Binary(t)
	t.Parallel()
	script := blastScript()
	exp := promtest.NewExporter(t, "otel-demo", script)
	prom := promtest.Start(t, time.Second, exp.Addr)
	win := func(scenario string, c promtest.Change, target string) string {
		return fmt.Sprintf("- {scenario: %s, start: %q, end: %q, target: %s}\n", scenario, ts(exp.At(c.From)), ts(exp.At(c.To)), target)
	}
	wfile := filepath.Join(t.TempDir(), "windows.yaml")
	windows := win("calm", calm, "cart") + win("frontend-catalog-latency", wireDelay, "frontend") + win("shipping-http-faults", burst, "shipping") +
		fmt.Sprintf("- {scenario: before-prometheus, start: %q, end: %q, target: checkout}\n", ts(exp.Start.Add(-2*time.Hour)), ts(exp.Start.Add(-119*time.Minute)))
	if err := os.WriteFile(wfile, []byte(windows), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"--prometheus", prom.URL, "--step", "1s", "--rate-window", "3s", "--baseline", "10s", "--after", "6s",
		"--slo", "frontend-proxy-latency,checkout-availability"}
	wait := time.Until(exp.At(blastEnd))
	t.Logf("Prometheus at %s; waiting %s for the blast-radius experiment", prom.URL, wait.Round(time.Second))
	time.Sleep(wait)

	junit := filepath.Join(t.TempDir(), "junit.xml")
	r := runReport(t, append(common, "--windows", wfile, "--junit", junit)...)
	if r.code != ExitViolated || len(r.rep.Windows) != 4 {
		t.Fatalf("exit %d with %d windows, want 2 with 4\n%s%s", r.code, len(r.rep.Windows), r.stdout, r.stderr)
	}
	byScenario := map[string]WindowReport{}
	for _, w := range r.rep.Windows {
		byScenario[w.Scenario] = w
	}

	t.Run("noise only", func(t *testing.T) {
		w := byScenario["calm"]
		if w.Verdict != Held || w.Observed == nil || len(w.Observed) != 0 || w.ServicesCompared != len(script) {
			t.Errorf("verdict %s, observed %+v of %d compared; want held, nothing moved of %d", w.Verdict, w.Observed, w.ServicesCompared, len(script))
		}
	})
	t.Run("wire delay shows at the caller", func(t *testing.T) {
		w := byScenario["frontend-catalog-latency"]
		got := observedNamesOf(w.Observed)
		slices.Sort(got) // equal changes: their order is the names', unit-tested on plain values
		if w.Verdict != Violated || !slices.Equal(got, []string{"frontend*", "frontend-proxy"}) {
			t.Fatalf("verdict %s, observed %v; want violated, frontend (targeted) and frontend-proxy, not product-catalog", w.Verdict, got)
		}
		delayed := script["frontend"][1].Phase.Quantile(0.95) - script["frontend"][0].Phase.Quantile(0.95)
		for _, o := range w.Observed {
			near(t, o.Service+" Δp95 ms", o.DeltaP95Ms, delayed, 0.03*delayed)
			if !slices.Equal(o.Moved, []string{MovedP95}) {
				t.Errorf("%s moved %v, want p95 only", o.Service, o.Moved)
			}
		}
	})
	t.Run("error burst on the caller", func(t *testing.T) {
		w := byScenario["shipping-http-faults"]
		if got := observedNamesOf(w.Observed); w.Verdict != Violated || !slices.Equal(got, []string{"checkout", "frontend"}) {
			t.Fatalf("verdict %s, observed %v; want violated, checkout then frontend (largest change first), not shipping", w.Verdict, got)
		}
		near(t, "checkout Δ error ratio", w.Observed[0].DeltaErrorRatio, 0.15, 0.005)
		near(t, "frontend Δ error ratio", w.Observed[1].DeltaErrorRatio, 0.05, 0.005)
		near(t, "checkout size", &w.Observed[0].Size, 17.9, 0.6) // max(+895 ms / 50 ms, 15 pp / 1 pp)
	})
	t.Run("window without data", func(t *testing.T) {
		w := byScenario["before-prometheus"]
		if w.Verdict != Unknown || w.Observed != nil || w.Score != nil {
			t.Errorf("verdict %s, observed %+v, score %v; want unknown, null, null", w.Verdict, w.Observed, w.Score)
		}
	})
	t.Run("report.md and the terminal", func(t *testing.T) {
		md, _ := os.ReadFile(filepath.Join(r.dir, "report.md"))
		for _, want := range []string{"Declared target: **frontend**. Observed blast radius: 2 of 6 services compared moved; hit but not targeted: **frontend-proxy**.",
			"Declared target: **shipping**. Observed blast radius: 2 of 6 services compared moved; hit but not targeted: **checkout**, **frontend**.",
			"Declared target: **cart**. Observed blast radius: no service moved beyond tolerance (6 compared).",
			"| checkout (not targeted), frontend (not targeted) |"} {
			if !strings.Contains(string(md), want) {
				t.Errorf("report.md lacks %q", want)
			}
		}
		for _, want := range []string{"target frontend; observed: frontend", "hit but not targeted: frontend-proxy", "hit but not targeted: checkout, frontend",
			"target cart; observed: no service moved beyond tolerance (6 compared)"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("terminal lacks %q:\n%s", want, r.stdout)
			}
		}
	})
	t.Run("junit", func(t *testing.T) {
		raw, err := os.ReadFile(junit)
		if err != nil {
			t.Fatal(err)
		}
		s := parseJUnit(t, raw)
		verdicts := map[string]string{}
		for _, c := range s.Cases {
			scenario, _, _ := strings.Cut(c.Name, ",")
			switch {
			case c.Failure != nil:
				verdicts[scenario] = "failure"
			case c.Error != nil:
				verdicts[scenario] = "error"
			default:
				verdicts[scenario] = "pass"
			}
		}
		want := map[string]string{"calm": "pass", "frontend-catalog-latency": "failure", "shipping-http-faults": "failure", "before-prometheus": "error"}
		if len(s.Cases) != 4 || fmt.Sprint(verdicts) != fmt.Sprint(want) {
			t.Errorf("testcases %v, want %v", verdicts, want)
		}
	})
	t.Run("exit codes per scenario", func(t *testing.T) {
		for scenario, code := range map[string]int{"calm": ExitOK, "shipping-http-faults": ExitViolated, "before-prometheus": ExitMissingData} {
			if r := runReport(t, append(common, "--windows", wfile, "--scenario", scenario)...); r.code != code {
				t.Errorf("%s: exit %d, want %d\n%s", scenario, r.code, code, r.stderr)
			}
		}
	})
	t.Run("recovery not observed", func(t *testing.T) {
		// A report made one second after a fault window, as a run cut short makes it: never held.
		cut := filepath.Join(t.TempDir(), "cut.yaml")
		now := time.Now()
		line := fmt.Sprintf("- {scenario: cut-short, start: %q, end: %q, target: shipping}\n", ts(now.Add(-6*time.Second)), ts(now.Add(-time.Second)))
		if err := os.WriteFile(cut, []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runReport(t, "--prometheus", prom.URL, "--step", "1s", "--rate-window", "3s", "--baseline", "10s", "--after", "6s",
			"--slo", "frontend-proxy-latency", "--windows", cut)
		if r.code != ExitMissingData || len(r.rep.Windows) != 1 {
			t.Fatalf("exit %d, want 3\n%s%s", r.code, r.stdout, r.stderr)
		}
		w := r.rep.Windows[0]
		if w.Verdict != Unknown || w.Recovery != NotObservedYet || !strings.Contains(r.stderr, "recovery not observed") {
			t.Errorf("verdict %s, recovery %s, stderr %q", w.Verdict, w.Recovery, r.stderr)
		}
	})
}
