package slo

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/testtool"
)

// The burn-rate alerts' behaviour, checked by Prometheus' own rule engine (`promtool test rules`, as
// kubernetes-mixin tests its alerts) on the rule files that the program deploys: a fast burn pages, a slow
// burn raises a ticket and never pages, and the page clears soon after the fault ends.

// promtoolTest is one test of a `promtool test rules` file.
type promtoolTest struct {
	Name       string           `yaml:"name"`
	Interval   string           `yaml:"interval"`
	Input      []inputSeries    `yaml:"input_series"`
	AlertTests []alertRuleTest  `yaml:"alert_rule_test"`
	ExprTests  []promqlExprTest `yaml:"promql_expr_test,omitempty"`
}

type inputSeries struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

type alertRuleTest struct {
	EvalTime  string          `yaml:"eval_time"`
	AlertName string          `yaml:"alertname"`
	Expected  []expectedAlert `yaml:"exp_alerts"`
}

type expectedAlert struct {
	Labels      map[string]string `yaml:"exp_labels"`
	Annotations map[string]string `yaml:"exp_annotations"`
}

type promqlExprTest struct {
	Expr     string          `yaml:"expr"`
	EvalTime string          `yaml:"eval_time"`
	Expected []expectedValue `yaml:"exp_samples"`
}

type expectedValue struct {
	Labels string  `yaml:"labels"`
	Value  float64 `yaml:"value"`
}

// counter is a counter's value at every minute from 0: it grows by perMinute[i] in minute i.
func counter(perMinute []float64) string {
	values := make([]string, 0, len(perMinute)+1)
	total := 0.0
	values = append(values, "0")
	for _, inc := range perMinute {
		total += inc
		values = append(values, fmt.Sprintf("%g", total))
	}
	return strings.Join(values, " ")
}

// phases is a per-minute series made of phases of constant value.
func phases(ps ...[2]float64) []float64 {
	var out []float64
	for _, p := range ps {
		for range int(p[0]) {
			out = append(out, p[1])
		}
	}
	return out
}

func scale(xs []float64, f float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x * f
	}
	return out
}

// availabilityTraffic is checkout's server spans at 100 a minute, errorRatio[i] of them in error in minute i.
func availabilityTraffic(s SLO, errorRatio []float64) []inputSeries {
	sel := func(status string) string {
		return fmt.Sprintf(`%s{service_name=%q, span_kind=%q, status_code=%q}`, CallsMetric, s.Service, ServerSpanKind, status)
	}
	ok := make([]float64, len(errorRatio))
	for i, r := range errorRatio {
		ok[i] = 100 * (1 - r)
	}
	return []inputSeries{
		{Series: sel("STATUS_CODE_UNSET"), Values: counter(ok)},
		{Series: sel(ErrorStatus), Values: counter(scale(errorRatio, 100))},
	}
}

// latencyTraffic is a service's server spans at 100 a minute, slowRatio[i] of them above the SLO's threshold.
// The collector writes le="500"; the rules must match it.
func latencyTraffic(s SLO, slowRatio []float64) []inputSeries {
	bucket := func(le string) string {
		return fmt.Sprintf(`%s{service_name=%q, span_kind=%q, le=%q}`, DurationBucket, s.Service, ServerSpanKind, le)
	}
	fast := make([]float64, len(slowRatio))
	for i, r := range slowRatio {
		fast[i] = 100 * (1 - r)
	}
	return []inputSeries{
		{Series: bucket(formatBound(s.ThresholdMs)), Values: counter(fast)},
		{Series: bucket("+Inf"), Values: counter(phases([2]float64{float64(len(slowRatio)), 100}))},
	}
}

// burnAlert is the alert that the program's rules raise for the SLO and burn window, with its description
// rendered for the value (the long range's error ratio) that it must fire with.
func burnAlert(t *testing.T, s SLO, long string, value float64) expectedAlert {
	t.Helper()
	for _, r := range AlertingRules([]SLO{s}) {
		if r.Labels["long_window"] != long {
			continue
		}
		const placeholder = "{{ $value | humanizePercentage }}"
		desc := r.Annotations["description"]
		if !strings.Contains(desc, placeholder) {
			t.Fatalf("the description no longer shows the value as %s: %s", placeholder, desc)
		}
		annotations := map[string]string{
			"summary":     r.Annotations["summary"],
			"description": strings.Replace(desc, placeholder, fmt.Sprintf("%.4g%%", value*100), 1), // as humanizePercentage
		}
		return expectedAlert{Labels: r.Labels, Annotations: annotations}
	}
	t.Fatalf("no burn alert over %s for %s", long, s.Name)
	return expectedAlert{}
}

func burnAlertTest(eval string, alerts ...expectedAlert) alertRuleTest {
	return alertRuleTest{EvalTime: eval, AlertName: BurnAlertName, Expected: alerts}
}

// promtoolTestRules writes the rule files as the program deploys them (ServerFiles, rendered by the chart's
// toYaml) and the tests, and runs `promtool test rules`; it returns promtool's output.
func promtoolTestRules(t *testing.T, promtool string, slos []SLO, tests []promtoolTest) (string, error) {
	t.Helper()
	dir := t.TempDir()
	files, err := ServerFiles(slos)
	if err != nil {
		t.Fatal(err)
	}
	var ruleFiles []string
	for _, name := range []string{RecordingRulesFile, AlertingRulesFile} {
		raw, err := yaml.Marshal(files[name])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), raw, 0o644); err != nil {
			t.Fatal(err)
		}
		ruleFiles = append(ruleFiles, name)
	}
	// promtool evaluates groups in a random order unless told; in Prometheus both run every 30 s, so an alert
	// reads recordings at most one interval old. Recordings first makes the values exact, and the test stable.
	raw, err := yaml.Marshal(map[string]any{"rule_files": ruleFiles, "evaluation_interval": "30s",
		"group_eval_order": []string{RecordingGroup, AlertingGroup}, "tests": tests})
	if err != nil {
		t.Fatal(err)
	}
	testFile := filepath.Join(dir, "slo_rules_test.yml")
	if err := os.WriteFile(testFile, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "test", "rules", testFile)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestBurnRateAlertsBehave(t *testing.T) {
	promtool := testtool.Need(t, testtool.Promtool)
	slos := Defaults()
	avail, _ := Find(slos, "checkout-availability") // 99%: pages above 14.4% (1h) or 6% (6h) errors
	latency, _ := Find(slos, "checkout-latency")    // 95% under 500 ms: pages above 72% slow (1h)
	catalog, _ := Find(slos, "product-catalog-availability")
	tests := []promtoolTest{
		{
			// 20% errors: the 1h/5m page fires after its 2 minutes, the 6h/30m page after its 15.
			Name: "a fast burn pages", Interval: "1m",
			Input: availabilityTraffic(avail, phases([2]float64{30, 0.2})),
			AlertTests: []alertRuleTest{
				burnAlertTest("10m", burnAlert(t, avail, "1h", 0.2)),
				burnAlertTest("20m", burnAlert(t, avail, "1h", 0.2), burnAlert(t, avail, "6h", 0.2)),
			},
		},
		{
			// 4% errors for 4 hours: over 3× the sustainable rate but under 6×. The 1d/2h ticket fires once
			// its hour has passed, the 3d/6h ticket after its 3 hours; no page, ever.
			Name: "a slow burn raises a ticket and does not page", Interval: "1m",
			Input: availabilityTraffic(avail, phases([2]float64{240, 0.04})),
			AlertTests: []alertRuleTest{
				burnAlertTest("30m"),
				burnAlertTest("65m", burnAlert(t, avail, "1d", 0.04)),
				burnAlertTest("190m", burnAlert(t, avail, "1d", 0.04), burnAlert(t, avail, "3d", 0.04)),
			},
		},
		{
			// 20% errors for 20 minutes, then none. The 1h/5m page clears once the 5m range is clean, though
			// the 1h range still burns; the 6h/30m page once the 30m range is.
			Name: "recovery clears the pages", Interval: "1m",
			Input: availabilityTraffic(avail, phases([2]float64{20, 0.2}, [2]float64{60, 0})),
			AlertTests: []alertRuleTest{
				burnAlertTest("18m", burnAlert(t, avail, "1h", 0.2), burnAlert(t, avail, "6h", 0.2)),
				burnAlertTest("30m", burnAlert(t, avail, "6h", 400.0/3000)),
				burnAlertTest("55m"),
			},
		},
		{
			// 0.5% errors: within the budget. Nothing fires.
			Name: "a burn within budget raises nothing", Interval: "1m",
			Input:      availabilityTraffic(catalog, phases([2]float64{240, 0.005})),
			AlertTests: []alertRuleTest{burnAlertTest("4h")},
		},
		{
			// 80% of requests slower than 500 ms: the latency SLO pages as the availability one does.
			Name: "a latency fast burn pages", Interval: "1m",
			Input:      latencyTraffic(latency, phases([2]float64{15, 0.8})),
			AlertTests: []alertRuleTest{burnAlertTest("10m", burnAlert(t, latency, "1h", 0.8))},
			ExprTests: []promqlExprTest{{
				Expr: latency.RecordedErrorRatio("5m"), EvalTime: "10m",
				Expected: []expectedValue{{Labels: fmt.Sprintf(`%s{slo=%q, service=%q, slo_kind=%q}`, ErrorRatioRecord("5m"), latency.Name, latency.Service, latency.Kind), Value: 0.8}},
			}},
		},
		{
			// A service that never failed has no error series: the real collector makes it with the first
			// failed span (TestSpine saw it). Its error ratio is 0, not missing.
			Name: "a service that never failed records 0", Interval: "1m",
			Input:      availabilityTraffic(catalog, phases([2]float64{15, 0}))[:1],
			AlertTests: []alertRuleTest{burnAlertTest("10m")},
			ExprTests: []promqlExprTest{{
				Expr: catalog.RecordedErrorRatio("5m"), EvalTime: "10m",
				Expected: []expectedValue{{Labels: fmt.Sprintf(`%s{slo=%q, service=%q, slo_kind=%q}`, ErrorRatioRecord("5m"), catalog.Name, catalog.Service, catalog.Kind), Value: 0}},
			}},
		},
	}
	if out, err := promtoolTestRules(t, promtool, slos, tests); err != nil || !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}

// The test must be able to fail: a page expected where the rules raise none is reported by promtool.
func TestBurnRateAlertTestsCanFail(t *testing.T) {
	promtool := testtool.Need(t, testtool.Promtool)
	slos := Defaults()
	avail, _ := Find(slos, "checkout-availability")
	wrong := []promtoolTest{{
		Name: "a slow burn wrongly expected to page", Interval: "1m",
		Input:      availabilityTraffic(avail, phases([2]float64{90, 0.04})),
		AlertTests: []alertRuleTest{burnAlertTest("65m", burnAlert(t, avail, "1h", 0.04))},
	}}
	if out, err := promtoolTestRules(t, promtool, slos, wrong); err == nil || !strings.Contains(out, "FAILED") {
		t.Errorf("promtool accepted a page that the rules do not raise (%v):\n%s", err, out)
	}
}
