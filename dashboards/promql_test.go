package dashboards

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

var promql = parser.NewParser(parser.Options{})

// templateVar matches Grafana template variables: $name, ${name} and ${name:format}.
var templateVar = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::[A-Za-z]+)?\}?`)

// substitute replaces Grafana's variables with values of the right shape: ranges for the built-in
// interval variables, a plain word for the dashboard's own.
func substitute(expr string) string {
	return templateVar.ReplaceAllStringFunc(expr, func(m string) string {
		name := templateVar.FindStringSubmatch(m)[1]
		switch name {
		case "__rate_interval", "__interval", "__range":
			return "5m"
		case "__range_s", "__interval_ms":
			return "300"
		default:
			return "value"
		}
	})
}

// labelValues turns a Grafana variable query label_values(selector, label) into its selector.
var labelValues = regexp.MustCompile(`^label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\)$`)

// sourcedQuery is one PromQL expression and where it was found.
type sourcedQuery struct {
	where, expr string
}

// dashboardQueries collects every PromQL expression of a dashboard's JSON: panel targets, annotation
// queries (the legacy expr and the target) and query variables.
func dashboardQueries(t *testing.T, d Dashboard) []sourcedQuery {
	t.Helper()
	var model struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Annotations struct {
			List []struct {
				Name   string `json:"name"`
				Expr   string `json:"expr"`
				Target *struct {
					Expr string `json:"expr"`
				} `json:"target"`
			} `json:"list"`
		} `json:"annotations"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(d.JSON, &model); err != nil {
		t.Fatal(err)
	}
	var out []sourcedQuery
	for _, p := range model.Panels {
		for i, tg := range p.Targets {
			out = append(out, sourcedQuery{fmt.Sprintf("%s panel %q target %d", d.UID, p.Title, i), tg.Expr})
		}
	}
	for _, a := range model.Annotations.List {
		if a.Expr != "" {
			out = append(out, sourcedQuery{fmt.Sprintf("%s annotation %q", d.UID, a.Name), a.Expr})
		}
		if a.Target != nil && a.Target.Expr != "" {
			out = append(out, sourcedQuery{fmt.Sprintf("%s annotation %q target", d.UID, a.Name), a.Target.Expr})
		}
	}
	for _, v := range model.Templating.List {
		s, ok := v.Query.(string)
		if v.Type != "query" || !ok {
			continue
		}
		m := labelValues.FindStringSubmatch(s)
		if m == nil {
			t.Errorf("%s variable %s: query %q is not label_values(selector, label)", d.UID, v.Name, s)
			continue
		}
		out = append(out, sourcedQuery{fmt.Sprintf("%s variable %s", d.UID, v.Name), m[1]})
	}
	return out
}

// checkQuery parses the expression with Grafana's variables substituted and checks that every metric it
// names is in the catalog (with Istio's metrics when istio), and that every label it matches on is one that
// metric has.
func checkQuery(expr string, istio bool) error {
	if strings.TrimSpace(expr) == "" {
		return fmt.Errorf("empty expression")
	}
	ast, err := promql.ParseExpr(substitute(expr))
	if err != nil {
		return fmt.Errorf("does not parse: %w", err)
	}
	var errs []string
	selectors := 0
	parser.Inspect(ast, func(node parser.Node, _ []parser.Node) error {
		vs, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		selectors++
		name := vs.Name
		if name == "" {
			for _, m := range vs.LabelMatchers {
				if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
					name = m.Value
				}
			}
		}
		metric, ok := LookupMetric(name, istio)
		if !ok {
			errs = append(errs, fmt.Sprintf("metric %q is not in the catalog", name))
			return nil
		}
		for _, m := range vs.LabelMatchers {
			if m.Name != labels.MetricName && !slices.Contains(metric.Labels, m.Name) {
				errs = append(errs, fmt.Sprintf("%s has no label %q (catalog: %v)", name, m.Name, metric.Labels))
			}
		}
		return nil
	})
	if selectors == 0 && !strings.Contains(expr, "vector(") {
		errs = append(errs, "names no metric")
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func TestEveryQueryParsesAndUsesCatalogMetrics(t *testing.T) {
	for _, opts := range []Options{testOptions(), {}, istioOptions()} {
		boards, err := All(opts)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, d := range boards {
			for _, sq := range dashboardQueries(t, d) {
				n++
				if err := checkQuery(sq.expr, opts.Istio); err != nil {
					t.Errorf("%s: %v\n  %s", sq.where, err, sq.expr)
				}
			}
		}
		if n < 50 {
			t.Errorf("found only %d queries; the walker misses some", n)
		}
	}
}

func TestRuleQueriesUseCatalogMetrics(t *testing.T) {
	groups := slo.RuleGroups(slo.Defaults())
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if err := checkQuery(r.Expr, false); err != nil {
				t.Errorf("rule %s%s %v: %v", r.Record, r.Alert, r.Labels, err)
			}
			if r.Record != "" {
				if _, ok := LookupMetric(r.Record, false); !ok {
					t.Errorf("recorded series %s is not in the catalog", r.Record)
				}
			}
		}
	}
}

func TestQueryCheckerCanFail(t *testing.T) {
	for expr, want := range map[string]string{
		`sum(rate(no_such_metric_total[$__rate_interval]))`:                           "not in the catalog",
		`sum(rate(traces_span_metrics_calls_total{service="x"}[5m]))`:                 `no label "service"`,
		`sum(rate(traces_span_metrics_calls_total{service_name=~"$service"}[5m])`:     "does not parse",
		`{__name__="kube_pod_info_typo"}`:                                             "not in the catalog",
		`vector(1) + 1 > bool 0`:                                                      "",
		`sum(rate(container_cpu_usage_seconds_total{pod=~"$pod"}[$__rate_interval]))`: "",
	} {
		err := checkQuery(expr, false)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", expr, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: error %v, want it to mention %q", expr, err, want)
		}
	}
}

func TestSubstitute(t *testing.T) {
	got := substitute(`rate(x{a=~"$service", b="${namespace}", c="${pods:regex}"}[$__rate_interval]) [$__range]`)
	want := `rate(x{a=~"value", b="value", c="value"}[5m]) [5m]`
	if got != want {
		t.Errorf("substitute = %s, want %s", got, want)
	}
}

func TestCatalogHasNoDuplicatesAndEveryEntryIsComplete(t *testing.T) {
	seen := map[string]bool{}
	producers := map[Producer]int{}
	for _, m := range Catalog(true) {
		if seen[m.Name] {
			t.Errorf("duplicate %s", m.Name)
		}
		seen[m.Name] = true
		producers[m.Producer]++
		if m.Type == "" || len(m.Labels) == 0 {
			t.Errorf("%s lacks a type or labels", m.Name)
		}
		if strings.HasSuffix(m.Type, "counter") != strings.HasSuffix(m.Name, "_total") {
			t.Errorf("%s: counters, and only counters, end in _total", m.Name)
		}
	}
	for _, p := range []Producer{SpanMetrics, KubeStateMetrics, CAdvisor, ChaosMesh, CollectorSelf, SLORules, IstioSidecars} {
		if producers[p] == 0 {
			t.Errorf("no metric of %s", p)
		}
	}
}
