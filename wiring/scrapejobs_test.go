package wiring

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/dashboards"
)

// The lab's Prometheus runs the chart's jobs that something reads and no other: the API server's and the
// kubelets' are off (components.ScrapeConfigs), and cAdvisor keeps the series of the dashboards' catalog.
func TestPrometheusRunsTheJobsThatAreRead(t *testing.T) {
	cm := lab(t).Get("ConfigMap", components.ObservabilityNamespace, PrometheusConfigMap)
	raw, _, _ := unstructured.NestedString(cm.Object, "data", PrometheusConfigKey)
	var cfg struct {
		ScrapeConfigs []struct {
			JobName       string `json:"job_name"`
			MetricRelabel []struct {
				Action string `json:"action"`
				Regex  string `json:"regex"`
			} `json:"metric_relabel_configs"`
		} `json:"scrape_configs"`
	}
	if err := yaml.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	var jobs []string
	for _, j := range cfg.ScrapeConfigs {
		jobs = append(jobs, j.JobName)
		if j.JobName != JobCAdvisor {
			continue
		}
		want := strings.Join(dashboards.MetricsOf(dashboards.CAdvisor), "|")
		if len(j.MetricRelabel) != 1 || j.MetricRelabel[0].Action != "keep" || j.MetricRelabel[0].Regex != want {
			t.Errorf("cAdvisor keeps %+v, want the catalog's %s", j.MetricRelabel, want)
		}
	}
	slices.Sort(jobs)
	if want := []string{JobCAdvisor, JobPods, JobServiceEndpoints, "prometheus"}; !slices.Equal(jobs, want) {
		t.Errorf("scrape jobs %v, want %v (a job switched off by a name that the chart does not have stays on)", jobs, want)
	}
}
