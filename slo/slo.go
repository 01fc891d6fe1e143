// Package slo is the one model of the app under test's service level objectives. Dashboards draw its thresholds,
// Prometheus evaluates its recording and burn-rate rules, the SLO gate answers from its queries, and the
// report judges fault windows against it.
package slo

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
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
		// The spanmetrics connector makes a service's error series with its first failed span: until then
		// there is none, and without "or vector(0)" the ratio would have no value on a healthy service.
		return fmt.Sprintf(`(sum(rate(%s%s[%s])) or vector(0))`, CallsMetric, s.serverSelector(fmt.Sprintf(`status_code=%q`, ErrorStatus)), window)
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

// Defaults are the Astronomy Shop's default SLOs: DefaultsFor(apps.AstronomyShop).
func Defaults() []SLO { return DefaultsFor(apps.AstronomyShop) }

// DefaultsFor are an app's default SLOs: availability 99% and p95 under 500 ms for each of its SLO services
// (apps.App.SLOServices), named <service>-availability and <service>-latency.
func DefaultsFor(app apps.App) []SLO {
	var out []SLO
	for _, svc := range app.SLOServices {
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
	ThresholdMs *float64 `json:"thresholdMs,omitempty"`
	Window      string   `json:"window,omitempty"`
}

// Parse reads the raw JSON value of the `chaos-mesh-otel:slos` config key; empty input means the Astronomy
// Shop's defaults (ParseFor reads it for another app).
// knownServices, when not empty, are the services an SLO may be about. The error joins one *field.Error per
// problem (errors.Join: one line each), each naming its key path, for example slos[2].objective; Validate
// returns the same problems as a list.
func Parse(raw []byte, knownServices []string) ([]SLO, error) {
	return ParseFor(apps.AstronomyShop, raw, knownServices)
}

// ParseFor is Parse for an app: empty input means the app's defaults (DefaultsFor).
func ParseFor(app apps.App, raw []byte, knownServices []string) ([]SLO, error) {
	slos, errs := ValidateFor(app, raw, knownServices)
	if len(errs) > 0 {
		list := make([]error, len(errs))
		for i, e := range errs {
			list[i] = e
		}
		return nil, errors.Join(list...)
	}
	return slos, nil
}

// root is the path of the config key that Validate reads.
var root = field.NewPath("slos")

// Validate reads and checks the raw JSON value of the `chaos-mesh-otel:slos` config key for the Astronomy
// Shop, returning every problem found; see ValidateFor.
func Validate(raw []byte, knownServices []string) ([]SLO, field.ErrorList) {
	return ValidateFor(apps.AstronomyShop, raw, knownServices)
}

// ValidateFor reads and checks the raw JSON value of the `chaos-mesh-otel:slos` config key, returning every
// problem found. Empty input means the app's defaults. The entries come back even when some are invalid, so
// that a caller can still check the names that refer to them.
func ValidateFor(app apps.App, raw []byte, knownServices []string) ([]SLO, field.ErrorList) {
	trimmed := strings.TrimSpace(string(raw))
	if trimmed == "" || trimmed == "null" {
		return DefaultsFor(app), nil
	}
	var entries []configEntry
	dec := json.NewDecoder(strings.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&entries); err != nil {
		return nil, field.ErrorList{field.Invalid(root, field.OmitValueType{}, "expected a list of {name, service, kind, objective, thresholdMs, window}: "+err.Error())}
	}
	var errs field.ErrorList
	seen := map[string]bool{}
	out := make([]SLO, 0, len(entries))
	for i, e := range entries {
		s, entryErrs := e.check(root.Index(i), knownServices, seen)
		errs = append(errs, entryErrs...)
		out = append(out, s)
	}
	return out, errs
}

// check turns one entry into an SLO, with every problem of it. seen holds the names of the entries before.
func (e configEntry) check(path *field.Path, knownServices []string, seen map[string]bool) (SLO, field.ErrorList) {
	var errs field.ErrorList
	s := SLO{Name: e.Name, Service: e.Service, Kind: e.Kind, Window: DefaultWindow}
	switch {
	case e.Name == "":
		errs = append(errs, field.Required(path.Child("name"), "a DNS-style name such as checkout-availability"))
	case seen[e.Name]:
		errs = append(errs, field.Duplicate(path.Child("name"), e.Name))
	}
	seen[e.Name] = true
	switch {
	case e.Service == "":
		errs = append(errs, field.Required(path.Child("service"), "a service of the app under test"))
	case len(knownServices) > 0 && !slices.Contains(knownServices, e.Service):
		errs = append(errs, field.NotSupported(path.Child("service"), e.Service, knownServices))
	}
	if e.Kind != Availability && e.Kind != Latency {
		errs = append(errs, field.NotSupported(path.Child("kind"), e.Kind, []Kind{Availability, Latency}))
	}
	switch {
	case e.Objective == nil:
		errs = append(errs, field.Required(path.Child("objective"), "a ratio strictly between 0 and 1, such as 0.99"))
	case *e.Objective <= 0 || *e.Objective >= 1:
		errs = append(errs, field.Invalid(path.Child("objective"), *e.Objective, "expected a ratio strictly between 0 and 1, such as 0.99"))
	default:
		s.Objective = *e.Objective
	}
	switch {
	case e.Kind != Latency && e.ThresholdMs != nil:
		errs = append(errs, field.Forbidden(path.Child("thresholdMs"), "only latency SLOs take a threshold"))
	case e.Kind != Latency:
	case e.ThresholdMs == nil:
		errs = append(errs, field.Required(path.Child("thresholdMs"), fmt.Sprintf("for latency: one of the histogram bounds %v", LatencyBucketsMs)))
	case !isBucket(*e.ThresholdMs):
		errs = append(errs, field.Invalid(path.Child("thresholdMs"), *e.ThresholdMs, fmt.Sprintf("expected one of the histogram bounds %v", LatencyBucketsMs)))
	default:
		s.ThresholdMs = *e.ThresholdMs
	}
	if e.Window != "" {
		if w, err := parseWindow(e.Window); err != nil {
			errs = append(errs, field.Invalid(path.Child("window"), e.Window, "expected a duration such as 30d, 7d or 1h"))
		} else {
			s.Window = w
		}
	}
	return s, errs
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

// Encode writes SLOs as the value of the `chaos-mesh-otel:slos` config key, which Parse reads back to the
// same SLOs: how a program hands an app's resolved SLOs (its defaults included) to the SLO gate.
func Encode(slos []SLO) (string, error) {
	entries := make([]configEntry, len(slos))
	for i, s := range slos {
		e := configEntry{Name: s.Name, Service: s.Service, Kind: s.Kind, Window: formatWindow(s.Window)}
		objective := s.Objective
		e.Objective = &objective
		if s.Kind == Latency {
			threshold := s.ThresholdMs
			e.ThresholdMs = &threshold
		}
		entries[i] = e
	}
	b, err := json.Marshal(entries)
	return string(b), err
}

// formatWindow writes a window as parseWindow reads it: whole days as 30d, else a Go duration.
func formatWindow(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}
