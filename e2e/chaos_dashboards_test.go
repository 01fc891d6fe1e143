//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
)

// chaosMetricPrefix marks the queries that read Chaos Mesh's controller metrics.
const chaosMetricPrefix = "chaos_controller_manager_"

// panelQuery is one PromQL expression of a deployed dashboard and the labels its display uses (legend,
// annotation title and tags).
type panelQuery struct {
	Where, Expr string
	Labels      []string
}

// dashboards: every chaos query of the dashboards the lab deployed (panels and annotation layers) returns
// series from the real controller's metrics during the experiment, with the labels its legend, title or tags
// name.
func (r *chaosRun) dashboards(t *testing.T) {
	queries, err := r.deployedChaosQueries()
	if err != nil {
		t.Fatal(err)
	}
	if len(queries) == 0 {
		t.Fatalf("no dashboard query reads %s*", chaosMetricPrefix)
	}
	// Prometheus must have scraped what the last step did.
	interval, _ := time.ParseDuration(components.ScrapeInterval)
	if err := r.prom.WaitScraped(r.ctx, "chaos-controller-manager", time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	rng := promv1.Range{Start: r.started, End: time.Now(), Step: interval}
	for _, q := range queries {
		expr := grafanaVars(q.Expr, 4*interval)
		val, warnings, _, err := r.prom.API.QueryRange(r.ctx, expr, rng)
		if err != nil {
			t.Errorf("%s: %s: %v", q.Where, expr, err)
			continue
		}
		matrix, _ := val.(model.Matrix)
		if len(matrix) == 0 {
			t.Errorf("%s: no series during the experiment (%s .. now) for\n  %s%v", q.Where, r.started.Format("15:04:05"), expr, warnings)
			continue
		}
		var missing []string
		for _, s := range matrix {
			for _, l := range q.Labels {
				if s.Metric[model.LabelName(l)] == "" {
					missing = append(missing, fmt.Sprintf("%s lacks %q", s.Metric, l))
				}
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s: series without the labels the panel shows (%v):\n  %s", q.Where, q.Labels, strings.Join(missing, "\n  "))
			continue
		}
		t.Logf("%s: %d series, e.g. %s", q.Where, len(matrix), matrix[0].Metric)
	}
}

// deployedChaosQueries reads the dashboards from the lab's ConfigMaps in the cluster and returns their chaos
// queries, each once.
func (r *chaosRun) deployedChaosQueries() ([]panelQuery, error) {
	return deployedQueries(r.ctx, r.c, func(expr string) bool { return strings.Contains(expr, chaosMetricPrefix) })
}

// deployedQueries reads the dashboards from the lab's ConfigMaps in the cluster and returns the queries that
// keep accepts, each once.
func deployedQueries(ctx context.Context, c *Cluster, keep func(expr string) bool) ([]panelQuery, error) {
	cm, err := c.Client.CoreV1().ConfigMaps(components.ObservabilityNamespace).Get(ctx, components.GrafanaDashboardsConfigMap, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []panelQuery
	for _, key := range sortedKeys(cm.Data) {
		var model any
		if err := json.Unmarshal([]byte(cm.Data[key]), &model); err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		walkQueries(model, key, func(q panelQuery) {
			if keep(q.Expr) && !seen[q.Expr] {
				seen[q.Expr] = true
				out = append(out, q)
			}
		})
	}
	return out, nil
}

var legendLabel = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// walkQueries finds every object with an "expr" in a dashboard model: panel targets (legendFormat) and
// annotation queries (titleFormat, tagKeys).
func walkQueries(node any, where string, visit func(panelQuery)) {
	switch v := node.(type) {
	case []any:
		for _, x := range v {
			walkQueries(x, where, visit)
		}
	case map[string]any:
		for _, k := range []string{"title", "name"} {
			if s, ok := v[k].(string); ok && s != "" {
				where = strings.SplitN(where, " / ", 2)[0] + " / " + s
				break
			}
		}
		if expr, ok := v["expr"].(string); ok && expr != "" {
			q := panelQuery{Where: where, Expr: expr}
			for _, k := range []string{"legendFormat", "titleFormat"} {
				if s, ok := v[k].(string); ok {
					for _, m := range legendLabel.FindAllStringSubmatch(s, -1) {
						q.Labels = append(q.Labels, m[1])
					}
				}
			}
			if s, ok := v["tagKeys"].(string); ok {
				for _, k := range strings.Split(s, ",") {
					if k = strings.TrimSpace(k); k != "" {
						q.Labels = append(q.Labels, k)
					}
				}
			}
			sort.Strings(q.Labels)
			q.Labels = slices.Compact(q.Labels)
			visit(q)
		}
		for _, k := range sortedKeys(v) {
			walkQueries(v[k], where, visit)
		}
	}
}

// grafanaVars replaces Grafana's interval variables with the range Grafana would pick for the lab's scrape
// interval.
func grafanaVars(expr string, rateInterval time.Duration) string {
	r := model.Duration(rateInterval).String()
	return strings.NewReplacer("$__rate_interval", r, "${__rate_interval}", r, "$__interval", r, "${__interval}", r).Replace(expr)
}
