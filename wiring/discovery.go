package wiring

import (
	"fmt"
	"net"
	"regexp"
	"strconv"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Kubernetes service discovery, played over the objects: the targets that Prometheus' pod and endpoints roles
// would find, and what a job's relabel rules keep of them.

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
