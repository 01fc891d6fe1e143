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

// CheckMetricsOf proves that every metric of the dashboards' catalog has a producer among the objects:
// each producer group is mapped to what must exist and be scraped (prom is the Prometheus check's result).
func CheckMetricsOf(objs *Objects, prom *PrometheusResult) Partial {
	var p Partial
	collector := "Deployment " + components.ObservabilityNamespace + "/" + components.CollectorService
	_, cfg, _ := collectorConfig(objs)
	// Why each producer group is missing; "" when it is there. Computed once per group.
	missing := map[dashboards.Producer]string{}
	spanPrefix := ""

	// The collector's Prometheus exporter: which port, and does Prometheus scrape it?
	exporterPort := 0
	if cfg != nil {
		exporters, _ := cfg["exporters"].(map[string]any)
		for _, id := range sortedKeys(exporters) {
			if componentType(id) != "prometheus" {
				continue
			}
			e, _ := exporters[id].(map[string]any)
			if m := trailingPort.FindStringSubmatch(fmt.Sprint(e["endpoint"])); m != nil && len(pipelinesWith(cfg, "exporters", id)) > 0 {
				exporterPort, _ = strconv.Atoi(m[1])
			}
		}
	}
	exporterScraped := false
	for _, s := range prom.Scrapes {
		if s.Workload == collector && s.Port == exporterPort && exporterPort != 0 {
			exporterScraped = true
		}
	}
	collectorMissing := ""
	switch {
	case cfg == nil:
		collectorMissing = "the collector's config (ConfigMap " + components.ObservabilityNamespace + "/" + components.CollectorService + ")"
	case exporterPort == 0:
		collectorMissing = "a prometheus exporter with an endpoint port in a collector pipeline"
	case !exporterScraped:
		collectorMissing = fmt.Sprintf("a Prometheus scrape job that finds %s on its prometheus exporter port %d", collector, exporterPort)
	}

	// spanmetrics: a connector fed by a traces pipeline and feeding a pipeline that exports to Prometheus.
	missing[dashboards.SpanMetrics] = collectorMissing
	if collectorMissing == "" {
		connectors, _ := cfg["connectors"].(map[string]any)
		found := false
		for _, id := range sortedKeys(connectors) {
			if componentType(id) != "spanmetrics" {
				continue
			}
			fedBy := pipelinesWith(cfg, "exporters", id)
			feeds := pipelinesWith(cfg, "receivers", id)
			toProm := false
			for _, pl := range feeds {
				for _, e := range pipelineList(cfg, pl, "exporters") {
					if componentType(e) == "prometheus" {
						toProm = true
					}
				}
			}
			if len(fedBy) > 0 && toProm {
				found = true
				c, _ := connectors[id].(map[string]any)
				if ns, ok := c["namespace"].(string); ok && ns != "" {
					spanPrefix = sanitize(ns) + "_"
				} else {
					spanPrefix = "traces_span_metrics_"
				}
			}
		}
		if !found {
			missing[dashboards.SpanMetrics] = "a spanmetrics connector that a traces pipeline exports to and that feeds a pipeline exporting to prometheus"
		}
	}

	// The collector's own telemetry: served on a pull reader's port, and either scraped back into a
	// pipeline that exports to Prometheus, or scraped by Prometheus directly.
	missing[dashboards.CollectorSelf] = collectorMissing
	if collectorMissing == "" {
		selfPort := collectorSelfPort(cfg)
		ok := selfPort != 0 && prom.scrapedOn(collector, selfPort)
		if selfPort != 0 && !ok {
			receivers, _ := cfg["receivers"].(map[string]any)
			for _, id := range sortedKeys(receivers) {
				if componentType(id) != "prometheus" || !strings.Contains(fmt.Sprint(receivers[id]), fmt.Sprintf(":%d", selfPort)) {
					continue
				}
				for _, pl := range pipelinesWith(cfg, "receivers", id) {
					for _, e := range pipelineList(cfg, pl, "exporters") {
						if componentType(e) == "prometheus" {
							ok = true
						}
					}
				}
			}
		}
		if !ok {
			missing[dashboards.CollectorSelf] = fmt.Sprintf("the collector's own metrics (service.telemetry pull reader on port %d) scraped into a pipeline that exports to prometheus, or by Prometheus", selfPort)
		}
	}

	scrapedBy := func(workload string) string {
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
	missing[dashboards.KubeStateMetrics] = scrapedBy("Deployment " + components.ObservabilityNamespace + "/" + components.KubeStateMetricsService)
	missing[dashboards.ChaosMesh] = scrapedBy("Deployment " + components.ChaosNamespace + "/" + chaosControllerDeployment)
	missing[dashboards.PrometheusSelf] = ""
	if objs.Get("Deployment", components.ObservabilityNamespace, components.PrometheusService) == nil {
		missing[dashboards.PrometheusSelf] = "Deployment " + components.ObservabilityNamespace + "/" + components.PrometheusService
	}
	missing[dashboards.CAdvisor] = "a scrape job with the node role and metrics path /metrics/cadvisor"
	for _, path := range prom.NodeJobs {
		if strings.Contains(path, "cadvisor") {
			missing[dashboards.CAdvisor] = ""
		}
	}

	for _, m := range dashboards.Catalog() {
		field := "producer: " + string(m.Producer)
		object := "dashboards metric " + m.Name
		switch m.Producer {
		case dashboards.SLORules:
			if !prom.RecordedSeries[m.Name] {
				p.find(CheckMetrics, object, field, "a recording rule `record: "+m.Name+"` in ConfigMap "+components.ObservabilityNamespace+"/"+PrometheusConfigMap, "")
			}
			continue
		case dashboards.SpanMetrics:
			if missing[m.Producer] == "" && !strings.HasPrefix(m.Name, spanPrefix) {
				p.find(CheckMetrics, object, field, "a spanmetrics connector whose namespace gives the prefix of "+m.Name, "its namespace gives "+spanPrefix)
				continue
			}
		}
		why, known := missing[m.Producer]
		if !known {
			p.find(CheckMetrics, object, field, "a producer that the checker knows", "")
			continue
		}
		if why != "" {
			p.find(CheckMetrics, object, field, why, "")
		}
	}
	return p
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
