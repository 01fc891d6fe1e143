package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/model"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// The three answers of GET /slo/<name>.
const (
	Held     = "held"
	Violated = "violated"
	Unknown  = "unknown"
)

// HTTP status codes of the answers. Chaos Mesh's HTTP StatusCheck treats anything but 200 as a failure, so an
// unknown steady state can never pass for a held one; the distinct code tells the two failures apart.
const (
	CodeHeld     = http.StatusOK                  // 200: the SLI meets the objective
	CodeViolated = http.StatusServiceUnavailable  // 503: the SLI is below the objective
	CodeUnknown  = http.StatusInternalServerError // 500: could not decide (Prometheus down or slow, no data, NaN)
)

// Result is the JSON body of GET /slo/<name>.
type Result struct {
	SLO         string    `json:"slo"`
	Status      string    `json:"status"` // held | violated | unknown
	Reason      string    `json:"reason"`
	SLI         *float64  `json:"sli"` // null when unknown
	Objective   float64   `json:"objective"`
	Kind        slo.Kind  `json:"kind"`
	Service     string    `json:"service"`
	ThresholdMs float64   `json:"thresholdMs,omitempty"`
	Window      string    `json:"window"`
	Query       string    `json:"query"`
	EvaluatedAt time.Time `json:"evaluatedAt"`
	Warnings    []string  `json:"warnings,omitempty"`
}

// Gate evaluates SLOs against Prometheus.
type Gate struct {
	API     v1.API
	SLOs    []slo.SLO
	Window  string        // the PromQL range of the SLI, e.g. "1m"
	Timeout time.Duration // per evaluation; keep it under the StatusCheck's timeoutSeconds (default 1 s)
	Now     func() time.Time

	checks   *prometheus.CounterVec
	duration *prometheus.HistogramVec
	sli      *prometheus.GaugeVec
	registry *prometheus.Registry
}

// NewGate builds a gate with its own metrics registry.
func NewGate(api v1.API, slos []slo.SLO, window string, timeout time.Duration) *Gate {
	g := &Gate{API: api, SLOs: slos, Window: window, Timeout: timeout, Now: time.Now, registry: prometheus.NewRegistry()}
	g.checks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "slo_gate_checks_total", Help: "SLO evaluations by SLO and result (held, violated, unknown).",
	}, []string{"slo", "result"})
	g.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "slo_gate_check_duration_seconds", Help: "Time to evaluate one SLO, Prometheus query included.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"result"})
	g.sli = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slo_gate_sli", Help: "Last SLI value read per SLO (good-event ratio); NaN when unknown.",
	}, []string{"slo"})
	g.registry.MustRegister(g.checks, g.duration, g.sli,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return g
}

// Evaluate reads the SLO's SLI now. It never returns Held without a finite SLI meeting the objective.
func (g *Gate) Evaluate(ctx context.Context, s slo.SLO) Result {
	start := time.Now()
	now := g.Now()
	r := Result{SLO: s.Name, Objective: s.Objective, Kind: s.Kind, Service: s.Service, ThresholdMs: s.ThresholdMs,
		Window: g.Window, Query: s.SLIQuery(g.Window), EvaluatedAt: now.UTC()}
	defer func() {
		g.checks.WithLabelValues(s.Name, r.Status).Inc()
		g.duration.WithLabelValues(r.Status).Observe(time.Since(start).Seconds())
		if r.SLI != nil {
			g.sli.WithLabelValues(s.Name).Set(*r.SLI)
		} else {
			g.sli.WithLabelValues(s.Name).Set(math.NaN())
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, g.Timeout)
	defer cancel()
	val, warnings, _, err := g.API.Query(ctx, r.Query, now, v1.WithTimeout(g.Timeout))
	for _, w := range warnings {
		r.Warnings = append(r.Warnings, w)
	}
	if err != nil {
		r.Status = Unknown
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			r.Reason = fmt.Sprintf("Prometheus did not answer within %s", g.Timeout)
		} else {
			r.Reason = "Prometheus query failed: " + err.Error()
		}
		return r
	}
	vec, ok := val.(model.Vector)
	switch {
	case !ok:
		r.Status, r.Reason = Unknown, fmt.Sprintf("unexpected result type %s", val.Type())
		return r
	case len(vec) == 0:
		r.Status = Unknown
		r.Reason = fmt.Sprintf("empty result: no server-span series for service %q in the last %s", s.Service, g.Window)
		return r
	case len(vec) > 1:
		r.Status, r.Reason = Unknown, fmt.Sprintf("expected one series, got %d", len(vec))
		return r
	}
	v := float64(vec[0].Value)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		r.Status = Unknown
		r.Reason = fmt.Sprintf("SLI is %v: no %s traffic in the last %s (0/0)", v, s.Service, g.Window)
		return r
	}
	r.SLI = &v
	if v >= s.Objective {
		r.Status = Held
		r.Reason = fmt.Sprintf("SLI %.4f meets objective %.4f", v, s.Objective)
	} else {
		r.Status = Violated
		r.Reason = fmt.Sprintf("SLI %.4f is below objective %.4f", v, s.Objective)
	}
	return r
}

// Handler serves /slo/<name>, /slo (the list of names), /healthz and /metrics.
func (g *Gate) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /slo/{name}", func(w http.ResponseWriter, r *http.Request) {
		s, ok := slo.Find(g.SLOs, r.PathValue("name"))
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]any{
				"status": Unknown, "reason": fmt.Sprintf("no SLO named %q", r.PathValue("name")), "slos": slo.Names(g.SLOs),
			})
			return
		}
		res := g.Evaluate(r.Context(), s)
		writeJSON(w, StatusCode(res.Status), res)
	})
	mux.HandleFunc("GET /slo", func(w http.ResponseWriter, r *http.Request) {
		names := slo.Names(g.SLOs)
		sort.Strings(names)
		writeJSON(w, http.StatusOK, map[string]any{"slos": names})
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(g.registry, promhttp.HandlerOpts{Timeout: 5 * time.Second}))
	return mux
}

// StatusCode maps an answer to its HTTP code.
func StatusCode(status string) int {
	switch status {
	case Held:
		return CodeHeld
	case Violated:
		return CodeViolated
	default:
		return CodeUnknown
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = CodeUnknown, []byte(`{"status":"unknown","reason":"cannot encode result"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// LoadSLOs picks the SLO set: the JSON file if given, else the SLO_CONFIG value, else the defaults. Both take
// the `chaos-mesh-otel:slos` config shape, which is also what json.Marshal of []slo.SLO produces.
func LoadSLOs(file string, readFile func(string) ([]byte, error), env string) ([]slo.SLO, string, error) {
	if file != "" {
		raw, err := readFile(file)
		if err != nil {
			return nil, "", err
		}
		s, err := slo.Parse(raw, nil)
		return s, "file " + file, err
	}
	if strings.TrimSpace(env) != "" {
		s, err := slo.Parse([]byte(env), nil)
		return s, "SLO_CONFIG", err
	}
	return slo.Defaults(), "defaults", nil
}
