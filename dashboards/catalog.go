package dashboards

import (
	"sort"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// Producer is a component of the deployed stack that produces metrics in Prometheus.
type Producer string

const (
	// SpanMetrics are the collector's spanmetrics connector's series, exposed by its Prometheus exporter
	// (port 9464, namespace "", resource attributes converted to labels).
	SpanMetrics Producer = "spanmetrics connector via the collector's prometheus exporter"
	// KubeStateMetrics is the prometheus chart's kube-state-metrics (v2.19), scraped by the
	// kubernetes-service-endpoints job with honor_labels, so namespace/pod are the objects'.
	KubeStateMetrics Producer = "kube-state-metrics"
	// CAdvisor is the kubelets' cAdvisor, scraped by the prometheus chart's kubernetes-nodes-cadvisor job.
	CAdvisor Producer = "cAdvisor (kubernetes-nodes-cadvisor job)"
	// ChaosMesh is the chaos-mesh 2.8.3 controller-manager's metrics endpoint (pkg/metrics), scraped through
	// its Service's prometheus.io annotations with honor_labels, so namespace is the chaos object's.
	ChaosMesh Producer = "chaos-mesh controller-manager"
	// CollectorSelf is the collector's internal telemetry (otelcol_*), scraped by its own prometheus receiver
	// on 8888 and re-exposed with everything else.
	CollectorSelf Producer = "collector internal telemetry"
	// PrometheusSelf are series that Prometheus writes itself for every scrape.
	PrometheusSelf Producer = "prometheus"
	// SLORules are the series that the SLO recording rules (package slo) produce.
	SLORules Producer = "slo recording rules"
	// IstioSidecars are the Envoy sidecars that istiod injects into the pods of a labelled namespace; with
	// Prometheus merge on, each pod carries prometheus.io annotations for its merged endpoint (port 15020),
	// which the prometheus chart's kubernetes-pods job scrapes, adding namespace and pod.
	IstioSidecars Producer = "Istio sidecars"
)

// ProgramLabel is the scraped pod's app.kubernetes.io/name label, which the prometheus chart's pod scrape
// adds to every series: it tells the collector's otelcol_* series (opentelemetry-collector) from Jaeger's
// (jaeger), whose receivers and exporters have the same names.
const ProgramLabel = "app_kubernetes_io_name"

// Metric is one series name that the stack produces, with the labels that queries may match on.
type Metric struct {
	Name     string
	Producer Producer
	Type     string // counter, gauge, histogram bucket
	Labels   []string
}

var (
	spanLabels      = []string{"service_name", "span_name", "span_kind", "status_code", "k8s_namespace_name", "k8s_pod_name", "job", "instance"}
	ksmPodLabels    = []string{"namespace", "pod", "uid", "job", "instance"}
	ksmDeployLabels = []string{"namespace", "deployment", "job", "instance"}
	cadvisorLabels  = []string{"namespace", "pod", "container", "id", "image", "name", "cpu", "job", "instance", "metrics_path"}
	chaosNsLabels   = []string{"namespace", "job", "instance"}
	// The collector's and Jaeger's own telemetry (both are collector builds), told apart by ProgramLabel.
	receiverLabels   = []string{"receiver", "transport", ProgramLabel, "job", "instance"}
	exporterLabels   = []string{"exporter", ProgramLabel, "job", "instance"}
	sloRecordsLabels = []string{slo.LabelSLO, slo.LabelService, slo.LabelKind}
	// istioLabels are the labels of Istio's standard request metrics, plus those of the pod scrape.
	istioLabels = []string{"reporter", "source_workload", "source_workload_namespace", "source_app", "source_canonical_service",
		"destination_workload", "destination_workload_namespace", "destination_app", "destination_canonical_service",
		"destination_service", "destination_service_name", "destination_service_namespace",
		"request_protocol", "response_code", "grpc_response_status", "response_flags", "connection_security_policy",
		"job", "instance", "namespace", "pod"}
)

func withLabels(base []string, extra ...string) []string {
	return append(append([]string(nil), base...), extra...)
}

// Catalog lists the metrics that the deployed stack really produces and that the lab's queries use; Istio's
// request metrics are among them only when the lab runs Istio (istio).
func Catalog(istio bool) []Metric {
	m := []Metric{
		{slo.CallsMetric, SpanMetrics, "counter", spanLabels},
		{slo.DurationBucket, SpanMetrics, "histogram bucket", withLabels(spanLabels, "le")},

		{"kube_deployment_spec_replicas", KubeStateMetrics, "gauge", ksmDeployLabels},
		{"kube_deployment_status_replicas_ready", KubeStateMetrics, "gauge", ksmDeployLabels},
		{"kube_deployment_status_replicas_available", KubeStateMetrics, "gauge", ksmDeployLabels},
		{"kube_deployment_status_replicas_unavailable", KubeStateMetrics, "gauge", ksmDeployLabels},
		{"kube_pod_status_ready", KubeStateMetrics, "gauge", withLabels(ksmPodLabels, "condition")},
		{"kube_pod_status_phase", KubeStateMetrics, "gauge", withLabels(ksmPodLabels, "phase")},
		{"kube_pod_container_status_restarts_total", KubeStateMetrics, "counter", withLabels(ksmPodLabels, "container")},
		{"kube_pod_container_status_last_terminated_reason", KubeStateMetrics, "gauge", withLabels(ksmPodLabels, "container", "reason")},
		{"kube_pod_container_resource_limits", KubeStateMetrics, "gauge", withLabels(ksmPodLabels, "container", "node", "resource", "unit")},
		{"kube_pod_container_resource_requests", KubeStateMetrics, "gauge", withLabels(ksmPodLabels, "container", "node", "resource", "unit")},

		{"container_cpu_usage_seconds_total", CAdvisor, "counter", cadvisorLabels},
		{"container_memory_working_set_bytes", CAdvisor, "gauge", cadvisorLabels},
		{"container_cpu_cfs_periods_total", CAdvisor, "counter", cadvisorLabels},
		{"container_cpu_cfs_throttled_periods_total", CAdvisor, "counter", cadvisorLabels},
		{"container_cpu_cfs_throttled_seconds_total", CAdvisor, "counter", cadvisorLabels},

		{"chaos_controller_manager_chaos_experiments", ChaosMesh, "gauge", withLabels(chaosNsLabels, "kind", "phase")},
		{"chaos_controller_manager_chaos_schedules", ChaosMesh, "gauge", chaosNsLabels},
		{"chaos_controller_manager_chaos_workflows", ChaosMesh, "gauge", chaosNsLabels},
		{"chaos_controller_manager_emitted_event_total", ChaosMesh, "counter", withLabels(chaosNsLabels, "type", "reason")},
		{"chaos_mesh_injections_total", ChaosMesh, "counter", withLabels(chaosNsLabels, "config")},

		{"otelcol_receiver_accepted_spans_total", CollectorSelf, "counter", receiverLabels},
		{"otelcol_receiver_refused_spans_total", CollectorSelf, "counter", receiverLabels},
		{"otelcol_receiver_failed_spans_total", CollectorSelf, "counter", receiverLabels},
		{"otelcol_receiver_accepted_metric_points_total", CollectorSelf, "counter", receiverLabels},
		{"otelcol_receiver_refused_metric_points_total", CollectorSelf, "counter", receiverLabels},
		{"otelcol_exporter_sent_spans_total", CollectorSelf, "counter", exporterLabels},
		{"otelcol_exporter_send_failed_spans_total", CollectorSelf, "counter", exporterLabels},
		{"otelcol_exporter_sent_metric_points_total", CollectorSelf, "counter", exporterLabels},
		{"otelcol_exporter_send_failed_metric_points_total", CollectorSelf, "counter", exporterLabels},
		{"otelcol_exporter_queue_size", CollectorSelf, "gauge", exporterLabels},
		{"otelcol_exporter_queue_capacity", CollectorSelf, "gauge", exporterLabels},

		{"up", PrometheusSelf, "gauge", []string{"job", "instance", "namespace", "pod", "service", "node"}},
	}
	for _, w := range slo.RecordedWindows() {
		m = append(m, Metric{slo.ErrorRatioRecord(w), SLORules, "gauge", sloRecordsLabels})
	}
	m = append(m,
		Metric{slo.ObjectiveRecord, SLORules, "gauge", sloRecordsLabels},
		Metric{slo.ErrorBudgetRecord, SLORules, "gauge", sloRecordsLabels},
	)
	if istio {
		m = append(m,
			Metric{IstioRequests, IstioSidecars, "counter", istioLabels},
			Metric{IstioDurationBucket, IstioSidecars, "histogram bucket", withLabels(istioLabels, "le")},
		)
	}
	sort.SliceStable(m, func(i, j int) bool {
		if m[i].Producer != m[j].Producer {
			return m[i].Producer < m[j].Producer
		}
		return m[i].Name < m[j].Name
	})
	return m
}

// MetricsOf lists the names of the catalog's metrics of one producer (Istio's included), sorted.
func MetricsOf(p Producer) []string {
	var out []string
	for _, m := range Catalog(true) {
		if m.Producer == p {
			out = append(out, m.Name)
		}
	}
	sort.Strings(out)
	return out
}

// LookupMetric finds a metric of the catalog (with Istio's when istio) by name.
func LookupMetric(name string, istio bool) (Metric, bool) {
	for _, m := range Catalog(istio) {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}
