package dashboards

import (
	"bytes"
	"encoding/json"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

var update = flag.Bool("update", false, "rewrite the golden dashboards in testdata/")

// presetScenarios mirror the scenario presets of the README.
var presetScenarios = []ScenarioRef{
	{Name: "checkout-pod-kill", Fault: "pod-kill", Target: "checkout"},
	{Name: "frontend-catalog-latency", Fault: "network-delay", Target: "frontend"},
	{Name: "recommendation-cpu-stress", Fault: "cpu-stress", Target: "recommendation"},
	{Name: "shipping-http-faults", Fault: "http-replace", Target: "shipping"},
	{Name: "ad-failure", Fault: "flag", Target: "ad"},
	{Name: "checkout-gameday", Fault: "gameday", Target: "frontend,recommendation,shipping,checkout"},
}

func testOptions() Options {
	return Options{PrometheusUID: "prom-test", JaegerUID: "jaeger-test", SLOs: slo.Defaults(), Scenarios: presetScenarios}
}

func TestGolden(t *testing.T) {
	boards, err := All(testOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{ShopOverviewUID: true, KubernetesUID: true, ChaosTimelineUID: true, ScenarioImpactUID: true, CollectorUID: true}
	for _, d := range boards {
		if !want[d.UID] {
			t.Errorf("unexpected uid %s", d.UID)
		}
		delete(want, d.UID)
		path := filepath.Join("testdata", d.FileName())
		checkGolden(t, path, d)
	}
	for uid := range want {
		t.Errorf("dashboard %s missing", uid)
	}
}

func TestDeterministic(t *testing.T) {
	a, err := All(testOptions())
	if err != nil {
		t.Fatal(err)
	}
	b, err := All(testOptions())
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if !bytes.Equal(a[i].JSON, b[i].JSON) {
			t.Errorf("%s is not deterministic", a[i].UID)
		}
	}
}

type panelModel struct {
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Options struct {
		Legend *struct {
			ShowLegend  bool   `json:"showLegend"`
			DisplayMode string `json:"displayMode"`
		} `json:"legend"`
	} `json:"options"`
	Targets []struct {
		RefID      string `json:"refId"`
		Datasource *struct {
			UID string `json:"uid"`
		} `json:"datasource"`
	} `json:"targets"`
	GridPos *struct {
		W, H int
	} `json:"gridPos"`
}

type dashboardModel struct {
	UID         string       `json:"uid"`
	Title       string       `json:"title"`
	Tags        []string     `json:"tags"`
	Panels      []panelModel `json:"panels"`
	Annotations struct {
		List []struct {
			Name       string `json:"name"`
			Enable     bool   `json:"enable"`
			Datasource struct {
				UID string `json:"uid"`
			} `json:"datasource"`
			Expr string `json:"expr"`
		} `json:"list"`
	} `json:"annotations"`
}

func decode(t *testing.T, d Dashboard) dashboardModel {
	t.Helper()
	var m dashboardModel
	if err := json.Unmarshal(d.JSON, &m); err != nil {
		t.Fatalf("%s: %v", d.UID, err)
	}
	return m
}

func TestPanelsHaveDatasourceTitleUnitAndLegend(t *testing.T) {
	opts := testOptions()
	boards, err := All(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range boards {
		m := decode(t, d)
		if m.UID != d.UID || m.Title != d.Title || m.Title == "" {
			t.Errorf("%s: uid/title mismatch: %q %q", d.UID, m.UID, m.Title)
		}
		if !strings.Contains(strings.Join(m.Tags, ","), Tag) {
			t.Errorf("%s: no %s tag", d.UID, Tag)
		}
		visible := 0
		for _, p := range m.Panels {
			if p.Type == "row" {
				if p.Title == "" {
					t.Errorf("%s: row without title", d.UID)
				}
				continue
			}
			visible++
			where := d.UID + " panel " + p.Title
			if p.Title == "" {
				t.Errorf("%s: panel without title", d.UID)
			}
			if p.Datasource == nil || p.Datasource.UID != opts.PrometheusUID || p.Datasource.Type != "prometheus" {
				t.Errorf("%s: datasource %+v, want prometheus uid %s", where, p.Datasource, opts.PrometheusUID)
			}
			if p.FieldConfig.Defaults.Unit == "" {
				t.Errorf("%s: no unit", where)
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: no targets", where)
			}
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				if tg.Datasource == nil || tg.Datasource.UID != opts.PrometheusUID {
					t.Errorf("%s: target %s without the datasource uid", where, tg.RefID)
				}
				if refs[tg.RefID] {
					t.Errorf("%s: duplicate refId %s", where, tg.RefID)
				}
				refs[tg.RefID] = true
			}
			switch p.Type {
			case "timeseries":
				if p.Options.Legend == nil || !p.Options.Legend.ShowLegend || p.Options.Legend.DisplayMode == "hidden" {
					t.Errorf("%s: legend is off", where)
				}
			case "stat":
			default:
				t.Errorf("%s: unexpected panel type %s", where, p.Type)
			}
			if p.GridPos == nil || p.GridPos.W == 0 || p.GridPos.H == 0 {
				t.Errorf("%s: no size", where)
			}
		}
		if visible == 0 {
			t.Errorf("%s: no panels", d.UID)
		}
	}
}

func TestEveryDashboardCarriesTheChaosAnnotations(t *testing.T) {
	opts := testOptions()
	boards, err := All(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range boards {
		m := decode(t, d)
		got := map[string]string{}
		for _, a := range m.Annotations.List {
			if a.Enable && a.Datasource.UID == opts.PrometheusUID {
				got[a.Name] = a.Expr
			}
		}
		for name, want := range map[string]string{
			"Chaos active":    `phase=~"injecting|running"`,
			"Chaos injected":  `reason="Applied"`,
			"Chaos recovered": `reason="Recovered"`,
		} {
			if !strings.Contains(got[name], want) || !strings.Contains(got[name], `namespace="otel-demo"`) {
				t.Errorf("%s: annotation %q = %q, want it to match %s in otel-demo", d.UID, name, got[name], want)
			}
		}
	}
}

func TestShopOverviewDrawsTheSLOs(t *testing.T) {
	boards, err := All(testOptions())
	if err != nil {
		t.Fatal(err)
	}
	raw := string(boards[0].JSON)
	if boards[0].UID != ShopOverviewUID {
		t.Fatalf("first dashboard is %s", boards[0].UID)
	}
	for _, s := range slo.Defaults() {
		if !strings.Contains(raw, `"legendFormat": "`+s.Name+`"`) {
			t.Errorf("no SLI stat for %s", s.Name)
		}
	}
	m := decode(t, boards[0])
	stats := 0
	for _, p := range m.Panels {
		if p.Type == "stat" {
			stats++
		}
	}
	if stats != len(slo.Defaults()) {
		t.Errorf("%d SLI stats, want %d", stats, len(slo.Defaults()))
	}
	// The thresholds come from the SLOs: a custom objective shows up.
	custom := []slo.SLO{{Name: "cart-availability", Service: "cart", Kind: slo.Availability, Objective: 0.975, Window: slo.DefaultWindow}}
	d, err := ShopOverview(Options{SLOs: custom})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(d)
	if !strings.Contains(string(out), `"value":0.975`) || !strings.Contains(string(out), `service_name=\"cart\"`) {
		t.Errorf("custom SLO not drawn: %s", out)
	}
}

func TestScenarioImpactHasOneRowPerScenario(t *testing.T) {
	opts := testOptions()
	d, err := ScenarioImpact(opts.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(d)
	var m dashboardModel
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, p := range m.Panels {
		if p.Type == "row" {
			rows = append(rows, p.Title)
		}
	}
	if len(rows) != len(presetScenarios) {
		t.Fatalf("rows %v, want one per scenario", rows)
	}
	for i, want := range []string{"ad-failure: flag on ad", "checkout-gameday: gameday on frontend, recommendation, shipping, checkout", "checkout-pod-kill: pod-kill on checkout"} {
		if rows[i] != want {
			t.Errorf("row %d = %q, want %q", i, rows[i], want)
		}
	}
	s := string(raw)
	// The checkout row uses checkout's SLO thresholds and checkout's pods, and not frontend's for frontend-proxy.
	for _, want := range []string{`deployment=~\"checkout\"`, `pod=~\"checkout-[a-z0-9]+-[a-z0-9]{5}\"`, `service_name=\"shipping\"`,
		`pod=~\"frontend-[a-z0-9]+-[a-z0-9]{5}|recommendation-[a-z0-9]+-[a-z0-9]{5}|shipping-[a-z0-9]+-[a-z0-9]{5}|checkout-[a-z0-9]+-[a-z0-9]{5}\"`} {
		if !strings.Contains(s, want) {
			t.Errorf("scenario dashboard lacks %s", want)
		}
	}

	empty, err := ScenarioImpact(Options{}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = json.Marshal(empty)
	if !strings.Contains(string(raw), "No scenario is enabled") {
		t.Errorf("empty scenario dashboard does not say so")
	}
	if _, err := ScenarioImpact(Options{Scenarios: []ScenarioRef{{Name: "x"}}}.withDefaults()); err == nil {
		t.Errorf("a scenario without a target was accepted")
	}
}

func TestPodsOfDoesNotMatchOtherComponents(t *testing.T) {
	re := mustRegexp(t, podsOf("frontend"))
	for pod, want := range map[string]bool{
		"frontend-7d9f8c6b5d-x2k9p":       true,
		"frontend-proxy-6c8d7f9b4-abcde":  false,
		"frontend-proxy-6c8d7f9b4d-abcde": false,
		"frontend-7d9f8c6b5d-x2k9p-extra": false,
	} {
		if got := re.MatchString(pod); got != want {
			t.Errorf("pods of frontend match %s = %v, want %v", pod, got, want)
		}
	}
}

func TestExport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	paths, err := Export(dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 6 {
		t.Fatalf("wrote %v, want 5 dashboards and the rules", paths)
	}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(p) {
		case ".json":
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Errorf("%s: %v", p, err)
			}
			if uid, _ := m["uid"].(string); uid+".json" != filepath.Base(p) {
				t.Errorf("%s holds uid %v", p, m["uid"])
			}
		case ".yml":
			if filepath.Base(p) != slo.ExportRulesFile {
				t.Errorf("rules written to %s", p)
			}
			if _, errs := rulefmt.Parse(raw, false, model.LegacyValidation, promql, slog.New(slog.DiscardHandler)); len(errs) > 0 {
				t.Errorf("exported rules: %v", errs)
			}
		default:
			t.Errorf("unexpected file %s", p)
		}
	}
	// A path that cannot be a directory fails cleanly.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Export(filepath.Join(file, "sub"), testOptions()); err == nil {
		t.Error("export into a path under a file succeeded")
	}
}

// checkGolden compares a dashboard's JSON with its golden file, or rewrites the file under -update.
func checkGolden(t *testing.T, path string, d Dashboard) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, d.JSON, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	golden, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./dashboards -update)", err)
	}
	if !bytes.Equal(golden, d.JSON) {
		t.Errorf("%s differs from %s; if the change is meant, run go test ./dashboards -update and review the diff", d.UID, path)
	}
}
