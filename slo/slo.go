// Package slo is the one model of the shop's service level objectives. Dashboards draw its thresholds,
// Prometheus evaluates its recording and burn-rate rules, the SLO gate answers from its queries, and the
// report judges fault windows against it.
package slo

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Kind says what an SLO measures.
type Kind string

const (
	// Availability is the share of server spans that did not end in error.
	Availability Kind = "availability"
	// Latency is the share of server spans faster than ThresholdMs; with Objective 0.95 it reads "p95 < ThresholdMs".
	Latency Kind = "latency"
)

// SpanMetrics names the series that the collector's spanmetrics connector produces, as Prometheus sees them.
const (
	CallsMetric    = "traces_span_metrics_calls_total"
	DurationBucket = "traces_span_metrics_duration_milliseconds_bucket"
	ServerSpanKind = "SPAN_KIND_SERVER"
	ErrorStatus    = "STATUS_CODE_ERROR"
)

// LatencyBucketsMs are the explicit histogram bounds that the collector's spanmetrics connector is configured
// with. A latency SLO's threshold must be one of them, or its SLI could not be read from the histogram.
var LatencyBucketsMs = []float64{5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000}

// SLO is one objective for one service of the shop.
type SLO struct {
	Name        string        `json:"name"`
	Service     string        `json:"service"`
	Kind        Kind          `json:"kind"`
	Objective   float64       `json:"objective"`             // the good-event ratio to meet, in (0, 1)
	ThresholdMs float64       `json:"thresholdMs,omitempty"` // latency only
	Window      time.Duration `json:"-"`                     // the compliance window of the error budget
}

// ErrorBudget is the share of events allowed to be bad.
func (s SLO) ErrorBudget() float64 { return 1 - s.Objective }

func (s SLO) serverSelector(extra string) string {
	sel := fmt.Sprintf(`service_name=%q, span_kind=%q`, s.Service, ServerSpanKind)
	if extra != "" {
		sel += ", " + extra
	}
	return "{" + sel + "}"
}

// TotalRate is the rate of all the service's server spans over the range.
func (s SLO) TotalRate(window string) string {
	switch s.Kind {
	case Latency:
		return fmt.Sprintf(`sum(rate(%s%s[%s]))`, DurationBucket, s.serverSelector(`le="+Inf"`), window)
	default:
		return fmt.Sprintf(`sum(rate(%s%s[%s]))`, CallsMetric, s.serverSelector(""), window)
	}
}

// BadRate is the rate of the service's server spans that count against the objective.
func (s SLO) BadRate(window string) string {
	switch s.Kind {
	case Latency:
		return fmt.Sprintf(`(%s - sum(rate(%s%s[%s])))`, s.TotalRate(window), DurationBucket,
			s.serverSelector(LeMatcher(s.ThresholdMs)), window)
	default:
		return fmt.Sprintf(`sum(rate(%s%s[%s]))`, CallsMetric, s.serverSelector(fmt.Sprintf(`status_code=%q`, ErrorStatus)), window)
	}
}

// ErrorRatioQuery is the share of bad events over the range: the quantity that burns the error budget.
func (s SLO) ErrorRatioQuery(window string) string {
	return fmt.Sprintf(`(%s / %s)`, s.BadRate(window), s.TotalRate(window))
}

// SLIQuery is the share of good events over the range, comparable with Objective.
func (s SLO) SLIQuery(window string) string {
	return fmt.Sprintf(`(1 - %s)`, s.ErrorRatioQuery(window))
}

// formatBound writes a bucket bound the way the collector's Prometheus exporter writes the le label ("500").
func formatBound(ms float64) string {
	return strconv.FormatFloat(ms, 'f', -1, 64)
}

// LeMatcher selects the histogram bucket of one bound. The collector exposes le="500", but Prometheus 3
// normalizes the le label of classic histograms to float form on ingestion (le="500.0") while Prometheus 2
// keeps it as exposed, so an integral bound is matched in both spellings.
func LeMatcher(ms float64) string {
	exposed := formatBound(ms)
	if ms == math.Trunc(ms) {
		return fmt.Sprintf(`le=~"%s|%s\\.0"`, exposed, exposed)
	}
	return fmt.Sprintf(`le=%q`, exposed)
}

// DefaultWindow is the compliance window of the default SLOs.
const DefaultWindow = 30 * 24 * time.Hour

// Defaults are availability 99% and p95 under 500 ms for frontend-proxy, checkout and product-catalog.
func Defaults() []SLO {
	var out []SLO
	for _, svc := range []string{"frontend-proxy", "checkout", "product-catalog"} {
		out = append(out,
			SLO{Name: svc + "-availability", Service: svc, Kind: Availability, Objective: 0.99, Window: DefaultWindow},
			SLO{Name: svc + "-latency", Service: svc, Kind: Latency, Objective: 0.95, ThresholdMs: 500, Window: DefaultWindow},
		)
	}
	return out
}

// Names lists the SLOs' names in order.
func Names(slos []SLO) []string {
	names := make([]string, len(slos))
	for i, s := range slos {
		names[i] = s.Name
	}
	return names
}

// Find returns the SLO with that name.
func Find(slos []SLO, name string) (SLO, bool) {
	for _, s := range slos {
		if s.Name == name {
			return s, true
		}
	}
	return SLO{}, false
}

// configEntry is one element of the `chaos-mesh-otel:slos` config key.
type configEntry struct {
	Name        string   `json:"name"`
	Service     string   `json:"service"`
	Kind        Kind     `json:"kind"`
	Objective   *float64 `json:"objective"`
	ThresholdMs *float64 `json:"thresholdMs"`
	Window      string   `json:"window"`
}

// FieldError is one problem in the config, named by its key path.
type FieldError struct {
	Path    string
	Message string
}

func (e FieldError) Error() string { return e.Path + ": " + e.Message }

// Errors is every problem found at once.
type Errors []FieldError

func (e Errors) Error() string {
	msgs := make([]string, len(e))
	for i, fe := range e {
		msgs[i] = fe.Error()
	}
	return strings.Join(msgs, "\n")
}

// Parse reads the raw JSON value of the `chaos-mesh-otel:slos` config key. Empty input means the defaults.
// Every error names its key path, for example slos[2].objective.
func Parse(raw []byte, knownServices []string) ([]SLO, error) {
	trimmed := strings.TrimSpace(string(raw))
	if trimmed == "" || trimmed == "null" {
		return Defaults(), nil
	}
	var entries []configEntry
	dec := json.NewDecoder(strings.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&entries); err != nil {
		return nil, Errors{{Path: "slos", Message: "expected a list of {name, service, kind, objective, thresholdMs, window}: " + err.Error()}}
	}
	known := map[string]bool{}
	for _, s := range knownServices {
		known[s] = true
	}
	var errs Errors
	seen := map[string]bool{}
	var out []SLO
	for i, e := range entries {
		path := fmt.Sprintf("slos[%d]", i)
		s := SLO{Name: e.Name, Service: e.Service, Kind: e.Kind, Window: DefaultWindow}
		if e.Name == "" {
			errs = append(errs, FieldError{path + ".name", "required: a DNS-style name such as checkout-availability"})
		} else if seen[e.Name] {
			errs = append(errs, FieldError{path + ".name", fmt.Sprintf("duplicate SLO name %q", e.Name)})
		}
		seen[e.Name] = true
		if e.Service == "" {
			errs = append(errs, FieldError{path + ".service", "required: a service of the shop"})
		} else if len(known) > 0 && !known[e.Service] {
			errs = append(errs, FieldError{path + ".service", fmt.Sprintf("unknown service %q; expected one of %s", e.Service, strings.Join(sortedKeys(known), ", "))})
		}
		switch e.Kind {
		case Availability, Latency:
		default:
			errs = append(errs, FieldError{path + ".kind", fmt.Sprintf("got %q; expected availability or latency", e.Kind)})
		}
		if e.Objective == nil {
			errs = append(errs, FieldError{path + ".objective", "required: a ratio strictly between 0 and 1, such as 0.99"})
		} else if *e.Objective <= 0 || *e.Objective >= 1 {
			errs = append(errs, FieldError{path + ".objective", fmt.Sprintf("got %v; expected a ratio strictly between 0 and 1, such as 0.99", *e.Objective)})
		} else {
			s.Objective = *e.Objective
		}
		if e.Kind == Latency {
			if e.ThresholdMs == nil {
				errs = append(errs, FieldError{path + ".thresholdMs", fmt.Sprintf("required for latency: one of the histogram bounds %v", LatencyBucketsMs)})
			} else if !isBucket(*e.ThresholdMs) {
				errs = append(errs, FieldError{path + ".thresholdMs", fmt.Sprintf("got %v; expected one of the histogram bounds %v", *e.ThresholdMs, LatencyBucketsMs)})
			} else {
				s.ThresholdMs = *e.ThresholdMs
			}
		} else if e.ThresholdMs != nil {
			errs = append(errs, FieldError{path + ".thresholdMs", "only latency SLOs take a threshold"})
		}
		if e.Window != "" {
			w, err := parseWindow(e.Window)
			if err != nil {
				errs = append(errs, FieldError{path + ".window", fmt.Sprintf("got %q; expected a duration such as 30d, 7d or 1h", e.Window)})
			} else {
				s.Window = w
			}
		}
		out = append(out, s)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

func isBucket(ms float64) bool {
	for _, b := range LatencyBucketsMs {
		if b == ms {
			return true
		}
	}
	return false
}

// parseWindow accepts Go durations plus a day suffix, as SRE windows are written in days.
func parseWindow(s string) (time.Duration, error) {
	if strings.HasSuffix(s, "d") {
		var days int
		if _, err := fmt.Sscanf(strings.TrimSuffix(s, "d"), "%d", &days); err != nil || days <= 0 ||
			fmt.Sprint(days)+"d" != s {
			return 0, fmt.Errorf("bad day count")
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Hour {
		return 0, fmt.Errorf("need at least 1h")
	}
	return d, nil
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
