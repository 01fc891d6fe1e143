package dashboards

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
)

// serverSpans selects the server spans of the services picked in the dashboard's service variable.
const serverSpans = `service_name=~"$service", span_kind="` + slo.ServerSpanKind + `"`

// rateQuery and errorRatioQuery are the R and E of the RED queries over spanmetrics, for a label selector of
// server spans, grouped by the given labels; the D is slo.QuantileQuery.
func rateQuery(selector, by string) string {
	return fmt.Sprintf(`sum by (%s) (rate(%s{%s}[$__rate_interval]))`, by, slo.CallsMetric, selector)
}

// errorRatioQuery counts a group without error series as 0: the spanmetrics connector makes a service's
// error series with its first failed span, so a healthy service has none.
func errorRatioQuery(selector, by string) string {
	all := fmt.Sprintf(`sum by (%s) (rate(%s{%s}[$__rate_interval]))`, by, slo.CallsMetric, selector)
	return fmt.Sprintf(`(sum by (%s) (rate(%s{%s, status_code="%s"}[$__rate_interval])) or %s * 0) / %s`,
		by, slo.CallsMetric, selector, slo.ErrorStatus, all, all)
}

// ShopOverview is the RED view of the shop from the collector's spanmetrics: request rate, error ratio and
// latency percentiles per service, with the SLIs of the configured SLOs on top, and Istio's view of the
// requests when the lab runs Istio.
func ShopOverview(opts Options) (dashboard.Dashboard, error) {
	opts = opts.withDefaults()
	b := newDashboard(ShopOverviewUID, "Chaos lab / Shop overview",
		fmt.Sprintf("Request rate, errors and latency of %s, from the collector's spanmetrics (server spans), with the SLOs' indicators against their objectives.", opts.App.Title), opts).
		WithVariable(dashboard.NewQueryVariableBuilder("service").
			Label("Service").
			Datasource(opts.prometheusRef()).
			Query(dashboard.StringOrMap{String: cog.ToPtr(fmt.Sprintf(`label_values(%s{span_kind="%s"}, service_name)`, slo.CallsMetric, slo.ServerSpanKind))}).
			Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
			Sort(dashboard.VariableSortAlphabeticalAsc).
			Multi(true).
			IncludeAll(true).
			AllValue(".+").
			Current(dashboard.VariableOption{
				Text:  dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
				Value: dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
			}))

	b = b.WithRow(dashboard.NewRowBuilder("Service level indicators (over the dashboard's time range)"))
	for _, s := range opts.SLOs {
		b = b.WithPanel(sliStat(opts, s))
	}

	b = b.WithPanel(thresholdLine(opts.graph("Error budget burn rate (1h)",
		"How many times faster than sustainable each SLO spends its error budget over the last hour, from the recording rules. The dashed lines are the fast-burn paging thresholds of the multi-window alerts.",
		"short",
		q(fmt.Sprintf(`%s / %s`, slo.ErrorRatioRecord("1h"), slo.ErrorBudgetRecord), "{{slo}}")),
		burnSteps()...).Span(24))

	jaeger := jaegerLink(opts)
	p95 := opts.graph("Latency p95",
		"95th percentile server-span duration per service. The dashed line is the latency SLOs' threshold.",
		"ms",
		q(slo.QuantileQuery(0.95, serverSpans, "service_name", "$__rate_interval"), "{{service_name}}")).
		DataLinks(jaeger)
	if th, ok := latencyThreshold(opts.SLOs); ok {
		p95 = thresholdLine(p95, step(th, "red"))
	}
	b = b.WithRow(dashboard.NewRowBuilder("Rate, errors, duration (server spans)")).
		WithPanel(opts.graph("Request rate",
			"Server spans per second, per service.",
			"reqps",
			q(rateQuery(serverSpans, "service_name"), "{{service_name}}")).
			DataLinks(jaeger)).
		WithPanel(opts.graph("Error ratio",
			"Share of server spans with status ERROR, per service.",
			"percentunit",
			q(errorRatioQuery(serverSpans, "service_name"), "{{service_name}}")).
			Min(0).
			DataLinks(jaeger)).
		WithPanel(opts.graph("Latency p50",
			"Median server-span duration per service, from the spanmetrics histogram.",
			"ms",
			q(slo.QuantileQuery(0.5, serverSpans, "service_name", "$__rate_interval"), "{{service_name}}")).
			DataLinks(jaeger)).
		WithPanel(p95).
		WithPanel(opts.graph("Latency p99",
			"99th percentile server-span duration per service. The histogram's largest finite bound is 10 s; above it the quantile reads as that bound.",
			"ms",
			q(slo.QuantileQuery(0.99, serverSpans, "service_name", "$__rate_interval"), "{{service_name}}")).
			DataLinks(jaeger)).
		WithPanel(opts.graph("Errors by span name",
			"Error spans per second of the selected services, per operation: which calls fail.",
			"reqps",
			q(fmt.Sprintf(`sum by (service_name, span_name) (rate(%s{service_name=~"$service", status_code="%s"}[$__rate_interval])) > 0`, slo.CallsMetric, slo.ErrorStatus), "{{service_name}} {{span_name}}")).
			DataLinks(jaeger))
	if opts.Istio {
		b = meshRow(b, opts)
	}
	return b.Build()
}

// sliStat is one SLO's indicator over the dashboard's time range, coloured against the objective.
func sliStat(opts Options, s slo.SLO) *stat.PanelBuilder {
	switch s.Kind {
	case slo.Latency:
		return opts.single(
			fmt.Sprintf("%s p%s latency", s.Service, strconv.FormatFloat(s.Objective*100, 'f', -1, 64)),
			fmt.Sprintf("SLO %s: %s%% of %s's server spans faster than %s ms. Red when the percentile is above the threshold.",
				s.Name, strconv.FormatFloat(s.Objective*100, 'f', -1, 64), s.Service, strconv.FormatFloat(s.ThresholdMs, 'f', -1, 64)),
			"ms",
			q(slo.QuantileQuery(s.Objective, slo.ServerSpans(s.Service), "", "$__range"), s.Name),
			[]dashboard.Threshold{{Color: "green"}, step(s.ThresholdMs, "red")})
	default:
		return opts.single(
			fmt.Sprintf("%s availability", s.Service),
			fmt.Sprintf("SLO %s: at least %s%% of %s's server spans without error. Red below the objective.",
				s.Name, strconv.FormatFloat(s.Objective*100, 'f', -1, 64), s.Service),
			"percentunit",
			q(s.SLIQuery("$__range"), s.Name),
			[]dashboard.Threshold{{Color: "red"}, step(s.Objective, "green")}).
			Decimals(2)
	}
}

// burnSteps are the burn rates at which the paging alerts fire for the default compliance window.
func burnSteps() []dashboard.Threshold {
	var steps []dashboard.Threshold
	colors := []string{"red", "orange"}
	for i, bw := range slo.BurnWindows {
		if bw.Severity != slo.Page {
			continue
		}
		steps = append(steps, step(bw.Factor(slo.DefaultWindow), colors[i%len(colors)]))
	}
	// Thresholds must ascend.
	if len(steps) == 2 && *steps[0].Value > *steps[1].Value {
		steps[0], steps[1] = steps[1], steps[0]
		steps[0].Color, steps[1].Color = "orange", "red"
	}
	return steps
}

func latencyThreshold(slos []slo.SLO) (float64, bool) {
	for _, s := range slos {
		if s.Kind == slo.Latency {
			return s.ThresholdMs, true
		}
	}
	return 0, false
}

// jaegerLink opens Grafana Explore on the Jaeger datasource, searching the clicked series' service.
func jaegerLink(opts Options) []cog.Builder[dashboard.DashboardLink] {
	left, _ := json.Marshal(map[string]any{
		"datasource": opts.JaegerUID,
		"queries": []map[string]any{{
			"refId":       "A",
			"datasource":  map[string]string{"type": "jaeger", "uid": opts.JaegerUID},
			"queryType":   "search",
			"service":     "${__field.labels.service_name}",
			"limit":       20,
			"tags":        "",
			"minDuration": "",
		}},
		"range": map[string]string{"from": "${__from}", "to": "${__to}"},
	})
	return []cog.Builder[dashboard.DashboardLink]{
		dashboard.NewDashboardLinkBuilder("Traces of ${__field.labels.service_name} in Jaeger").
			Url("/explore?left=" + url.QueryEscape(string(left))).
			TargetBlank(true),
	}
}
