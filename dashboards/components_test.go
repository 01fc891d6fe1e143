package dashboards

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

func mustRegexp(t *testing.T, re string) *regexp.Regexp {
	t.Helper()
	// PromQL regex matchers are fully anchored; the pattern is written for a PromQL string, so unescape it.
	unq, err := strconv.Unquote(`"` + re + `"`)
	if err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile("^(?:" + unq + ")$")
}

// componentConstants reads the string and number constants of package components from its source, so that
// this package does not import the Pulumi program (and does not fail to build before the constants exist).
func componentConstants(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "components", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, decl := range file.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
							v := lit.Value
							if lit.Kind == token.STRING {
								v, _ = strconv.Unquote(lit.Value)
							}
							out[name.Name] = v
						}
					}
				}
			}
		}
	}
	return out
}

// promName is how the collector's Prometheus exporter names a spanmetrics series: the connector's
// namespace and metric joined by dots, dots to underscores, the unit's suffix and _total for counters.
func promName(namespace, metric, suffix string) string {
	name := metric
	if namespace != "" {
		name = namespace + "." + metric
	}
	return strings.ReplaceAll(name, ".", "_") + suffix
}

// The spanmetrics series that every query and SLO reads are the ones that the collector's config produces.
func TestSpanMetricsNamesFollowTheCollectorConfig(t *testing.T) {
	namespace := "traces.span.metrics" // the team contract
	consts := componentConstants(t)
	if v, ok := consts["SpanMetricsNamespace"]; ok {
		namespace = v
	} else {
		t.Logf("components.SpanMetricsNamespace not declared yet; checking against the contract value %q", namespace)
	}
	if v, ok := consts["CollectorPrometheusNamespace"]; ok && v != "" {
		t.Errorf("components.CollectorPrometheusNamespace = %q; the catalog assumes the exporter adds no namespace", v)
	}
	if v, ok := consts["CollectorPrometheusPort"]; ok && v != "9464" {
		t.Logf("collector prometheus exporter port is %s", v)
	}
	if got, want := slo.CallsMetric, promName(namespace, "calls", "_total"); got != want {
		t.Errorf("slo.CallsMetric = %s, the collector produces %s", got, want)
	}
	if got, want := slo.DurationBucket, promName(namespace, "duration", "_milliseconds_bucket"); got != want {
		t.Errorf("slo.DurationBucket = %s, the collector produces %s", got, want)
	}
	for _, name := range []string{slo.CallsMetric, slo.DurationBucket} {
		m, ok := LookupMetric(name, false)
		if !ok || m.Producer != SpanMetrics {
			t.Errorf("%s is not in the catalog as spanmetrics", name)
		}
	}
}
