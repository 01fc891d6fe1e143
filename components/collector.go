package components

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// The collector's addresses and the names its metrics take in Prometheus. Dashboards, the SLO model and the
// wiring checker are tested against these.
const (
	CollectorService      = "otel-collector"
	CollectorOTLPGRPCPort = 4317
	CollectorOTLPHTTPPort = 4318
	// CollectorPrometheusPort serves everything the collector turns into Prometheus metrics: the
	// spanmetrics series, the shop's own OTLP metrics, and the collector's own telemetry.
	CollectorPrometheusPort = 9464
	// collectorSelfTelemetryPort is where the collector exposes its own metrics, scraped back into the
	// metrics pipeline so that one port carries everything.
	collectorSelfTelemetryPort = 8888
	// SpanMetricsNamespace prefixes the spanmetrics connector's metrics: traces.span.metrics.calls becomes
	// traces_span_metrics_calls_total in Prometheus.
	SpanMetricsNamespace = "traces.span.metrics"
	// LogsSink is the exporter that receives the shop's logs. A lab needs logs to be readable during an
	// experiment, not retained, so they go to the collector's stdout rather than to OpenSearch.
	LogsSink = "debug"
	// collectorImage is the contrib distribution: k8sattributes, the spanmetrics connector and the
	// Prometheus exporter are not in the core distribution.
	collectorImage = "otel/opentelemetry-collector-contrib"
)

// SpanMetricsBucketsMs are the spanmetrics histogram bounds: the SLO model's, so that every allowed latency
// threshold is a bound and "p95 < 500 ms" is read exactly from the histogram.
var SpanMetricsBucketsMs = slo.LatencyBucketsMs

// CollectorPrometheusNamespace prefixes nothing: the series keep the names the dashboards and SLOs query.
const CollectorPrometheusNamespace = ""

// JaegerOTLPEndpoint is where the collector sends traces.
var JaegerOTLPEndpoint = fmt.Sprintf("%s.%s.svc:%d", JaegerService, ObservabilityNamespace, JaegerOTLPGRPCPort)

// CollectorArgs configures the OpenTelemetry Collector.
type CollectorArgs struct {
	Charts    ChartSource
	Namespace pulumi.StringInput
}

// Collector is the OpenTelemetry Collector that every service of the shop sends its telemetry to.
type Collector struct {
	pulumi.ResourceState

	OTLPEndpoint pulumi.StringOutput `pulumi:"otlpEndpoint"`
}

// CollectorConfig is the collector's whole pipeline configuration: OTLP in; traces to Jaeger and through the
// spanmetrics connector; metrics, spanmetrics included, to a Prometheus endpoint that Prometheus scrapes;
// logs to the debug exporter. The chart's kubernetesAttributes preset adds the k8s_attributes processor to
// every pipeline, so that every series carries its pod and namespace.
func CollectorConfig() map[string]any {
	buckets := make([]any, len(SpanMetricsBucketsMs))
	for i, b := range SpanMetricsBucketsMs {
		buckets[i] = fmt.Sprintf("%gms", b)
	}
	pipeline := func(receivers, processors, exporters []string) map[string]any {
		return map[string]any{"receivers": toAny(receivers), "processors": toAny(processors), "exporters": toAny(exporters)}
	}
	// memory_limiter first, so that it refuses data before any other processor holds it. The chart's
	// kubernetesAttributes preset defines k8s_attributes and, because the pipelines already list it here,
	// keeps this order instead of putting it first.
	common := []string{"memory_limiter", "k8s_attributes", "batch"}
	return map[string]any{
		"receivers": map[string]any{
			"otlp": map[string]any{"protocols": map[string]any{
				"grpc": map[string]any{"endpoint": fmt.Sprintf("${env:MY_POD_IP}:%d", CollectorOTLPGRPCPort)},
				"http": map[string]any{"endpoint": fmt.Sprintf("${env:MY_POD_IP}:%d", CollectorOTLPHTTPPort)},
			}},
			"prometheus/self": map[string]any{"config": map[string]any{"scrape_configs": []any{map[string]any{
				"job_name":        "otel-collector",
				"scrape_interval": "5s",
				"static_configs":  []any{map[string]any{"targets": []any{fmt.Sprintf("${env:MY_POD_IP}:%d", collectorSelfTelemetryPort)}}},
			}}}},
		},
		"connectors": map[string]any{
			"spanmetrics": map[string]any{
				"namespace": SpanMetricsNamespace,
				"histogram": map[string]any{"explicit": map[string]any{"buckets": buckets}},
				// Flush often so that a fault shows within one Prometheus scrape or two.
				"metrics_flush_interval": "5s",
			},
		},
		"processors": map[string]any{
			"memory_limiter": map[string]any{"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 25},
			"batch":          map[string]any{},
		},
		"exporters": map[string]any{
			"otlp/jaeger": map[string]any{
				"endpoint": JaegerOTLPEndpoint,
				"tls":      map[string]any{"insecure": true},
			},
			"prometheus": map[string]any{
				"endpoint":  fmt.Sprintf("${env:MY_POD_IP}:%d", CollectorPrometheusPort),
				"namespace": CollectorPrometheusNamespace,
				// Resource attributes (service.name, k8s.pod.name, k8s.namespace.name...) become labels.
				"resource_to_telemetry_conversion": map[string]any{"enabled": true},
				"metric_expiration":                "5m",
			},
			LogsSink: map[string]any{"verbosity": "basic"},
		},
		"extensions": map[string]any{
			"health_check": map[string]any{"endpoint": "${env:MY_POD_IP}:13133"},
		},
		"service": map[string]any{
			"extensions": []any{"health_check"},
			"telemetry": map[string]any{"metrics": map[string]any{"readers": []any{map[string]any{
				"pull": map[string]any{"exporter": map[string]any{"prometheus": map[string]any{
					"host": "${env:MY_POD_IP}", "port": collectorSelfTelemetryPort,
				}}},
			}}}},
			"pipelines": map[string]any{
				"traces":  pipeline([]string{"otlp"}, common, []string{"otlp/jaeger", "spanmetrics"}),
				"metrics": pipeline([]string{"otlp", "spanmetrics", "prometheus/self"}, common, []string{"prometheus"}),
				"logs":    pipeline([]string{"otlp"}, common, []string{LogsSink}),
			},
		},
	}
}

// CollectorValues are the chart values.
func CollectorValues() map[string]any {
	port := func(container, service int, appProtocol string) map[string]any {
		p := map[string]any{"enabled": true, "containerPort": container, "servicePort": service, "protocol": "TCP"}
		if appProtocol != "" {
			p["appProtocol"] = appProtocol
		}
		return p
	}
	return map[string]any{
		"fullnameOverride": CollectorService,
		"mode":             "deployment",
		"image":            map[string]any{"repository": collectorImage},
		"presets": map[string]any{
			"kubernetesAttributes": map[string]any{"enabled": true},
		},
		// Our config replaces the chart's default config (with its jaeger and zipkin receivers) wholesale.
		"alternateConfig": CollectorConfig(),
		"ports": map[string]any{
			"otlp":           port(CollectorOTLPGRPCPort, CollectorOTLPGRPCPort, "grpc"),
			"otlp-http":      port(CollectorOTLPHTTPPort, CollectorOTLPHTTPPort, ""),
			"prom-exporter":  port(CollectorPrometheusPort, CollectorPrometheusPort, ""),
			"jaeger-compact": map[string]any{"enabled": false},
			"jaeger-thrift":  map[string]any{"enabled": false},
			"jaeger-grpc":    map[string]any{"enabled": false},
			"zipkin":         map[string]any{"enabled": false},
		},
		"podAnnotations": map[string]any{
			"prometheus.io/scrape": "true",
			"prometheus.io/port":   fmt.Sprint(CollectorPrometheusPort),
		},
		"resources": collectorBudget.Resources(),
	}
}

// NewCollector declares the collector.
func NewCollector(ctx *pulumi.Context, name string, args *CollectorArgs, opts ...pulumi.ResourceOption) (*Collector, error) {
	c := &Collector{}
	if err := ctx.RegisterComponentResource("chaos-mesh-otel:observability:Collector", name, c, opts...); err != nil {
		return nil, err
	}
	release, err := newRelease(ctx, name, CollectorService, args.Charts, CollectorChart, args.Namespace, CollectorValues(),
		childOf(c, opts), formerName(name, CollectorName, name, CollectorService))
	if err != nil {
		return nil, err
	}
	c.OTLPEndpoint = pulumi.Sprintf("http://%s.%s.svc:%d", CollectorService, release.Namespace.Elem(), CollectorOTLPGRPCPort)
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"otlpEndpoint": c.OTLPEndpoint})
}

func toAny(items []string) []any {
	out := make([]any, len(items))
	for i, s := range items {
		out[i] = s
	}
	return out
}
