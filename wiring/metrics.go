package wiring

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/dashboards"
)

var trailingPort = regexp.MustCompile(`:(\d+)$`)

// collectorWorkload is the collector's Deployment, as scrapes name their workload.
var collectorWorkload = "Deployment " + components.ObservabilityNamespace + "/" + components.CollectorService

// CheckMetricsOf proves that every metric of the dashboards' catalog has a producer among the objects:
// each producer group is mapped to what must exist and be scraped (prom is the Prometheus check's result).
// Istio's request metrics are in the catalog when the objects run Istio, as the dashboards then read them.
func CheckMetricsOf(objs *Objects, prom *PrometheusResult) Partial {
	var p Partial
	istio := istioDeployed(objs)
	producers := producersOf(objs, prom, istio)
	for _, m := range dashboards.Catalog(istio) {
		p.checkMetric(m, producers, prom)
	}
	return p
}

// producers says, per producer group, what is missing for its metrics to reach Prometheus ("" when nothing),
// and the prefix that the spanmetrics connector gives its series.
type producers struct {
	missing    map[dashboards.Producer]string
	spanPrefix string
}

func producersOf(objs *Objects, prom *PrometheusResult, istio bool) producers {
	_, cfg, _ := collectorConfig(objs)
	collectorMissing := collectorExportMissing(cfg, prom)
	ps := producers{missing: map[dashboards.Producer]string{
		dashboards.SpanMetrics:   collectorMissing,
		dashboards.CollectorSelf: collectorMissing,
	}}
	if collectorMissing == "" {
		ps.missing[dashboards.SpanMetrics], ps.spanPrefix = spanMetricsMissing(cfg)
		ps.missing[dashboards.CollectorSelf] = collectorSelfMissing(cfg, prom)
	}
	ps.missing[dashboards.KubeStateMetrics] = scrapeMissing(objs, prom, "Deployment "+components.ObservabilityNamespace+"/"+components.KubeStateMetricsService)
	ps.missing[dashboards.ChaosMesh] = scrapeMissing(objs, prom, "Deployment "+components.ChaosNamespace+"/"+chaosControllerDeployment)
	ps.missing[dashboards.PrometheusSelf] = ""
	if objs.Get("Deployment", components.ObservabilityNamespace, components.PrometheusService) == nil {
		ps.missing[dashboards.PrometheusSelf] = "Deployment " + components.ObservabilityNamespace + "/" + components.PrometheusService
	}
	if istio {
		ps.missing[dashboards.IstioSidecars] = istioSidecarsMissing(objs)
	}
	ps.missing[dashboards.CAdvisor] = "a scrape job with the node role and metrics path /metrics/cadvisor"
	for _, path := range prom.NodeJobs {
		if strings.Contains(path, "cadvisor") {
			ps.missing[dashboards.CAdvisor] = ""
		}
	}
	return ps
}

// checkMetric finds what keeps one metric of the catalog from being produced.
func (p *Partial) checkMetric(m dashboards.Metric, ps producers, prom *PrometheusResult) {
	field := "producer: " + string(m.Producer)
	object := "dashboards metric " + m.Name
	switch m.Producer {
	case dashboards.SLORules:
		if !prom.RecordedSeries[m.Name] {
			p.find(CheckMetrics, object, field, "a recording rule `record: "+m.Name+"` in ConfigMap "+components.ObservabilityNamespace+"/"+PrometheusConfigMap, "")
		}
		return
	case dashboards.SpanMetrics:
		if ps.missing[m.Producer] == "" && !strings.HasPrefix(m.Name, ps.spanPrefix) {
			p.find(CheckMetrics, object, field, "a spanmetrics connector whose namespace gives the prefix of "+m.Name, "its namespace gives "+ps.spanPrefix)
			return
		}
	}
	why, known := ps.missing[m.Producer]
	if !known {
		p.find(CheckMetrics, object, field, "a producer that the checker knows", "")
		return
	}
	if why != "" {
		p.find(CheckMetrics, object, field, why, "")
	}
}

// prometheusExporterPort is the port of the collector's prometheus exporter that some pipeline uses; 0 if none.
func prometheusExporterPort(cfg map[string]any) int {
	exporters, _ := cfg["exporters"].(map[string]any)
	port := 0
	for _, id := range sortedKeys(exporters) {
		if componentType(id) != "prometheus" {
			continue
		}
		e, _ := exporters[id].(map[string]any)
		if m := trailingPort.FindStringSubmatch(fmt.Sprint(e["endpoint"])); m != nil && len(pipelinesWith(cfg, "exporters", id)) > 0 {
			port, _ = strconv.Atoi(m[1])
		}
	}
	return port
}

// collectorExportMissing says what keeps every collector metric from Prometheus: the collector's config, its
// prometheus exporter, or a scrape job that finds that exporter's port.
func collectorExportMissing(cfg map[string]any, prom *PrometheusResult) string {
	if cfg == nil {
		return "the collector's config (ConfigMap " + components.ObservabilityNamespace + "/" + components.CollectorService + ")"
	}
	port := prometheusExporterPort(cfg)
	switch {
	case port == 0:
		return "a prometheus exporter with an endpoint port in a collector pipeline"
	case !prom.scrapedOn(collectorWorkload, port):
		return fmt.Sprintf("a Prometheus scrape job that finds %s on its prometheus exporter port %d", collectorWorkload, port)
	}
	return ""
}

// spanMetricsMissing looks for a spanmetrics connector fed by a traces pipeline and feeding a pipeline that
// exports to Prometheus, and gives the prefix of its series.
func spanMetricsMissing(cfg map[string]any) (string, string) {
	connectors, _ := cfg["connectors"].(map[string]any)
	for _, id := range sortedKeys(connectors) {
		if componentType(id) != "spanmetrics" {
			continue
		}
		if len(pipelinesWith(cfg, "exporters", id)) == 0 || !feedsPrometheus(cfg, id) {
			continue
		}
		c, _ := connectors[id].(map[string]any)
		if ns, ok := c["namespace"].(string); ok && ns != "" {
			return "", sanitize(ns) + "_"
		}
		return "", "traces_span_metrics_"
	}
	return "a spanmetrics connector that a traces pipeline exports to and that feeds a pipeline exporting to prometheus", ""
}

// feedsPrometheus says whether a receiver (or connector) feeds a pipeline that exports to Prometheus.
func feedsPrometheus(cfg map[string]any, receiver string) bool {
	for _, pl := range pipelinesWith(cfg, "receivers", receiver) {
		for _, e := range pipelineList(cfg, pl, "exporters") {
			if componentType(e) == "prometheus" {
				return true
			}
		}
	}
	return false
}

// collectorSelfMissing checks the collector's own telemetry: served on a pull reader's port, and either scraped
// back into a pipeline that exports to Prometheus, or scraped by Prometheus directly.
func collectorSelfMissing(cfg map[string]any, prom *PrometheusResult) string {
	selfPort := collectorSelfPort(cfg)
	if selfPort != 0 && prom.scrapedOn(collectorWorkload, selfPort) {
		return ""
	}
	if selfPort != 0 {
		receivers, _ := cfg["receivers"].(map[string]any)
		for _, id := range sortedKeys(receivers) {
			if componentType(id) == "prometheus" && strings.Contains(fmt.Sprint(receivers[id]), fmt.Sprintf(":%d", selfPort)) && feedsPrometheus(cfg, id) {
				return ""
			}
		}
	}
	return fmt.Sprintf("the collector's own metrics (service.telemetry pull reader on port %d) scraped into a pipeline that exports to prometheus, or by Prometheus", selfPort)
}

// scrapeMissing says what keeps a workload's metrics from Prometheus: the workload itself, or a scrape job.
func scrapeMissing(objs *Objects, prom *PrometheusResult, workload string) string {
	if objs.Get(strings.SplitN(workload, " ", 2)[0], nsOf(workload), nameOf(workload)) == nil {
		return workload + " (not among the objects)"
	}
	for _, s := range prom.Scrapes {
		if s.Workload == workload {
			return ""
		}
	}
	return "a Prometheus scrape job that finds " + workload
}

func (r *PrometheusResult) scrapedOn(workload string, port int) bool {
	for _, s := range r.Scrapes {
		if s.Workload == workload && s.Port == port {
			return true
		}
	}
	return false
}

// collectorSelfPort is the port of the collector's pull reader for its own metrics.
func collectorSelfPort(cfg map[string]any) int {
	service, _ := cfg["service"].(map[string]any)
	telemetry, _ := service["telemetry"].(map[string]any)
	metrics, _ := telemetry["metrics"].(map[string]any)
	readers, _ := metrics["readers"].([]any)
	for _, r := range readers {
		rm, _ := r.(map[string]any)
		pull, _ := rm["pull"].(map[string]any)
		exporter, _ := pull["exporter"].(map[string]any)
		p, _ := exporter["prometheus"].(map[string]any)
		if port, err := strconv.Atoi(fmt.Sprint(p["port"])); err == nil {
			return port
		}
	}
	return 0
}

func pipelineList(cfg map[string]any, pipeline, role string) []string {
	service, _ := cfg["service"].(map[string]any)
	pipelines, _ := service["pipelines"].(map[string]any)
	pl, _ := pipelines[pipeline].(map[string]any)
	return stringList(pl[role])
}

// nsOf and nameOf split "Kind namespace/name".
func nsOf(ref string) string {
	_, rest, _ := strings.Cut(ref, " ")
	ns, _, _ := strings.Cut(rest, "/")
	return ns
}

func nameOf(ref string) string {
	_, rest, _ := strings.Cut(ref, " ")
	_, name, _ := strings.Cut(rest, "/")
	return name
}
