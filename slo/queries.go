package slo

import (
	"fmt"
	"strconv"
)

// ServerSpans are the label matchers (without braces) of one service's server spans in the spanmetrics series.
func ServerSpans(service string) string {
	return fmt.Sprintf(`service_name=%q, span_kind=%q`, service, ServerSpanKind)
}

// QuantileQuery is the quantile of the durations, in ms, of the server spans that selector matches (label
// matchers without braces), read from the spanmetrics histogram over the range; one series per value of the
// by labels (comma-separated; empty: one series in all).
func QuantileQuery(quantile float64, selector, by, rng string) string {
	group := "le"
	if by != "" {
		group = by + ", le"
	}
	return fmt.Sprintf(`histogram_quantile(%s, sum by (%s) (rate(%s{%s}[%s])))`,
		strconv.FormatFloat(quantile, 'f', -1, 64), group, DurationBucket, selector, rng)
}

// P95Query is the 95th percentile of one service's server spans over the range, in ms.
func P95Query(service, rng string) string {
	return QuantileQuery(0.95, ServerSpans(service), "", rng)
}

// ServiceLabel is the spanmetrics label that names a span's service: the label that per-service queries
// group by.
const ServiceLabel = "service_name"

// AnyServerSpans are the label matchers (without braces) of every service's server spans.
func AnyServerSpans() string {
	return fmt.Sprintf(`span_kind=%q`, ServerSpanKind)
}

// P95ByServiceQuery is the 95th percentile of each service's server spans over the range, in ms: one series
// per service, from one query.
func P95ByServiceQuery(rng string) string {
	return QuantileQuery(0.95, AnyServerSpans(), ServiceLabel, rng)
}

// RequestRateByServiceQuery is each service's server spans per second over the range.
func RequestRateByServiceQuery(rng string) string {
	return fmt.Sprintf(`sum by (%s) (rate(%s{%s}[%s]))`, ServiceLabel, CallsMetric, AnyServerSpans(), rng)
}

// ErrorRatioByServiceQuery is the share of each service's server spans that ended in error over the range.
// The spanmetrics connector creates a service's error series only at its first error, so a service without
// one has no error series at all: it reads 0 here, not nothing; a service without traffic reads NaN (0/0).
func ErrorRatioByServiceQuery(rng string) string {
	all := RequestRateByServiceQuery(rng)
	errs := fmt.Sprintf(`sum by (%s) (rate(%s{%s, status_code=%q}[%s]))`, ServiceLabel, CallsMetric, AnyServerSpans(), ErrorStatus, rng)
	return fmt.Sprintf(`((%s or 0 * %s) / %s)`, errs, all, all)
}
