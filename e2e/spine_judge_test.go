//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/e2e/shopload"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

// The fault that the generator injects, as a pod fault on product-catalog would look in its spans: 800 ms
// more per request and two requests in five failing, for faultLength.
const (
	faultService   = "product-catalog"
	faultScenario  = "spine-catalog-fault"
	faultLength    = 75 * time.Second
	faultAfter     = 45 * time.Second // how long the report watches after the window
	faultGateSLO   = faultService + "-availability"
	faultLatency   = 800 * time.Millisecond
	faultErrorRate = 0.4
)

// gateFlips: the SLO gate (cmd/slo-gate, the lab's default SLOs and window) answers 200 for
// product-catalog's availability on the healthy shop, and 503 within the fault window once the generator
// injects it.
func (r *spineRun) gateFlips(t *testing.T) {
	code := 0
	poll(t, r.ctx, 2*time.Minute, "the gate holding "+faultGateSLO+" on the healthy shop", func(ctx context.Context) (bool, error) {
		c, _, err := r.gate.Status(ctx, faultGateSLO)
		code = c
		return err == nil && c == http.StatusOK, nil
	})
	r.fault = shopload.Fault{Service: faultService, ExtraLatency: faultLatency, ErrorRatio: faultErrorRate,
		From: time.Now(), To: time.Now().Add(faultLength)}
	r.gen.Inject(r.fault)
	t.Logf("gate: %d before the fault; injected %+v", code, r.fault)
	var body string
	poll(t, r.ctx, faultLength, "the gate answering 503 for "+faultGateSLO, func(ctx context.Context) (bool, error) {
		c, b, err := r.gate.Status(ctx, faultGateSLO)
		body = b
		return err == nil && c == http.StatusServiceUnavailable, nil
	})
	t.Logf("gate flipped %s into the fault: %s", time.Since(r.fault.From).Round(time.Second), strings.TrimSpace(body))
}

// report runs `chaoslab report` (report.Run) on the fault's window once it and the watch after it are over:
// product-catalog's SLOs and the proxy's availability are violated.
func (r *spineRun) report(t *testing.T) {
	if d := time.Until(r.fault.To.Add(faultAfter + 10*time.Second)); d > 0 {
		t.Logf("waiting %s for the fault window and the watch after it", d.Round(time.Second))
		time.Sleep(d)
	}
	out := t.TempDir()
	var stdout, stderr strings.Builder
	slos := "product-catalog-availability,product-catalog-latency,frontend-proxy-availability"
	code := report.Run([]string{"--prometheus", r.spine.PromURL, "--windows", r.writeWindows(t, faultScenario),
		"--scenario", faultScenario, "--slo", slos, "--step", "5s", "--rate-window", "20s",
		"--baseline", "60s", "--after", faultAfter.String(), "--out", out}, &stdout, &stderr)
	t.Logf("chaoslab report exit %d:\n%s%s", code, stdout.String(), stderr.String())
	if code != report.ExitViolated {
		t.Fatalf("exit %d, want %d (violated)", code, report.ExitViolated)
	}
	rep := readReport(t, out)
	if len(rep.Windows) != 1 {
		t.Fatalf("%d windows, want the fault's", len(rep.Windows))
	}
	w := rep.Windows[0]
	if w.Verdict != report.Violated || w.Start.Sub(r.fault.From).Abs() > time.Second {
		t.Errorf("window %s %s..%s, want violated from %s", w.Verdict, w.Start, w.End, r.fault.From)
	}
	for _, s := range w.SLIs {
		if s.Verdict != report.Violated {
			t.Errorf("%s: %s (%s), want violated", s.SLO, s.Verdict, s.Reason)
		}
	}
	if w.Impact.DeltaP95Ms == nil || *w.Impact.DeltaP95Ms < float64(faultLatency.Milliseconds())/2 {
		t.Errorf("Δp95 %v ms, want about the injected %s", w.Impact.DeltaP95Ms, faultLatency)
	}
}

// jaeger asks Jaeger's query API, as its UI does, for product-catalog's traces in the window: some have a
// failed product-catalog span (tagged error=true, as the UI shows it), and every span lies in the window.
func (r *spineRun) jaeger(t *testing.T) {
	traces := r.jaegerTraces(t, url.Values{
		"service": {faultService},
		"start":   {fmt.Sprint(r.fault.From.Add(-2 * time.Second).UnixMicro())},
		"end":     {fmt.Sprint(r.fault.To.Add(2 * time.Second).UnixMicro())},
		"limit":   {"200"},
	})
	if len(traces) == 0 {
		t.Fatalf("Jaeger has no trace of %s in the window", faultService)
	}
	failed := 0
	for _, tr := range traces {
		bad := false
		for _, s := range tr.Spans {
			at := time.UnixMicro(s.StartTime)
			if at.Before(r.fault.From.Add(-5*time.Second)) || at.After(r.fault.To.Add(5*time.Second)) {
				t.Errorf("trace %s: span %s at %s, outside the window", tr.TraceID, s.OperationName, at)
			}
			if tr.Processes[s.ProcessID].ServiceName == faultService && s.tag("error") == "true" {
				bad = true
			}
		}
		if bad {
			failed++
		}
	}
	if failed == 0 {
		t.Errorf("none of Jaeger's %d traces of %s in the window has a failed %s span", len(traces), faultService, faultService)
	}
	t.Logf("Jaeger: %d traces of %s in the window, %d with a failed %s span", len(traces), faultService, failed, faultService)
	// The UI's own filter for failed traces, tags {"error":"true"}: Jaeger 2.13's memory store reads the
	// value as a string and matches nothing (it wants a boolean); logged, not asserted.
	tagged := r.jaegerTraces(t, url.Values{"service": {faultService}, "start": {fmt.Sprint(r.fault.From.UnixMicro())},
		"end": {fmt.Sprint(r.fault.To.UnixMicro())}, "limit": {"20"}, "tags": {`{"error":"true"}`}})
	t.Logf("Jaeger's tags={\"error\":\"true\"} search finds %d traces", len(tagged))
}

// jaegerTrace is a trace as Jaeger's query API (v1 JSON) returns it.
type jaegerTrace struct {
	TraceID string       `json:"traceID"`
	Spans   []jaegerSpan `json:"spans"`
	// Processes are the spans' services, by the spans' processID.
	Processes map[string]struct {
		ServiceName string `json:"serviceName"`
	} `json:"processes"`
}

type jaegerSpan struct {
	OperationName string `json:"operationName"`
	StartTime     int64  `json:"startTime"` // µs
	ProcessID     string `json:"processID"`
	Tags          []struct {
		Key   string `json:"key"`
		Value any    `json:"value"`
	} `json:"tags"`
}

func (s jaegerSpan) tag(key string) string {
	for _, t := range s.Tags {
		if t.Key == key {
			return fmt.Sprint(t.Value)
		}
	}
	return ""
}

func (r *spineRun) jaegerTraces(t *testing.T, q url.Values) []jaegerTrace {
	t.Helper()
	var res struct {
		Data []jaegerTrace `json:"data"`
	}
	u := r.spine.JaegerQuery + "/api/traces?" + q.Encode()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", u, resp.Status, err)
	}
	return res.Data
}

func readReport(t *testing.T, dir string) report.Report {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}
