//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
)

// The lab's own Prometheus configuration (what the program rendered into the prometheus-server ConfigMap),
// run by Debian's Prometheus on this machine. Two of its jobs are what the dashboards' Kubernetes panels and
// the report's restart and readiness queries read:
//   - kubernetes-nodes-cadvisor scrapes each kubelet's /metrics/cadvisor;
//   - kubernetes-service-endpoints scrapes the Services annotated prometheus.io/scrape, kube-state-metrics
//     among them.
//
// Each job keeps its scheme, path, honor_labels and relabelling; only how it reaches the cluster from
// outside changes (labScrapeJobs says how).
const (
	cadvisorJob  = "kubernetes-nodes-cadvisor"
	endpointsJob = "kubernetes-service-endpoints"
)

// KubeStateMetricsBinary is kube-state-metrics as e2e/tools/build.sh builds it (the release the lab's
// prometheus chart bundles).
const KubeStateMetricsBinary = "kube-state-metrics"

// StartKubeStateMetrics runs kube-state-metrics as a process with the cluster's kubeconfig, standing in for the
// chart's kube-state-metrics pod (a kwok pod, which runs nothing), and returns its metrics address.
func StartKubeStateMetrics(tb testing.TB, c *Cluster) (*Process, string) {
	tb.Helper()
	addr, telemetry := freeLoopbackAddr(tb), freeLoopbackAddr(tb)
	host, port, _ := splitHostPort(addr)
	thost, tport, _ := splitHostPort(telemetry)
	cmd := exec.Command(filepath.Join(c.Bin, KubeStateMetricsBinary), "--kubeconfig", c.Kubeconfig,
		"--host", host, "--port", port, "--telemetry-host", thost, "--telemetry-port", tport)
	p := StartProcess(tb, c.Dir, KubeStateMetricsBinary, cmd, nil)
	if err := p.WaitListening(addr, time.Minute); err != nil {
		tb.Fatal(err)
	}
	return p, addr
}

// labScrapeJobs reads the lab's rendered prometheus.yml from the cluster and returns its cAdvisor and
// service-endpoints jobs, changed only where a process outside the cluster must differ from the pod:
//   - credentials: the pod's ServiceAccount token becomes the cluster's admin client certificate (the
//     kubelet authorizes it through the API server, as it would the token);
//   - discovery: Debian's Prometheus 2.42 is built without Kubernetes service discovery, so each job's
//     kubernetes_sd_configs becomes one static target carrying the labels that discovery would give it:
//     the real node for the cAdvisor job (its InternalIP and kubelet port; the kwok node's address is fake,
//     and off this machine), and the kube-state-metrics process for the endpoints job (the chart's
//     kube-state-metrics pod is a kwok pod), with the lab's Service's namespace, name, labels and
//     annotations. The jobs' relabelling then acts as in the cluster.
func labScrapeJobs(ctx context.Context, c *Cluster, node, ksmAddr string) ([]map[string]any, error) {
	cm, err := c.Client.CoreV1().ConfigMaps(components.ObservabilityNamespace).Get(ctx, components.PrometheusService, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("the lab's Prometheus config: %w", err)
	}
	var cfg struct {
		ScrapeConfigs []map[string]any `json:"scrape_configs"`
	}
	if err := yaml.Unmarshal([]byte(cm.Data["prometheus.yml"]), &cfg); err != nil {
		return nil, fmt.Errorf("the lab's prometheus.yml: %w", err)
	}
	n, err := c.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	svc, err := c.Client.CoreV1().Services(components.ObservabilityNamespace).Get(ctx, components.KubeStateMetricsService, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("the lab's kube-state-metrics Service: %w", err)
	}
	pki := c.pkiDir()
	var out []map[string]any
	for _, job := range cfg.ScrapeConfigs {
		switch job["job_name"] {
		case cadvisorJob:
			tls, _ := job["tls_config"].(map[string]any)
			if tls == nil {
				tls = map[string]any{}
			}
			delete(job, "bearer_token_file")
			delete(job, "authorization")
			tls["ca_file"] = filepath.Join(pki, "ca.crt")
			tls["cert_file"] = filepath.Join(pki, "admin.crt")
			tls["key_file"] = filepath.Join(pki, "admin.key")
			job["tls_config"] = tls
			target, labels, err := nodeTarget(n)
			if err != nil {
				return nil, err
			}
			delete(job, "kubernetes_sd_configs")
			job["static_configs"] = []any{map[string]any{"targets": []string{target}, "labels": labels}}
			out = append(out, job)
		case endpointsJob:
			labels := map[string]string{
				"__meta_kubernetes_namespace":    svc.Namespace,
				"__meta_kubernetes_service_name": svc.Name,
			}
			metaLabels(labels, "__meta_kubernetes_service_label", svc.Labels)
			metaLabels(labels, "__meta_kubernetes_service_annotation", svc.Annotations)
			delete(job, "kubernetes_sd_configs")
			job["static_configs"] = []any{map[string]any{"targets": []string{ksmAddr}, "labels": labels}}
			out = append(out, job)
		}
	}
	if len(out) != 2 {
		var names []string
		for _, j := range cfg.ScrapeConfigs {
			names = append(names, fmt.Sprint(j["job_name"]))
		}
		return nil, fmt.Errorf("the lab's prometheus.yml has jobs %v, want %s and %s", names, cadvisorJob, endpointsJob)
	}
	return out, nil
}

// nodeTarget is what Prometheus' node discovery gives for a node: its InternalIP and kubelet port as the
// address, the node's name as the instance, and its name, labels, annotations and addresses as meta labels.
func nodeTarget(n *corev1.Node) (string, map[string]string, error) {
	labels := map[string]string{"instance": n.Name, "__meta_kubernetes_node_name": n.Name}
	metaLabels(labels, "__meta_kubernetes_node_label", n.Labels)
	metaLabels(labels, "__meta_kubernetes_node_annotation", n.Annotations)
	ip := ""
	for _, a := range n.Status.Addresses {
		labels["__meta_kubernetes_node_address_"+string(a.Type)] = a.Address
		if a.Type == corev1.NodeInternalIP && ip == "" {
			ip = a.Address
		}
	}
	if ip == "" {
		return "", nil, fmt.Errorf("node %s has no InternalIP", n.Name)
	}
	port := n.Status.DaemonEndpoints.KubeletEndpoint.Port
	return net.JoinHostPort(ip, fmt.Sprint(port)), labels, nil
}

// metaLabels adds a discovery's <prefix>_<name> and <prefix>present_<name> labels for each key.
func metaLabels(labels map[string]string, prefix string, kv map[string]string) {
	for k, v := range kv {
		labels[prefix+"_"+promLabelName(k)] = v
		labels[prefix+"present_"+promLabelName(k)] = "true"
	}
}

var invalidLabelChars = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// promLabelName is a Kubernetes label or annotation key as Prometheus' discovery names it.
func promLabelName(k string) string { return invalidLabelChars.ReplaceAllString(k, "_") }

// StartLabPrometheus runs Debian's Prometheus with the lab's global settings (scrape interval) and the jobs.
func StartLabPrometheus(tb testing.TB, dir string, interval time.Duration, jobs []map[string]any) *Prometheus {
	tb.Helper()
	home := filepath.Join(dir, "lab-prometheus")
	if err := os.MkdirAll(home, 0o755); err != nil {
		tb.Fatal(err)
	}
	cfg, err := yaml.Marshal(map[string]any{
		"global": map[string]string{
			"scrape_interval": interval.String(), "scrape_timeout": (interval * 4 / 5).String(), "evaluation_interval": interval.String(),
		},
		"scrape_configs": jobs,
	})
	if err != nil {
		tb.Fatal(err)
	}
	cfgPath := filepath.Join(home, "prometheus.yml")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		tb.Fatal(err)
	}
	bin, err := PrometheusBinary()
	if err != nil {
		tb.Fatal(err)
	}
	addr := freeLoopbackAddr(tb)
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(home, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	return runPrometheus(tb, dir, "lab-prometheus", addr, cmd)
}

func splitHostPort(addr string) (host, port string, err error) { return net.SplitHostPort(addr) }
