package wiring

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	yamlv2 "go.yaml.in/yaml/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
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
	JobPods             = "kubernetes-pods"
	JobServiceEndpoints = "kubernetes-service-endpoints"
	JobCAdvisor         = "kubernetes-nodes-cadvisor"
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
	for k, v := range data {
		if strings.HasSuffix(k, ".yml") || strings.HasSuffix(k, ".yaml") || k == "rules" || k == "alerts" {
			var rf struct {
				Groups []struct {
					Rules []struct {
						Record string `json:"record"`
					} `json:"rules"`
				} `json:"groups"`
			}
			if yaml.Unmarshal([]byte(v), &rf) == nil {
				for _, g := range rf.Groups {
					for _, rule := range g.Rules {
						if rule.Record != "" {
							r.RecordedSeries[rule.Record] = true
						}
					}
				}
			}
		}
	}
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
	services := objs.services()
	nodes := objs.OfKind("Node")
	jobs := map[string]bool{}
	for i, sc := range cfg.ScrapeConfigs {
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
	for _, job := range []string{JobPods, JobServiceEndpoints, JobCAdvisor} {
		if !jobs[job] {
			r.find(CheckPrometheus, object, field+".scrape_configs", "scrape job "+job, "the dashboards rely on it")
		}
	}
	// Each target must be on a port that its pod really exposes.
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
	for _, req := range requiredScrapes {
		if !jobs[req.job] {
			continue
		}
		found := false
		for _, s := range r.Scrapes {
			if s.Job == req.job && s.Workload == req.workload && (req.port == 0 || s.Port == req.port) {
				found = true
			}
		}
		if !found {
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
	if mp, ok := r.NodeJobs[JobCAdvisor]; ok {
		if len(nodes) == 0 {
			r.note("prometheus: job %s (role node, path %s) finds one target per node; nodes are not objects of a rendered lab, so it is taken as found", JobCAdvisor, mp)
		}
	}
	return r
}

// scrapeConfig is the part of a scrape config that service discovery and relabelling need.
type scrapeConfig struct {
	JobName        string            `yaml:"job_name"`
	MetricsPath    string            `yaml:"metrics_path"`
	Scheme         string            `yaml:"scheme"`
	KubernetesSD   []kubernetesSD    `yaml:"kubernetes_sd_configs"`
	RelabelConfigs []*relabel.Config `yaml:"relabel_configs"`
}

type kubernetesSD struct {
	Role string `yaml:"role"`
}

func (sc scrapeConfig) metricsPath() string {
	if sc.MetricsPath == "" {
		return "/metrics"
	}
	return sc.MetricsPath
}

// discovered is one target as Kubernetes service discovery would give it.
type discovered struct {
	workload *workload
	labels   map[string]string
}

// scrape relabels the discovered targets with the job's rules and keeps those that survive.
func (sc scrapeConfig) scrape(targets []discovered) []Scrape {
	var out []Scrape
	seen := map[string]bool{}
	for _, t := range targets {
		lset := map[string]string{
			model.AddressLabel:     t.labels[model.AddressLabel],
			model.SchemeLabel:      orDefault(sc.Scheme, "http"),
			model.MetricsPathLabel: sc.metricsPath(),
			model.JobLabel:         sc.JobName,
		}
		for k, v := range t.labels {
			lset[k] = v
		}
		lb := labels.NewBuilder(labels.FromMap(lset))
		if !relabel.ProcessBuilder(lb, sc.RelabelConfigs...) {
			continue
		}
		addr := lb.Get(model.AddressLabel)
		_, portText, err := net.SplitHostPort(addr)
		if err != nil {
			portText = "80"
		}
		port, _ := strconv.Atoi(portText)
		s := Scrape{Job: sc.JobName, Workload: t.workload.ref(), Port: port}
		key := fmt.Sprint(s)
		if !seen[key] {
			seen[key] = true
			out = append(out, s)
		}
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

var invalidLabelChars = regexp.MustCompile(`[^a-zA-Z0-9_]`)

func sanitize(name string) string { return invalidLabelChars.ReplaceAllString(name, "_") }

// podMeta are the __meta_kubernetes_pod_* labels of a pod template's one pod.
func podMeta(w *workload, ip string) map[string]string {
	m := map[string]string{
		"__meta_kubernetes_namespace":           w.obj.GetNamespace(),
		"__meta_kubernetes_pod_name":            w.obj.GetName() + "-0",
		"__meta_kubernetes_pod_ip":              ip,
		"__meta_kubernetes_pod_ready":           "true",
		"__meta_kubernetes_pod_phase":           "Running",
		"__meta_kubernetes_pod_node_name":       "node-0",
		"__meta_kubernetes_pod_controller_kind": w.obj.GetKind(),
		"__meta_kubernetes_pod_controller_name": w.obj.GetName(),
		"__meta_kubernetes_pod_host_ip":         "10.0.0.1",
		"__meta_kubernetes_pod_uid":             "uid-" + w.obj.GetName(),
		"__meta_kubernetes_pod_service_account": w.template.Spec.ServiceAccountName,
	}
	for k, v := range w.template.Labels {
		m["__meta_kubernetes_pod_label_"+sanitize(k)] = v
		m["__meta_kubernetes_pod_labelpresent_"+sanitize(k)] = "true"
	}
	for k, v := range w.template.Annotations {
		m["__meta_kubernetes_pod_annotation_"+sanitize(k)] = v
		m["__meta_kubernetes_pod_annotationpresent_"+sanitize(k)] = "true"
	}
	return m
}

// podTargets plays the pod role: one target per container port, or one per pod without ports.
func podTargets(workloads []*workload) []discovered {
	var out []discovered
	for i, w := range workloads {
		ip := fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)
		any := false
		for _, c := range w.template.Spec.Containers {
			for _, p := range c.Ports {
				any = true
				m := podMeta(w, ip)
				m[model.AddressLabel] = net.JoinHostPort(ip, strconv.Itoa(int(p.ContainerPort)))
				m["__meta_kubernetes_pod_container_name"] = c.Name
				m["__meta_kubernetes_pod_container_port_name"] = p.Name
				m["__meta_kubernetes_pod_container_port_number"] = strconv.Itoa(int(p.ContainerPort))
				m["__meta_kubernetes_pod_container_port_protocol"] = string(orProtocol(p.Protocol))
				m["__meta_kubernetes_pod_container_init"] = "false"
				out = append(out, discovered{w, m})
			}
		}
		if !any {
			m := podMeta(w, ip)
			m[model.AddressLabel] = ip
			out = append(out, discovered{w, m})
		}
	}
	return out
}

func orProtocol(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

// endpointTargets plays the endpoints/endpointslice role: one target per Service port and backing pod.
func endpointTargets(services []*service, workloads []*workload, role string) []discovered {
	var out []discovered
	for _, s := range services {
		for i, w := range workloads {
			if w.obj.GetNamespace() != s.obj.GetNamespace() || !selects(s.spec.Selector, w.template.Labels) {
				continue
			}
			ip := fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)
			for _, sp := range s.spec.Ports {
				port, ok := resolveTargetPort(w, sp)
				if !ok {
					continue
				}
				m := podMeta(w, ip)
				m[model.AddressLabel] = net.JoinHostPort(ip, strconv.Itoa(port))
				m["__meta_kubernetes_service_name"] = s.obj.GetName()
				for k, v := range s.obj.GetLabels() {
					m["__meta_kubernetes_service_label_"+sanitize(k)] = v
					m["__meta_kubernetes_service_labelpresent_"+sanitize(k)] = "true"
				}
				for k, v := range s.obj.GetAnnotations() {
					m["__meta_kubernetes_service_annotation_"+sanitize(k)] = v
					m["__meta_kubernetes_service_annotationpresent_"+sanitize(k)] = "true"
				}
				prefix := "__meta_kubernetes_endpoint"
				if role == "endpointslice" {
					prefix = "__meta_kubernetes_endpointslice"
					m[prefix+"_endpoint_conditions_ready"] = "true"
					m[prefix+"_port"] = strconv.Itoa(port)
				} else {
					m[prefix+"_ready"] = "true"
				}
				m[prefix+"_port_name"] = sp.Name
				m[prefix+"_port_protocol"] = string(orProtocol(sp.Protocol))
				m[prefix+"_address_target_kind"] = "Pod"
				m[prefix+"_address_target_name"] = w.obj.GetName() + "-0"
				out = append(out, discovered{w, m})
			}
		}
	}
	return out
}

// resolveTargetPort finds the container port that a Service port targets in a pod template.
func resolveTargetPort(w *workload, sp corev1.ServicePort) (int, bool) {
	tp := targetPortOf(&sp)
	if tp.Type == intstr.Int {
		return int(tp.IntVal), true
	}
	for _, c := range w.template.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == tp.StrVal {
				return int(p.ContainerPort), true
			}
		}
	}
	return 0, false
}

func hasContainerPort(w *workload, port int) bool {
	for _, c := range w.template.Spec.Containers {
		for _, p := range c.Ports {
			if int(p.ContainerPort) == port {
				return true
			}
		}
	}
	return false
}

func hasAnyContainerPort(w *workload) bool {
	for _, c := range w.template.Spec.Containers {
		if len(c.Ports) > 0 {
			return true
		}
	}
	return false
}

// promtool runs `promtool check config` on the rendered config, with the ConfigMap's other keys (the
// rule files) beside it. Debian's promtool is built without Kubernetes service discovery; when it says so,
// each kubernetes_sd_configs is swapped for a static target and the check is run again, so that everything
// else (globals, relabel rules, rule files) is still validated by Prometheus' own code.
func (r *PrometheusResult) promtool(data map[string]string, object, field string, opts Options) {
	bin := opts.Promtool
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("promtool"); err != nil {
			if opts.RequirePromtool {
				r.find(CheckPrometheus, object, field, "promtool to validate the config (apt-get install prometheus)", "required when CI is set")
			} else {
				r.note("prometheus: promtool not found (apt-get install prometheus); `promtool check config` skipped")
			}
			return
		}
	}
	dir, err := os.MkdirTemp("", "wiring-prometheus-")
	if err != nil {
		r.note("prometheus: promtool skipped: %v", err)
		return
	}
	defer os.RemoveAll(dir)
	placeholder := filepath.Join(dir, "placeholder")
	if err := os.WriteFile(placeholder, nil, 0o600); err != nil {
		r.note("prometheus: promtool skipped: %v", err)
		return
	}
	for k, v := range data {
		if k == PrometheusConfigKey || strings.Contains(k, "/") {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o600); err != nil {
			r.note("prometheus: promtool skipped: %v", err)
			return
		}
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(data[PrometheusConfigKey]), &cfg); err != nil {
		r.find(CheckPrometheus, object, field, "a YAML Prometheus config", err.Error())
		return
	}
	// Rule files point into the chart's mount; files of the pod (service account token, CA) are replaced
	// by an empty placeholder, since promtool checks that they exist.
	if rf, ok := cfg["rule_files"].([]any); ok {
		for i, f := range rf {
			if s, ok := f.(string); ok && strings.HasPrefix(s, prometheusConfigDir) {
				rf[i] = filepath.Join(dir, strings.TrimPrefix(s, prometheusConfigDir))
			}
		}
	}
	replaceFiles(cfg, placeholder)
	run := func(c map[string]any) (string, error) {
		out, err := yaml.Marshal(c)
		if err != nil {
			return "", err
		}
		file := filepath.Join(dir, PrometheusConfigKey)
		if err := os.WriteFile(file, out, 0o600); err != nil {
			return "", err
		}
		res, err := exec.Command(bin, "check", "config", file).CombinedOutput()
		return string(res), err
	}
	out, err := run(cfg)
	if err != nil && strings.Contains(out, "kubernetes_sd_configs not found") {
		withoutSD(cfg)
		r.note("prometheus: this promtool has no Kubernetes service discovery (Debian's build); kubernetes_sd_configs were swapped for static targets to run `promtool check config`, and service discovery was played by the checker")
		out, err = run(cfg)
	}
	if err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			r.note("prometheus: promtool could not run: %v", err)
			return
		}
		r.find(CheckPrometheus, object, field, "a config that `promtool check config` accepts", strings.TrimSpace(strings.ReplaceAll(out, dir+"/", "")))
	}
}

func replaceFiles(v any, placeholder string) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if s, ok := e.(string); ok && strings.HasSuffix(k, "_file") && strings.HasPrefix(s, "/") {
				t[k] = placeholder
				continue
			}
			replaceFiles(e, placeholder)
		}
	case []any:
		for _, e := range t {
			replaceFiles(e, placeholder)
		}
	}
}

func withoutSD(cfg map[string]any) {
	scs, _ := cfg["scrape_configs"].([]any)
	for _, s := range scs {
		sc, ok := s.(map[string]any)
		if !ok {
			continue
		}
		if _, has := sc["kubernetes_sd_configs"]; has {
			delete(sc, "kubernetes_sd_configs")
			sc["static_configs"] = []any{map[string]any{"targets": []any{"discovered.invalid:80"}}}
		}
	}
}
