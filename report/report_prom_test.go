package report

import (
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/report/promtest"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

var update = flag.Bool("update", false, "rewrite testdata/sample-report.md (and its plots) from the synthetic run")

// The synthetic experiment, in offsets from the exporter's start. Prometheus scrapes every second; its first
// scrape comes ~5 s after start (its target reload runs every 5 s), so the baseline has ~10 s of data.
const (
	faultStart = 16 * time.Second // the fault window as Chaos Mesh would record it
	faultEnd   = 36 * time.Second
	linger     = 5 * time.Second // checkout stays broken this long after the fault ends: the true time to recover
	watchAfter = 15 * time.Second
	restarts   = 2
)

func syntheticScript() map[string][]promtest.Step {
	broken := promtest.Degraded(50, 0.10)
	broken.Ready = 0
	brokenRestarted := broken
	brokenRestarted.Restarts = restarts
	healed := promtest.Steady(50)
	healed.Restarts = restarts
	wobble := promtest.Steady(50) // p95 80 → 230 ms, 0.5% errors: within the SLOs, beyond the baseline
	wobble.ErrorRatio = 0.005
	wobble.Latency = map[float64]float64{50: 0.5, 250: 0.5}
	return map[string][]promtest.Step{
		"checkout": {
			{At: 0, Phase: promtest.Steady(50)},
			{At: faultStart, Phase: broken},
			{At: faultStart + 5*time.Second, Phase: brokenRestarted},
			{At: faultEnd + linger, Phase: healed},
		},
		"product-catalog": {
			{At: 0, Phase: promtest.Steady(40)},
			{At: faultStart, Phase: wobble},
			{At: faultEnd, Phase: promtest.Steady(40)},
		},
		"frontend-proxy": {{At: 0, Phase: promtest.Steady(60)}},
		"idle":           {{At: 0, Phase: promtest.Phase{Latency: map[float64]float64{50: 1}, Desired: 1, Ready: 1}}},
	}
}

type run struct {
	code           int
	stdout, stderr string
	dir            string
	rep            Report
}

func runReport(t *testing.T, args ...string) run {
	t.Helper()
	var out, errb strings.Builder
	dir := t.TempDir()
	r := run{dir: dir}
	r.code = Run(append(args, "--out", dir), &out, &errb)
	r.stdout, r.stderr = out.String(), errb.String()
	if raw, err := os.ReadFile(filepath.Join(dir, "report.json")); err == nil {
		if err := json.Unmarshal(raw, &r.rep); err != nil {
			t.Fatalf("report.json: %v", err)
		}
	}
	return r
}

func near(t *testing.T, what string, got *float64, want, tol float64) {
	t.Helper()
	if got == nil || math.Abs(*got-want) > tol {
		g := "null"
		if got != nil {
			g = fmt.Sprint(*got)
		}
		t.Errorf("%s = %s, want %v ± %v", what, g, want, tol)
	} else {
		t.Logf("%s = %.4g (truth %.4g)", what, *got, want)
	}
}

// TestReportAgainstRealPrometheus runs the synthetic experiment in real time (~52 s) and judges it.
func TestReportAgainstRealPrometheus(t *testing.T) {
	promtest.Binary(t)
	t.Parallel()
	script := syntheticScript()
	exp := promtest.NewExporter(t, "otel-demo", script)
	prom := promtest.Start(t, time.Second, exp.Addr)

	start, end := exp.At(faultStart), exp.At(faultEnd)
	windows := fmt.Sprintf(`# synthetic fault windows
- {scenario: checkout-storm, start: %q, end: %q, target: checkout}
- {scenario: catalog-wobble, start: %q, end: %q, target: product-catalog}
- {scenario: proxy-calm, start: %q, end: %q, target: frontend-proxy}
- {scenario: before-prometheus, start: %q, end: %q, target: checkout}
- {scenario: idle-fault, start: %q, end: %q, target: idle}
`, ts(start), ts(end), ts(start), ts(end), ts(start), ts(end),
		ts(exp.Start.Add(-2*time.Hour)), ts(exp.Start.Add(-90*time.Minute)), ts(start), ts(end))
	wfile := filepath.Join(t.TempDir(), "windows.yaml")
	if err := os.WriteFile(wfile, []byte(windows), 0o644); err != nil {
		t.Fatal(err)
	}
	extra := append(slo.Defaults(),
		slo.SLO{Name: "idle-availability", Service: "idle", Kind: slo.Availability, Objective: 0.99},
		slo.SLO{Name: "ghost-availability", Service: "ghost", Kind: slo.Availability, Objective: 0.99})
	raw, _ := json.Marshal(extra)
	sfile := filepath.Join(t.TempDir(), "slos.json")
	if err := os.WriteFile(sfile, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"--prometheus", prom.URL, "--windows", wfile, "--slos", sfile, "--step", "1s", "--rate-window", "3s",
		"--baseline", "10s", "--after", watchAfter.String(), "--consecutive", "3", "--recovery-budget", "60s"}

	// Wait for the experiment to play out, plus two scrapes.
	wait := time.Until(exp.At(faultEnd + watchAfter + 2*time.Second))
	t.Logf("Prometheus at %s; waiting %s for the synthetic experiment", prom.URL, wait.Round(time.Second))
	time.Sleep(wait)

	t.Run("violated", func(t *testing.T) {
		r := runReport(t, append(common, "--scenario", "checkout-storm", "--slo", "checkout-availability,checkout-latency")...)
		if r.code != ExitViolated {
			t.Fatalf("exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
		}
		if len(r.rep.Windows) != 1 {
			t.Fatalf("windows: %+v", r.rep.Windows)
		}
		w := r.rep.Windows[0]
		if w.Verdict != Violated || w.Scenario != "checkout-storm" || !w.Start.Equal(start.UTC()) || !w.End.Equal(end.UTC()) {
			t.Errorf("window %s %s %s..%s", w.Verdict, w.Scenario, w.Start, w.End)
		}
		steady, broken := script["checkout"][0].Phase, script["checkout"][1].Phase
		near(t, "Δp95 ms", w.Impact.DeltaP95Ms, broken.Quantile(0.95)-steady.Quantile(0.95), 0.03*broken.Quantile(0.95))
		near(t, "p95 baseline ms", w.Impact.P95BaselineMs, steady.Quantile(0.95), 4)
		near(t, "Δ error ratio", w.Impact.DeltaErrorRatio, broken.ErrorRatio, 0.005)
		near(t, "pods not ready", w.Impact.PodsNotReadyMax, 1, 0)
		near(t, "restarts", w.Impact.Restarts, restarts, 0.5)
		// Time to recover: within one scrape interval (1 s) of the truth, plus the 1 s step of the series.
		near(t, "recoverySeconds", w.RecoverySeconds, linger.Seconds(), 1.5)
		for _, s := range w.SLIs {
			if s.Verdict != Violated {
				t.Errorf("%s: %s (%s)", s.SLO, s.Verdict, s.Reason)
			}
		}
		near(t, "SLI during (availability)", w.SLIs[0].During, 0.9, 0.005)
		near(t, "SLI during (latency)", w.SLIs[1].During, broken.FastShare(500), 0.005)
		if r.rep.Score == nil || *r.rep.Score > 50 {
			t.Errorf("score %v, want ≤ 50", r.rep.Score)
		}
		checkPNGs(t, r.dir, r.rep)
		md, _ := os.ReadFile(filepath.Join(r.dir, "report.md"))
		for _, want := range []string{"**Verdict: VIOLATED**", "checkout-availability", "![p95](p95.png)", "Resilience score"} {
			if !strings.Contains(string(md), want) {
				t.Errorf("report.md lacks %q", want)
			}
		}
	})

	t.Run("degraded", func(t *testing.T) {
		r := runReport(t, append(common, "--scenario", "catalog-wobble", "--slo", "product-catalog-availability,product-catalog-latency")...)
		if r.code != ExitOK || len(r.rep.Windows) != 1 {
			t.Fatalf("exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
		}
		w := r.rep.Windows[0]
		got := map[string]string{}
		for _, s := range w.SLIs {
			got[s.SLO] = s.Verdict
		}
		if w.Verdict != Degraded || got["product-catalog-availability"] != Degraded || got["product-catalog-latency"] != Held {
			t.Errorf("verdicts %s %v", w.Verdict, got)
		}
		wobble := script["product-catalog"][1].Phase
		near(t, "Δp95 ms (wobble)", w.Impact.DeltaP95Ms, wobble.Quantile(0.95)-80, 6)
		near(t, "recoverySeconds (wobble)", w.RecoverySeconds, 0, 1.5)
		if w.Score == nil || *w.Score >= 100 || *w.Score <= 50 {
			t.Errorf("score %v", w.Score)
		}
	})

	t.Run("held", func(t *testing.T) {
		r := runReport(t, append(common, "--scenario", "proxy-calm", "--slo", "frontend-proxy-availability,frontend-proxy-latency")...)
		if r.code != ExitOK || len(r.rep.Windows) != 1 || r.rep.Windows[0].Verdict != Held {
			t.Fatalf("exit %d %+v\n%s%s", r.code, r.rep.Windows, r.stdout, r.stderr)
		}
		near(t, "score (held)", r.rep.Score, 100, 0)
		near(t, "Δp95 ms (held)", r.rep.Windows[0].Impact.DeltaP95Ms, 0, 2)
	})

	t.Run("sample", func(t *testing.T) {
		r := runReport(t, append(common, "--scenario", "checkout-storm", "--slo", strings.Join(slo.Names(slo.Defaults()), ","),
			"--title", "SYNTHETIC sample report: checkout-storm (generated by the test suite, not a real cluster)")...)
		if r.code != ExitViolated {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		got := map[string]string{}
		for _, s := range r.rep.Windows[0].SLIs {
			got[s.SLO] = s.Verdict
		}
		want := map[string]string{"checkout-availability": Violated, "checkout-latency": Violated, "product-catalog-availability": Degraded,
			"product-catalog-latency": Held, "frontend-proxy-availability": Held, "frontend-proxy-latency": Held}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s, want %s", k, got[k], v)
			}
		}
		// checkout broke (20.4 tolerances); product-catalog's wobble moved its p95 by 155 ms (3.1 tolerances of
		// 50 ms) in the same window; frontend-proxy stayed; idle had no traffic to compare.
		w := r.rep.Windows[0]
		if got := observedNamesOf(w.Observed); !slices.Equal(got, []string{"checkout*", "product-catalog"}) || w.ServicesCompared != 3 {
			t.Errorf("observed %v of %d compared; want checkout (targeted), product-catalog of 3", got, w.ServicesCompared)
		}
		if *update {
			md, _ := os.ReadFile(filepath.Join(r.dir, "report.md"))
			banner := "> **Synthetic data.** This report was produced by `go test ./report -run TestReportAgainstRealPrometheus -update` " +
				"from a real Prometheus scraping a synthetic exporter (checkout: p95 80 → 1100 ms and 10% errors for 20 s, broken 5 s past the fault; " +
				"product-catalog: a mild wobble in the same window, which the observed blast radius lists as hit but not targeted; frontend-proxy: steady). Times are compressed: 1 s scrapes, a 10 s baseline, a 3 s rate window.\n\n"
			md = []byte(strings.Replace(string(md), "\n\n", "\n\n"+banner, 1))
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("testdata", "sample-report.md"), md, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, p := range r.rep.Plots {
				b, _ := os.ReadFile(filepath.Join(r.dir, p))
				if err := os.WriteFile(filepath.Join("testdata", p), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			js, _ := os.ReadFile(filepath.Join(r.dir, "report.json"))
			if err := os.WriteFile(filepath.Join("testdata", "sample-report.json"), js, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})

	unknown := func(t *testing.T, r run, reason string) {
		t.Helper()
		if r.code != ExitMissingData {
			t.Errorf("exit %d, want 3\n%s%s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stderr, reason) {
			t.Errorf("stderr %q lacks %q", r.stderr, reason)
		}
		for _, w := range r.rep.Windows {
			if w.Verdict != Unknown || w.Score != nil || w.RecoverySeconds != nil {
				t.Errorf("false verdict: %s score %v", w.Verdict, w.Score)
			}
		}
		if r.rep.Score != nil {
			t.Errorf("report score %v, want null", *r.rep.Score)
		}
	}
	t.Run("empty result", func(t *testing.T) {
		unknown(t, runReport(t, append(common, "--scenario", "checkout-storm", "--slo", "ghost-availability")...), "no baseline: no data")
	})
	t.Run("NaN", func(t *testing.T) {
		unknown(t, runReport(t, append(common, "--scenario", "idle-fault", "--slo", "idle-availability")...), "NaN (no traffic)")
	})
	t.Run("window with no data", func(t *testing.T) {
		r := runReport(t, append(common, "--scenario", "before-prometheus", "--slo", "checkout-availability,checkout-latency")...)
		unknown(t, r, "no baseline")
		if len(r.rep.Windows) != 1 {
			t.Errorf("windows %+v", r.rep.Windows)
		}
		checkPNGs(t, r.dir, r.rep)
	})
	t.Run("no window for the scenario", func(t *testing.T) {
		unknown(t, runReport(t, append(common, "--scenario", "never-ran")...), "no fault window")
	})
	t.Run("prometheus unreachable", func(t *testing.T) {
		args := append([]string{}, common...)
		args[1] = "http://" + promtest.FreeAddr(t)
		r := runReport(t, append(args, "--scenario", "checkout-storm")...)
		unknown(t, r, "Prometheus unreachable at")
		if _, err := os.Stat(filepath.Join(r.dir, "report.json")); err == nil {
			t.Error("a report was written without Prometheus")
		}
	})
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func checkPNGs(t *testing.T, dir string, rep Report) {
	t.Helper()
	if len(rep.Plots) != 3 {
		t.Errorf("plots %v", rep.Plots)
	}
	for _, p := range rep.Plots {
		f, err := os.Open(filepath.Join(dir, p))
		if err != nil {
			t.Error(err)
			continue
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 200 {
			t.Errorf("%s is %v", p, b)
		}
	}
}
