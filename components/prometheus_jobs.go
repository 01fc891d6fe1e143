package components

import "strings"

// The scrape jobs of the prometheus chart (its scrapeConfigs value, one entry per job, each with its own
// relabelling) that the lab relies on, and those it switches off.
const (
	JobPods             = "kubernetes-pods"
	JobServiceEndpoints = "kubernetes-service-endpoints"
	JobCAdvisor         = "kubernetes-nodes-cadvisor"
)

// droppedJobs are the chart's jobs whose series nothing of the lab reads (no dashboard, SLO rule, gate or
// report), with why; docs/footprint.md ("Prometheus' scrape jobs") has the figures.
var droppedJobs = map[string]string{
	// kube-apiserver v1.33 exposes some 24,000 series (TestSpine counts them), more than everything else
	// the lab scrapes together, every 5 s.
	"kubernetes-api-servers": "the API server's 24,000 series, read by no query",
	"kubernetes-nodes":       "the kubelets' own metrics, read by no query",
	// Nothing of the lab carries the scrape_slow annotations, probes Services or pushes metrics.
	"kubernetes-pods-slow":              "no pod is annotated prometheus.io/scrape_slow",
	"kubernetes-service-endpoints-slow": "no Service is annotated prometheus.io/scrape_slow",
	"kubernetes-services":               "probes Services through a blackbox exporter that the lab does not run",
	"prometheus-pushgateway":            "the pushgateway is off",
}

// ScrapeConfigs are the lab's changes to the chart's scrapeConfigs: the dropped jobs off, and cAdvisor's
// series kept to those the lab's queries read (none given: all). cAdvisor exports dozens of families per
// container (file system, network, memory details); the dashboards read five.
func ScrapeConfigs(cadvisorMetrics []string) map[string]any {
	jobs := map[string]any{}
	for job := range droppedJobs {
		jobs[job] = map[string]any{"enabled": false}
	}
	if len(cadvisorMetrics) > 0 {
		jobs[JobCAdvisor] = map[string]any{"metric_relabel_configs": []any{map[string]any{
			"source_labels": []any{"__name__"}, "regex": strings.Join(cadvisorMetrics, "|"), "action": "keep",
		}}}
	}
	return jobs
}
