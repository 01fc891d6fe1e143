package wiring

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
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

// The load generator's users are a flag override with a variant of their own (the demo's variants are 5, 10,
// 25 and 50): the wiring proof accepts it and names it in the blast radius.
func TestLoadGeneratorUsersAreAValidFlagOverride(t *testing.T) {
	wd, _ := os.Getwd()
	cfg := labConfig(apps.AstronomyShop, false)
	cfg["chaos-mesh-otel:loadGeneratorUsers"] = "12"
	objs, err := Render(context.Background(), cfg, components.OfflineChartsDir(wd))
	if err != nil {
		t.Fatal(err)
	}
	r := Check(objs, Options{})
	for _, f := range r.FindingsOf(CheckScenarios) {
		t.Error(f)
	}
	if !slices.ContainsFunc(r.Blast, func(b Blast) bool {
		return b.Scenario == "flag:"+components.LoadGeneratorVUsFlag && b.Fault == "flag/12"
	}) {
		t.Errorf("the blast radius does not name the load generator's 12 users: %+v", r.Blast)
	}
}
