package dashboards

import (
	"fmt"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// CollectorHealth shows whether the telemetry pipeline itself keeps up: what the collector's receivers
// accept and refuse, what its exporters send and fail to send, how full the exporters' queues are, what the
// spanmetrics connector produces, and whether Prometheus reaches its targets. A dip in the shop dashboards
// means little if the pipeline dropped the data.
func CollectorHealth(opts Options) (dashboard.Dashboard, error) {
	opts = opts.withDefaults()
	// Jaeger v2 is a collector too: Prometheus scrapes the same otelcol_* series from it, with receivers
	// and exporters of the same names (otlp). Each line is one program's component, told apart by the pod's
	// app.kubernetes.io/name label, which the pod scrape adds; summing by component alone would add Jaeger's
	// spans to the collector's.
	byReceiver := func(metric string) string {
		return fmt.Sprintf(`sum by (%s, receiver) (rate(%s[$__rate_interval]))`, ProgramLabel, metric)
	}
	byExporter := func(metric string) string {
		return fmt.Sprintf(`sum by (%s, exporter) (rate(%s[$__rate_interval]))`, ProgramLabel, metric)
	}
	// The collector counts a failed send only once one fails: until then there is no series, so the panel
	// draws an explicit 0 for each exporter that sends.
	failedOrZero := func(failed, sent string) string {
		return fmt.Sprintf(`%s or %s * 0`, byExporter(failed), byExporter(sent))
	}
	rl, el := "{{"+ProgramLabel+"}} {{receiver}}", "{{"+ProgramLabel+"}} {{exporter}}"
	b := newDashboard(CollectorUID, "Chaos lab / Collector and pipeline health",
		"The OpenTelemetry Collector's own telemetry (receivers, exporters, queues), the spanmetrics it derives, and Prometheus' scrape health.", opts).
		WithRow(dashboard.NewRowBuilder("Receivers")).
		WithPanel(opts.graph("Accepted spans",
			"Spans per second that the receivers pushed into the pipeline.",
			"short",
			q(byReceiver("otelcol_receiver_accepted_spans_total"), rl))).
		WithPanel(opts.graph("Refused spans",
			"Spans per second that the receivers refused (for example when the memory limiter pushes back).",
			"short",
			q(byReceiver("otelcol_receiver_refused_spans_total"), rl))).
		WithPanel(opts.graph("Accepted metric points",
			"Metric data points per second that the receivers pushed into the pipeline.",
			"short",
			q(byReceiver("otelcol_receiver_accepted_metric_points_total"), rl))).
		WithPanel(opts.graph("Refused metric points",
			"Metric data points per second that the receivers refused.",
			"short",
			q(byReceiver("otelcol_receiver_refused_metric_points_total"), rl))).
		WithRow(dashboard.NewRowBuilder("Exporters")).
		WithPanel(opts.graph("Sent and failed spans",
			"Spans per second that each exporter sent, and failed to send (dashed).",
			"short",
			q(byExporter("otelcol_exporter_sent_spans_total"), "sent "+el),
			q(failedOrZero("otelcol_exporter_send_failed_spans_total", "otelcol_exporter_sent_spans_total"), "failed "+el)).
			OverrideByRegexp("failed .*", limitOverride())).
		WithPanel(opts.graph("Sent and failed metric points",
			"Metric points per second that each exporter sent, and failed to send (dashed).",
			"short",
			q(byExporter("otelcol_exporter_sent_metric_points_total"), "sent "+el),
			q(failedOrZero("otelcol_exporter_send_failed_metric_points_total", "otelcol_exporter_sent_metric_points_total"), "failed "+el)).
			OverrideByRegexp("failed .*", limitOverride())).
		WithPanel(opts.graph("Exporter queue usage",
			"Batches waiting in each exporter's sending queue as a share of its capacity. A queue that fills up drops data.",
			"percentunit",
			q(fmt.Sprintf(`sum by (%[1]s, exporter) (otelcol_exporter_queue_size) / sum by (%[1]s, exporter) (otelcol_exporter_queue_capacity)`, ProgramLabel), el))).
		WithPanel(opts.graph("Exporter queue size",
			"Batches waiting in each exporter's sending queue, and the queue's capacity (dashed).",
			"short",
			q(fmt.Sprintf(`sum by (%s, exporter) (otelcol_exporter_queue_size)`, ProgramLabel), el),
			q(fmt.Sprintf(`sum by (%s, exporter) (otelcol_exporter_queue_capacity)`, ProgramLabel), el+" capacity")).
			OverrideByRegexp(".* capacity", limitOverride())).
		WithRow(dashboard.NewRowBuilder("Derived metrics and scraping")).
		WithPanel(opts.graph("Spanmetrics output",
			"Spans per second that the spanmetrics connector counted, all services and kinds: the input of every RED panel and SLO.",
			"reqps",
			q(fmt.Sprintf(`sum(rate(%s[$__rate_interval]))`, slo.CallsMetric), "calls"),
			q(fmt.Sprintf(`sum(rate(%s{status_code="%s"}[$__rate_interval]))`, slo.CallsMetric, slo.ErrorStatus), "errors"))).
		WithPanel(opts.graph("Scrape targets up",
			"Prometheus targets that answered the last scrape, per job; a missing producer shows as a drop here.",
			"short",
			q(`sum by (job) (up)`, "{{job}}"),
			q(`count by (job) (up)`, "{{job}} targets")).
			OverrideByRegexp(".* targets", limitOverride()))
	return b.Build()
}
