package wiring

import (
	"fmt"
	"strings"

	"github.com/prometheus/common/model"
	yamlv2 "go.yaml.in/yaml/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
)

// Prometheus' config: the prometheus chart's server ConfigMap and its key.
const (
	PrometheusConfigMap = components.PrometheusService
	PrometheusConfigKey = "prometheus.yml"
	// prometheusConfigDir is where the chart mounts the ConfigMap; rule_files point into it.
	prometheusConfigDir = "/etc/config/"
)

// Scrape jobs of the prometheus chart that the dashboards rely on.
const (
	JobPods             = components.JobPods
	JobServiceEndpoints = components.JobServiceEndpoints
	JobCAdvisor         = components.JobCAdvisor
)

// Scrape is one target that a scrape job finds among the objects: the workload behind it and the port.
type Scrape struct {
	Job      string
	Workload string // Kind namespace/name of the pod template
	Port     int
}

// PrometheusResult is the result of the Prometheus check, with the targets that each job finds.
type PrometheusResult struct {
	Partial
	Scrapes []Scrape
	// NodeJobs are the jobs with the node role (cAdvisor), which find a target on every node.
	NodeJobs map[string]string // job → metrics_path
	// RecordedSeries are the series that the rule files record.
	RecordedSeries map[string]bool
}

// Scraped says whether a job finds the workload (Kind namespace/name), on any port.
func (r *PrometheusResult) Scraped(job, workload string) bool {
	for _, s := range r.Scrapes {
		if s.Job == job && s.Workload == workload {
			return true
		}
	}
	return false
}

// requiredScrape is a producer that a scrape job must find: the dashboards read its metrics.
type requiredScrape struct {
	job, workload string
	port          int
}

var requiredScrapes = []requiredScrape{
	{JobPods, "Deployment " + components.ObservabilityNamespace + "/" + components.CollectorService, components.CollectorPrometheusPort},
	{JobServiceEndpoints, "Deployment " + components.ObservabilityNamespace + "/" + components.KubeStateMetricsService, 0},
	{JobServiceEndpoints, "Deployment " + components.ChaosNamespace + "/" + chaosControllerDeployment, components.ChaosControllerMetricsPort},
}

// chaosControllerDeployment is the chaos-mesh chart's controller-manager Deployment.
const chaosControllerDeployment = "chaos-controller-manager"

// CheckPrometheusOf validates the rendered Prometheus config with promtool, and proves that each scrape job
// that the dashboards rely on finds its producers among the objects: it plays Kubernetes service discovery
// over the pod templates and Services (one pod per template, ready), runs the job's own relabel rules with
// Prometheus' relabel library, and checks that a target survives on a port that a container exposes.
func CheckPrometheusOf(objs *Objects, opts Options) PrometheusResult {
	r := PrometheusResult{NodeJobs: map[string]string{}, RecordedSeries: map[string]bool{}}
	cm := objs.Get("ConfigMap", components.ObservabilityNamespace, PrometheusConfigMap)
	object := fmt.Sprintf("ConfigMap %s/%s", components.ObservabilityNamespace, PrometheusConfigMap)
	field := "data[" + PrometheusConfigKey + "]"
	if cm == nil {
		r.find(CheckPrometheus, object, "", "Prometheus' ConfigMap", "")
		return r
	}
	data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
	r.RecordedSeries = recordedSeries(data)
	if !opts.SkipPromtool {
		r.promtool(data, object, field, opts)
	}
	var cfg struct {
		ScrapeConfigs []scrapeConfig `yaml:"scrape_configs"`
	}
	if err := yamlv2.Unmarshal([]byte(data[PrometheusConfigKey]), &cfg); err != nil {
		r.find(CheckPrometheus, object, field, "a Prometheus config", err.Error())
		return r
	}
	workloads := objs.workloads()
	jobs := r.discover(cfg.ScrapeConfigs, workloads, objs.services(), object, field)
	for _, job := range []string{JobPods, JobServiceEndpoints, JobCAdvisor} {
		if !jobs[job] {
			r.find(CheckPrometheus, object, field+".scrape_configs", "scrape job "+job, "the dashboards rely on it")
		}
	}
	r.checkTargetPorts(workloads)
	r.checkRequiredScrapes(jobs)
	if mp, ok := r.NodeJobs[JobCAdvisor]; ok && len(objs.OfKind("Node")) == 0 {
		r.note("prometheus: job %s (role node, path %s) finds one target per node; nodes are not objects of a rendered lab, so it is taken as found", JobCAdvisor, mp)
	}
	return r
}

// recordedSeries are the series that the rule files among the ConfigMap's keys record.
func recordedSeries(data map[string]string) map[string]bool {
	recorded := map[string]bool{}
	for k, v := range data {
		if !strings.HasSuffix(k, ".yml") && !strings.HasSuffix(k, ".yaml") && k != "rules" && k != "alerts" {
			continue
		}
		var rf struct {
			Groups []struct {
				Rules []struct {
					Record string `json:"record"`
				} `json:"rules"`
			} `json:"groups"`
		}
		if yaml.Unmarshal([]byte(v), &rf) != nil {
			continue
		}
		for _, g := range rf.Groups {
			for _, rule := range g.Rules {
				if rule.Record != "" {
					recorded[rule.Record] = true
				}
			}
		}
	}
	return recorded
}

// discover validates each job's relabel rules and plays its service discovery, collecting the scrapes and the
// node jobs; it returns the jobs by name.
func (r *PrometheusResult) discover(scrapeConfigs []scrapeConfig, workloads []*workload, services []*service, object, field string) map[string]bool {
	jobs := map[string]bool{}
	for i, sc := range scrapeConfigs {
		jobs[sc.JobName] = true
		for _, rc := range sc.RelabelConfigs {
			rc.NameValidationScheme = model.UTF8Validation
			if err := rc.Validate(model.UTF8Validation); err != nil {
				r.find(CheckPrometheus, object, fmt.Sprintf("%s.scrape_configs[%d].relabel_configs", field, i), "a valid relabel rule", err.Error())
			}
		}
		for _, sd := range sc.KubernetesSD {
			switch sd.Role {
			case "node":
				r.NodeJobs[sc.JobName] = sc.metricsPath()
			case "pod":
				r.Scrapes = append(r.Scrapes, sc.scrape(podTargets(workloads))...)
			case "endpoints", "endpointslice":
				r.Scrapes = append(r.Scrapes, sc.scrape(endpointTargets(services, workloads, sd.Role))...)
			}
		}
	}
	return jobs
}

// checkTargetPorts finds targets on a port that their pod does not expose.
func (r *PrometheusResult) checkTargetPorts(workloads []*workload) {
	byRef := map[string]*workload{}
	for _, w := range workloads {
		byRef[w.ref()] = w
	}
	for _, s := range r.Scrapes {
		w := byRef[s.Workload]
		if w != nil && !hasContainerPort(w, s.Port) && hasAnyContainerPort(w) {
			r.find(CheckPrometheus, s.Workload, w.path+".metadata.annotations[prometheus.io/port]",
				fmt.Sprintf("a container port %d for job %s to scrape", s.Port, s.Job), "")
		}
	}
}

// checkRequiredScrapes finds the producers that the dashboards read and that no job scrapes.
func (r *PrometheusResult) checkRequiredScrapes(jobs map[string]bool) {
	for _, req := range requiredScrapes {
		if !jobs[req.job] || r.scrapes(req) {
			continue
		}
		how := "prometheus.io/scrape and prometheus.io/port annotations on the pod template"
		if req.job == JobServiceEndpoints {
			how = "a Service with prometheus.io/scrape (and port) annotations selecting it"
		}
		portText := ""
		if req.port != 0 {
			portText = fmt.Sprintf(" on port %d", req.port)
		}
		r.find(CheckPrometheus, req.workload, "spec.template", fmt.Sprintf("a target of scrape job %s%s (%s)", req.job, portText, how), "the dashboards read its metrics")
	}
}

func (r *PrometheusResult) scrapes(req requiredScrape) bool {
	for _, s := range r.Scrapes {
		if s.Job == req.job && s.Workload == req.workload && (req.port == 0 || s.Port == req.port) {
			return true
		}
	}
	return false
}
