package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// fakeProm answers every instant query with the given body after the given delay.
func fakeProm(t *testing.T, delay time.Duration, code int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func vector(v string) string {
	return fmt.Sprintf(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,%q]}]}}`, v)
}

func newTestGate(t *testing.T, url string, timeout time.Duration) *Gate {
	t.Helper()
	c, err := api.NewClient(api.Config{Address: url})
	if err != nil {
		t.Fatal(err)
	}
	return NewGate(v1.NewAPI(c), slo.Defaults(), "1m", timeout)
}

func get(t *testing.T, h http.Handler, path string) (int, Result, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	var r Result
	_ = json.Unmarshal(rec.Body.Bytes(), &r)
	return rec.Code, r, rec.Body.String()
}

func TestAnswers(t *testing.T) {
	cases := []struct {
		name       string
		delay      time.Duration
		code       int
		body       string
		want       int
		wantStatus string
		reason     string
	}{
		{"held", 0, 200, vector("0.995"), 200, Held, "meets objective"},
		{"exactly the objective holds", 0, 200, vector("0.99"), 200, Held, "meets"},
		{"violated", 0, 200, vector("0.9"), 503, Violated, "below objective"},
		{"NaN", 0, 200, vector("NaN"), 500, Unknown, "NaN"},
		{"+Inf", 0, 200, vector("+Inf"), 500, Unknown, "Inf"},
		{"empty", 0, 200, `{"status":"success","data":{"resultType":"vector","result":[]}}`, 500, Unknown, "empty result"},
		{"prometheus error", 0, 422, `{"status":"error","errorType":"execution","error":"boom"}`, 500, Unknown, "boom"},
		{"slow prometheus", 2 * time.Second, 200, vector("1"), 500, Unknown, "did not answer within"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newTestGate(t, fakeProm(t, tc.delay, tc.code, tc.body), 300*time.Millisecond)
			start := time.Now()
			code, r, raw := get(t, g.Handler(), "/slo/checkout-availability")
			if took := time.Since(start); took > time.Second {
				t.Errorf("answer took %s; the deadline is 300ms", took)
			}
			if code != tc.want || r.Status != tc.wantStatus || !strings.Contains(r.Reason, tc.reason) {
				t.Fatalf("got %d %s; want %d %s with reason containing %q", code, raw, tc.want, tc.wantStatus, tc.reason)
			}
			if r.Status == Unknown && r.SLI != nil {
				t.Errorf("unknown answer carries an SLI: %s", raw)
			}
			if r.SLO != "checkout-availability" || r.Objective != 0.99 || r.Window != "1m" ||
				!strings.Contains(r.Query, `service_name="checkout"`) {
				t.Errorf("body lacks the why: %s", raw)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	g := newTestGate(t, "http://127.0.0.1:1", 500*time.Millisecond)
	code, r, raw := get(t, g.Handler(), "/slo/frontend-proxy-latency")
	if code != CodeUnknown || r.Status != Unknown || !strings.Contains(r.Reason, "Prometheus") {
		t.Fatalf("got %d %s", code, raw)
	}
}

func TestRoutes(t *testing.T) {
	g := newTestGate(t, fakeProm(t, 0, 200, vector("1")), time.Second)
	h := g.Handler()
	if code, _, raw := get(t, h, "/slo/nope"); code != 404 || !strings.Contains(raw, "checkout-latency") {
		t.Errorf("unknown SLO: %d %s", code, raw)
	}
	if code, _, raw := get(t, h, "/healthz"); code != 200 || raw != "ok\n" {
		t.Errorf("healthz: %d %q", code, raw)
	}
	if code, _, raw := get(t, h, "/slo"); code != 200 || !strings.Contains(raw, "product-catalog-availability") {
		t.Errorf("list: %d %s", code, raw)
	}
	get(t, h, "/slo/checkout-latency")
	code, _, raw := get(t, h, "/metrics")
	for _, want := range []string{
		`slo_gate_checks_total{result="held",slo="checkout-latency"} 1`,
		`slo_gate_sli{slo="checkout-latency"} 1`,
		`slo_gate_check_duration_seconds_count{result="held"} 1`,
		"go_goroutines",
	} {
		if code != 200 || !strings.Contains(raw, want) {
			t.Errorf("metrics lack %q:\n%s", want, raw)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/slo/checkout-latency", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
}

func TestLoadSLOs(t *testing.T) {
	custom := []slo.SLO{{Name: "cart-latency", Service: "cart", Kind: slo.Latency, Objective: 0.9, ThresholdMs: 250}}
	raw, _ := json.Marshal(custom)
	dir := t.TempDir()
	file := filepath.Join(dir, "slos.json")
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	got, src, err := LoadSLOs(file, os.ReadFile, `[{"name":"ignored","service":"x","kind":"availability","objective":0.5}]`)
	if err != nil || src != "file "+file || len(got) != 1 || got[0].Name != "cart-latency" || got[0].ThresholdMs != 250 {
		t.Fatalf("file: %v %q %+v", err, src, got)
	}
	got, src, err = LoadSLOs("", os.ReadFile, string(raw))
	if err != nil || src != "SLO_CONFIG" || got[0].Service != "cart" {
		t.Fatalf("env: %v %q %+v", err, src, got)
	}
	got, src, err = LoadSLOs("", os.ReadFile, "")
	if err != nil || src != "defaults" || len(got) != len(slo.Defaults()) {
		t.Fatalf("defaults: %v %q %d", err, src, len(got))
	}
	if _, _, err := LoadSLOs("", os.ReadFile, `[{"name":"a","service":"b","kind":"speed","objective":2}]`); err == nil ||
		!strings.Contains(err.Error(), "slos[0].kind") || !strings.Contains(err.Error(), "slos[0].objective") {
		t.Fatalf("bad config: %v", err)
	}
}

func TestRunFlags(t *testing.T) {
	var buf bytes.Buffer
	if code := run([]string{"--window", "soon"}, &buf); code != 2 || !strings.Contains(buf.String(), "--window") {
		t.Errorf("bad window: %d %s", code, buf.String())
	}
	buf.Reset()
	t.Setenv("SLO_CONFIG", `[{"name":"a"}]`)
	if code := run(nil, &buf); code != 2 || !strings.Contains(buf.String(), "slos[0].service") {
		t.Errorf("bad SLO_CONFIG: %d %s", code, buf.String())
	}
}
