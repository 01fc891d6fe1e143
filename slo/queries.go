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
