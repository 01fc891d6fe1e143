//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/dashboards"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

// The Kubernetes dashboard's series that come from the kubelet's cAdvisor and from kube-state-metrics, and
// that the data-plane test must see for the real containers.
var realNodeMetrics = []string{"container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "kube_pod_container_status_restarts_total"}

// kubernetesDashboards: the deployed Kubernetes dashboard's CPU, memory and restart panels, and the report's
// restart and not-ready queries, evaluated over the run against the lab's Prometheus configuration, return
// series for the stand-ins' real containers with the labels that the panels show.
func (r *dataPlane) kubernetesDashboards(t *testing.T) {
	cm, err := r.c.Client.CoreV1().ConfigMaps(components.ObservabilityNamespace).Get(r.ctx, components.GrafanaDashboardsConfigMap, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var dash any
	if err := json.Unmarshal([]byte(cm.Data[dashboards.KubernetesUID+".json"]), &dash); err != nil {
		t.Fatalf("the deployed Kubernetes dashboard (%s.json): %v", dashboards.KubernetesUID, err)
	}
	var panels []panelQuery
	walkQueries(dash, dashboards.KubernetesUID, func(q panelQuery) {
		for _, m := range realNodeMetrics {
			if strings.Contains(q.Expr, m) {
				panels = append(panels, q)
				return
			}
		}
	})
	interval, _ := time.ParseDuration(components.ScrapeInterval)
	if err := r.prom.WaitScraped(r.ctx, cadvisorJob, time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	rng := promv1.Range{Start: r.started, End: time.Now(), Step: interval}
	found := map[string]bool{}
	for _, q := range panels {
		expr := strings.ReplaceAll(grafanaVars(q.Expr, 4*interval), "$namespace", dpNamespace)
		series := r.rangeSeries(t, q.Where, expr, rng)
		var ours []string
		for _, s := range series {
			for _, l := range q.Labels {
				if s.Metric[model.LabelName(l)] == "" {
					t.Errorf("%s: a series without the label %q that the panel shows: %s", q.Where, l, s.Metric)
				}
			}
			for _, svc := range []string{dpKill, dpFailure, dpStress, dpClient, dpServer} {
				if strings.HasPrefix(string(s.Metric["pod"]), svc+"-") {
					ours = append(ours, string(s.Metric["pod"]))
				}
			}
		}
		if len(ours) == 0 {
			t.Errorf("%s: no series of a stand-in's pod over the run:\n  %s", q.Where, expr)
			continue
		}
		for _, m := range realNodeMetrics {
			if strings.Contains(expr, m) {
				found[m] = true
			}
		}
		t.Logf("%s: %d series of the real containers' pods, e.g. %s", q.Where, len(ours), ours[0])
	}
	for _, m := range realNodeMetrics {
		if !found[m] {
			t.Errorf("no panel of the Kubernetes dashboard read %s for the real containers", m)
		}
	}

	// The report's readiness and restart queries on the pod failure's and the kills' targets.
	notReady := r.rangeSeries(t, "report.NotReadyQuery("+dpFailure+")", report.NotReadyQuery(dpNamespace, dpFailure), rng)
	if max := maxValue(notReady); max < 1 {
		t.Errorf("report.NotReadyQuery(%s): at most %v over the run; the pod failure made its one replica not ready", dpFailure, max)
	} else {
		t.Logf("report.NotReadyQuery(%s): up to %v replica not ready over the run", dpFailure, max)
	}
	restarts := r.rangeSeries(t, "report.RestartsQuery("+dpKill+")", report.RestartsQuery(dpNamespace, dpKill, model.Duration(time.Since(r.started)).String()), rng)
	if max := maxValue(restarts); max < 1 {
		t.Errorf("report.RestartsQuery(%s): at most %v over the run; the container kill restarted its container", dpKill, max)
	} else {
		t.Logf("report.RestartsQuery(%s): %v restart(s) over the run", dpKill, max)
	}
}

// rangeSeries evaluates a range query and fails the test on an error or an empty result.
func (r *dataPlane) rangeSeries(t *testing.T, where, expr string, rng promv1.Range) model.Matrix {
	t.Helper()
	val, warnings, _, err := r.prom.API.QueryRange(r.ctx, expr, rng)
	if err != nil {
		t.Errorf("%s: %s: %v", where, expr, err)
		return nil
	}
	m, _ := val.(model.Matrix)
	if len(m) == 0 {
		t.Errorf("%s: no series over the run (%s .. now) for\n  %s%v", where, r.started.Format("15:04:05"), expr, warnings)
	}
	return m
}

func maxValue(m model.Matrix) float64 {
	max := 0.0
	for _, s := range m {
		for _, v := range s.Values {
			if float64(v.Value) > max {
				max = float64(v.Value)
			}
		}
	}
	return max
}
