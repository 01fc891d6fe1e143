package wiring

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/testtool"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// AllPresetsConfig is the stack config of the tests: every preset scenario that applies to the default
// stack (the Astronomy Shop without Istio) enabled.
func allPresetsConfig() map[string]string {
	return labConfig(apps.AstronomyShop, false)
}

// labConfig is the stack config of an app, with Istio or without, and every preset that applies to it.
func labConfig(app apps.App, istio bool) map[string]string {
	var parts []string
	opts := scenarios.Options{Deployment: app.Deploy(), Istio: istio,
		Gate: scenarios.Gate{URL: "http://gate", SLOs: slo.Names(slo.DefaultsFor(app))}}
	for _, n := range scenarios.ApplicablePresets(opts) {
		parts = append(parts, `"`+n+`":{"enabled":true}`)
	}
	return map[string]string{
		"chaos-mesh-otel:grafanaAdminPassword": "wiring-test-password",
		"chaos-mesh-otel:app":                  app.Name,
		"chaos-mesh-otel:istio":                fmt.Sprint(istio),
		"chaos-mesh-otel:scenarios":            "{" + strings.Join(parts, ",") + "}",
	}
}

var (
	labMu   sync.Mutex
	labObjs = map[string]*Objects{}
)

// lab renders the default lab once per test binary.
func lab(t *testing.T) *Objects {
	t.Helper()
	return labOf(t, apps.AstronomyShop, false)
}

// labOf renders the lab of an app, with Istio or without, once per test binary.
func labOf(t *testing.T, app apps.App, istio bool) *Objects {
	t.Helper()
	labMu.Lock()
	defer labMu.Unlock()
	key := fmt.Sprintf("%s/%v", app.Name, istio)
	if objs, ok := labObjs[key]; ok {
		return objs
	}
	wd, _ := os.Getwd()
	dir := components.OfflineChartsDir(wd)
	if _, err := os.Stat(filepath.Join(dir, "chaos-mesh-2.8.3.tgz")); err != nil {
		t.Fatalf("rendering the lab: %v", err)
	}
	objs, err := Render(context.Background(), labConfig(app, istio), dir)
	if err != nil {
		t.Fatalf("rendering the lab (%s): %v", key, err)
	}
	labObjs[key] = objs
	return objs
}

// TestRenderDump writes the rendered lab as JSON lines, one object each, to $WIRING_DUMP (or a temp file), and
// reads it back: every object is there with its kind and name.
func TestRenderDump(t *testing.T) {
	objs := lab(t)
	if len(objs.Items) < 50 {
		t.Fatalf("only %d objects", len(objs.Items))
	}
	path := os.Getenv("WIRING_DUMP")
	if path == "" {
		path = filepath.Join(t.TempDir(), "lab.jsonl")
	}
	var dump bytes.Buffer
	for _, u := range objs.Items {
		data, err := u.MarshalJSON()
		if err != nil {
			t.Fatalf("%s %s/%s: %v", u.GetKind(), u.GetNamespace(), u.GetName(), err)
		}
		dump.Write(append(bytes.TrimSpace(data), '\n'))
	}
	if err := os.WriteFile(path, dump.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if len(lines) != len(objs.Items) {
		t.Fatalf("%s holds %d lines for %d objects", path, len(lines), len(objs.Items))
	}
	for i, line := range lines {
		var obj struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal([]byte(line), &obj); err != nil || obj.Kind == "" || obj.Metadata.Name == "" {
			t.Errorf("line %d is not an object with a kind and a name (%v): %.120s", i+1, err, line)
		}
	}
}

// TestLabWiring runs every check on the rendered lab with all presets on: it must have no findings.
func TestLabWiring(t *testing.T) {
	objs := lab(t)
	promtool, _ := testtool.Want(t, testtool.Promtool, "promtool check config of the rendered Prometheus config")
	checkClean(t, objs, promtool)
}

// checkClean runs every check on the objects, logs the blast radius and the findings, fails on any finding,
// and returns the report.
func checkClean(t *testing.T, objs *Objects, promtool string) *Report {
	t.Helper()
	r := Check(objs, Options{Promtool: promtool, RequirePromtool: os.Getenv("CI") == "true"})
	var b strings.Builder
	WriteBlastRadius(&b, r.Blast)
	r.WriteFindings(&b)
	t.Log("\n" + b.String())
	for _, f := range r.Findings {
		t.Error(f)
	}
	return r
}

// TestLabAddressesCovered guards against a vacuous pass: the addresses that the issue names are found and
// checked.
func TestLabAddressesCovered(t *testing.T) {
	objs := lab(t)
	want := map[string]bool{
		"Deployment otel-demo/checkout|otel-collector.observability.svc:4318":      false, // OTLP exporter
		"ConfigMap observability/otel-collector|jaeger.observability.svc:4317":     false, // collector → Jaeger
		"ConfigMap observability/grafana|prometheus-server.observability.svc:80":   false, // Grafana datasource
		"ConfigMap observability/grafana|jaeger.observability.svc:16686":           false,
		"Deployment observability/slo-gate|prometheus-server.observability.svc:80": false, // gate → Prometheus
		"Workflow otel-demo/checkout-gameday|slo-gate.observability.svc:8080":      false, // status check
		"Deployment otel-demo/frontend-proxy|grafana.observability.svc:80":         false, // host/port pair
		"Deployment otel-demo/product-catalog|astronomy-db:5432":                   false,
	}
	for _, a := range collectAddresses(objs) {
		key := fmt.Sprintf("%s|%s:%d", a.object, a.host, a.port)
		if _, ok := want[key]; ok {
			want[key] = true
		}
	}
	for k, found := range want {
		if !found {
			t.Errorf("address not collected: %s", k)
		}
	}
	sc := CheckScenariosOf(objs)
	if len(sc.Blast) < 6 {
		t.Errorf("blast radius has %d rows, want one per chaos spec of the presets", len(sc.Blast))
	}
	prom := CheckPrometheusOf(objs, Options{SkipPromtool: true})
	for _, req := range requiredScrapes {
		if !prom.Scraped(req.job, req.workload) {
			t.Errorf("%s does not find %s", req.job, req.workload)
		}
	}
}
