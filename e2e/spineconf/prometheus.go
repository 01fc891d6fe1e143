package spineconf

import (
	"fmt"
	"path/filepath"
	"strings"
)

// The paths that the chart mounts in Prometheus' pod.
const (
	promConfigDir   = "/etc/config/"
	serviceAccount  = "/var/run/secrets/kubernetes.io/serviceaccount/"
	PrometheusPort  = 9090
	promConfigFlag  = "--config.file="
	promStorageFlag = "--storage.tsdb.path="
	promListenFlag  = "--web.listen-address="
)

// ClientCert is a client certificate and the CA to verify the server with.
type ClientCert struct {
	CA, Cert, Key string
}

// PrometheusOut is what differs for Prometheus outside its pod.
type PrometheusOut struct {
	// Dir holds every file of the ConfigMap (rule files and prometheus.yml), as /etc/config does in the pod.
	Dir   string
	PodIP string
	// Kubeconfig is what Kubernetes discovery reads instead of the ServiceAccount.
	Kubeconfig string
	// Client authenticates the scrapes that use the ServiceAccount's token in the pod (the API server's and
	// the kubelets').
	Client ClientCert
}

// Prometheus rewrites the rendered prometheus.yml: rule files from Dir, Kubernetes discovery through the
// kubeconfig, the ServiceAccount's token and CA replaced by a client certificate, and the self-scrape of
// localhost:9090 aimed at the pod's IP, where Prometheus listens here. Scrape jobs, intervals, relabelling
// and rules stay as rendered.
func Prometheus(promYML string, out PrometheusOut) (string, []Change, error) {
	d, err := parse(promYML)
	if err != nil {
		return "", nil, err
	}
	files, _ := d.root["rule_files"].([]any)
	if len(files) == 0 {
		d.errs = append(d.errs, "rule_files is not in the rendered config")
	}
	for i, f := range files {
		s, _ := f.(string)
		if !strings.HasPrefix(s, promConfigDir) {
			d.errs = append(d.errs, fmt.Sprintf("rule_files[%d] is %s, expected a file of %s", i, s, promConfigDir))
			continue
		}
		files[i] = filepath.Join(out.Dir, strings.TrimPrefix(s, promConfigDir))
	}
	d.changes = append(d.changes, Change{Path: "rule_files", From: promConfigDir + "*", To: out.Dir + "/*", Why: "the ConfigMap's files are written there"})

	jobs, _ := d.root["scrape_configs"].([]any)
	selfScrape := false
	for _, j := range jobs {
		job, _ := j.(map[string]any)
		name, _ := job["job_name"].(string)
		path := "scrape_configs[" + name + "]"
		sds, _ := job["kubernetes_sd_configs"].([]any)
		for i, sd := range sds {
			d.add(sd.(map[string]any), fmt.Sprintf("%s.kubernetes_sd_configs[%d]", path, i), "kubeconfig_file", out.Kubeconfig,
				"no ServiceAccount outside a pod: discover through the cluster's kubeconfig")
		}
		if token, ok := job["bearer_token_file"].(string); ok {
			if !strings.HasPrefix(token, serviceAccount) {
				d.errs = append(d.errs, path+".bearer_token_file is "+token+", expected the ServiceAccount's")
				continue
			}
			delete(job, "bearer_token_file")
			d.changes = append(d.changes, Change{Path: path + ".bearer_token_file", From: token, To: "(none)", Why: "authenticate with a client certificate instead"})
			tls := d.atMap(job, path, "tls_config")
			d.set(tls, path+".tls_config", "ca_file", serviceAccount+"ca.crt", out.Client.CA, "the cluster's CA")
			d.add(tls, path+".tls_config", "cert_file", out.Client.Cert, "the harness's admin client certificate")
			d.add(tls, path+".tls_config", "key_file", out.Client.Key, "its key")
		}
		if name == "prometheus" {
			for _, sc := range job["static_configs"].([]any) {
				targets := sc.(map[string]any)["targets"].([]any)
				for i, t := range targets {
					if t == "localhost:9090" {
						targets[i] = fmt.Sprintf("%s:%d", out.PodIP, PrometheusPort)
						selfScrape = true
						d.changes = append(d.changes, Change{Path: path + ".targets", From: "localhost:9090", To: targets[i].(string), Why: "Prometheus listens on its pod's IP here"})
					}
				}
			}
		}
	}
	if !selfScrape {
		d.errs = append(d.errs, "no prometheus job scraping localhost:9090")
	}
	return d.result()
}

// atMap is m[key] as a map, recording an error when it is not one.
func (d *doc) atMap(m map[string]any, path, key string) map[string]any {
	v, ok := m[key].(map[string]any)
	if !ok {
		d.errs = append(d.errs, path+"."+key+" is not in the rendered config")
		return map[string]any{}
	}
	return v
}

// PrometheusArgs rewrites the server container's rendered arguments: the config and data paths, and a
// listen address on the pod's IP (the pod listens on every interface, the flag's default). Retention and
// every other flag stay as rendered.
func PrometheusArgs(args []string, configFile, dataDir, podIP string) ([]string, []Change, error) {
	var out []string
	var changes []Change
	seen := map[string]bool{}
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, promConfigFlag):
			seen[promConfigFlag] = true
			out = append(out, promConfigFlag+configFile)
			changes = append(changes, Change{Path: "args", From: a, To: out[len(out)-1], Why: "the ConfigMap's prometheus.yml, rewritten"})
		case strings.HasPrefix(a, promStorageFlag):
			seen[promStorageFlag] = true
			out = append(out, promStorageFlag+dataDir)
			changes = append(changes, Change{Path: "args", From: a, To: out[len(out)-1], Why: "the emptyDir becomes a directory of the test"})
		case strings.HasPrefix(a, promListenFlag):
			return nil, nil, fmt.Errorf("the rendered args set %s; expected the default (every interface)", a)
		default:
			out = append(out, a)
		}
	}
	for _, f := range []string{promConfigFlag, promStorageFlag} {
		if !seen[f] {
			return nil, nil, fmt.Errorf("the rendered args have no %s", f)
		}
	}
	out = append(out, fmt.Sprintf("%s%s:%d", promListenFlag, podIP, PrometheusPort))
	changes = append(changes, Change{Path: "args", From: "(default 0.0.0.0:9090)", To: out[len(out)-1], Why: "the pod's IP is the pod's only address"})
	return out, changes, nil
}

// GoMemLimit is what Prometheus v3 sets GOMEMLIMIT to in a pod (--auto-gomemlimit, ratio 0.9 of the cgroup's
// limit); outside one it would take 0.9 of the machine's memory, so the harness sets it in the environment,
// which --auto-gomemlimit then leaves alone.
func GoMemLimit(limitMi int) (string, Change) {
	v := fmt.Sprint(int64(limitMi) * 1024 * 1024 * 9 / 10)
	return v, Change{Path: "env.GOMEMLIMIT", From: "(from the cgroup)", To: v, Why: fmt.Sprintf("0.9 of the container's %d Mi, as --auto-gomemlimit computes it in the pod", limitMi)}
}
