package slo

import (
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/testtool"
)

var promql = parser.NewParser(parser.Options{})

func TestBurnFactorsFollowTheWorkbook(t *testing.T) {
	want := map[string]float64{"1h": 14.4, "6h": 6, "1d": 3, "3d": 1}
	for _, b := range BurnWindows {
		if got := b.Factor(30 * 24 * time.Hour); got != want[b.Long] {
			t.Errorf("factor for %s/%s over 30d = %v, want %v", b.Long, b.Short, got, want[b.Long])
		}
	}
	// A 7-day window burns the same share of budget at a lower rate.
	if got := BurnWindows[0].Factor(7 * 24 * time.Hour); got != 3.36 {
		t.Errorf("factor for 1h over 7d = %v, want 3.36", got)
	}
	s := SLO{Name: "x", Service: "checkout", Kind: Availability, Objective: 0.99, Window: DefaultWindow}
	if got := BurnWindows[0].Threshold(s); got != 0.144 {
		t.Errorf("threshold = %v, want 0.144", got)
	}
	if got := BurnWindows[0].Severity; got != Page {
		t.Errorf("fastest burn severity = %q, want page", got)
	}
	if got := BurnWindows[len(BurnWindows)-1].Severity; got != Ticket {
		t.Errorf("slowest burn severity = %q, want ticket", got)
	}
}

func TestRecordedWindowsCoverEveryAlert(t *testing.T) {
	got := strings.Join(RecordedWindows(), ",")
	if got != "5m,30m,1h,2h,6h,1d,3d" {
		t.Fatalf("recorded windows = %s", got)
	}
}

func TestLeMatcherMatchesBothSpellings(t *testing.T) {
	expr, err := promql.ParseExpr(DurationBucket + "{" + LeMatcher(500) + "}")
	if err != nil {
		t.Fatal(err)
	}
	vs := expr.(*parser.VectorSelector)
	var le *labels.Matcher
	for _, m := range vs.LabelMatchers {
		if m.Name == "le" {
			le = m
		}
	}
	if le == nil {
		t.Fatal("no le matcher")
	}
	for value, want := range map[string]bool{"500": true, "500.0": true, "5000": false, "500x0": false, "50": false, "+Inf": false} {
		if got := le.Matches(value); got != want {
			t.Errorf("le matcher on %q = %v, want %v", value, got, want)
		}
	}
	if got := LeMatcher(2.5); got != `le="2.5"` {
		t.Errorf("fractional bound matcher = %s", got)
	}
}

func TestEveryQueryParses(t *testing.T) {
	for _, s := range Defaults() {
		for _, w := range append(RecordedWindows(), "$__rate_interval") {
			w = strings.ReplaceAll(w, "$__rate_interval", "1m")
			for _, q := range []string{s.SLIQuery(w), s.ErrorRatioQuery(w), s.TotalRate(w), s.BadRate(w)} {
				if _, err := promql.ParseExpr(q); err != nil {
					t.Errorf("%s: %q does not parse: %v", s.Name, q, err)
				}
			}
		}
		for _, b := range BurnWindows {
			if _, err := promql.ParseExpr(s.BurnAlertExpr(b)); err != nil {
				t.Errorf("%s: alert expr does not parse: %v", s.Name, err)
			}
			if _, err := promql.ParseExpr(s.BurnRateQuery(b.Long)); err != nil {
				t.Errorf("%s: burn-rate query does not parse: %v", s.Name, err)
			}
		}
	}
}

func TestRulesYAMLIsValid(t *testing.T) {
	raw, err := RulesYAML(Defaults())
	if err != nil {
		t.Fatal(err)
	}
	groups := mustParseRules(t, raw)
	if len(groups.Groups) != 2 {
		t.Fatalf("got %d groups, want 2", len(groups.Groups))
	}
	n := len(Defaults())
	if got, want := len(groups.Groups[0].Rules), n*(len(RecordedWindows())+2); got != want {
		t.Errorf("recording rules = %d, want %d", got, want)
	}
	if got, want := len(groups.Groups[1].Rules), n*len(BurnWindows); got != want {
		t.Errorf("alerting rules = %d, want %d", got, want)
	}
	// Every alert reads series that a recording rule of the same file produces.
	recorded := map[string]bool{}
	for _, r := range groups.Groups[0].Rules {
		recorded[r.Record+"/"+r.Labels[LabelSLO]] = true
	}
	for _, r := range groups.Groups[1].Rules {
		expr, err := promql.ParseExpr(r.Expr)
		if err != nil {
			t.Fatal(err)
		}
		parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
			if vs, ok := node.(*parser.VectorSelector); ok {
				if !recorded[vs.Name+"/"+r.Labels[LabelSLO]] {
					t.Errorf("alert %s/%s reads %s, which no recording rule of slo %s produces", r.Alert, r.Labels[LabelSLO], vs.Name, r.Labels[LabelSLO])
				}
			}
			return nil
		})
		if r.Labels["severity"] != string(Page) && r.Labels["severity"] != string(Ticket) {
			t.Errorf("alert %v has no severity", r.Labels)
		}
	}
}

func TestRulesRejectBrokenInput(t *testing.T) {
	// The validation used above must be able to fail.
	bad := []byte("groups:\n- name: x\n  rules:\n  - record: 'not a metric name'\n    expr: sum(rate(x[5m])\n")
	if _, errs := rulefmt.Parse(bad, false, model.LegacyValidation, promql, slog.New(slog.DiscardHandler)); len(errs) == 0 {
		t.Fatal("rulefmt accepted a broken rule file")
	}
}

func TestServerFilesSplitRecordingsAndAlerts(t *testing.T) {
	files, err := ServerFiles(Defaults())
	if err != nil {
		t.Fatal(err)
	}
	for key, wantKind := range map[string]string{RecordingRulesFile: "record", AlertingRulesFile: "alert"} {
		doc, ok := files[key]
		if !ok {
			t.Fatalf("no %s", key)
		}
		raw, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		groups := mustParseRules(t, raw)
		for _, g := range groups.Groups {
			for _, r := range g.Rules {
				if (wantKind == "record") != (r.Record != "") {
					t.Errorf("%s holds a rule of the wrong kind: %+v", key, r)
				}
			}
		}
	}
}

func TestPromtoolCheckRules(t *testing.T) {
	promtool := testtool.Need(t, testtool.Promtool)
	raw, err := RulesYAML(Defaults())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, ExportRulesFile)
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("SUCCESS")) {
		t.Fatalf("promtool did not report success:\n%s", out)
	}
	// And it must be able to fail.
	broken := filepath.Join(dir, "broken.yml")
	if err := os.WriteFile(broken, []byte("groups:\n- name: x\n  rules:\n  - alert: A\n    expr: sum(\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", broken).CombinedOutput(); err == nil {
		t.Fatalf("promtool accepted a broken file:\n%s", out)
	}
}

func mustParseRules(t *testing.T, raw []byte) *rulefmt.RuleGroups {
	t.Helper()
	groups, errs := rulefmt.Parse(raw, false, model.LegacyValidation, promql, slog.New(slog.DiscardHandler))
	for _, err := range errs {
		t.Errorf("rulefmt: %v", err)
	}
	if len(errs) > 0 {
		t.FailNow()
	}
	return groups
}
