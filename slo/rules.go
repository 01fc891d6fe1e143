package slo

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"go.yaml.in/yaml/v3"
)

// Rule files in the Prometheus chart. The prometheus-community chart's default prometheus.yml already lists
// /etc/config/recording_rules.yml and /etc/config/alerting_rules.yml under rule_files, so putting the SLO rules
// under these two serverFiles keys needs no change to prometheus.yml.
const (
	RecordingRulesFile = "recording_rules.yml"
	AlertingRulesFile  = "alerting_rules.yml"
	// ExportRulesFile is the name of the combined file that `chaoslab dashboards export` writes.
	ExportRulesFile = "chaos-lab-slo-rules.yml"
)

// Rule group names.
const (
	RecordingGroup = "chaos-lab-slo-recordings"
	AlertingGroup  = "chaos-lab-slo-burn-rate-alerts"
)

// Labels that every SLO series and alert carries.
const (
	LabelSLO     = "slo"
	LabelService = "service"
	LabelKind    = "slo_kind"
)

// Names of the recorded series. The error ratio carries its range in the name (see ErrorRatioRecord); the
// objective and the error budget are constant series, handy for drawing thresholds next to the SLIs.
const (
	ObjectiveRecord   = "slo:objective:ratio"
	ErrorBudgetRecord = "slo:error_budget:ratio"
	BurnAlertName     = "SLOErrorBudgetBurn"
)

// ErrorRatioRecord names the recorded error ratio over one range, for example slo:sli_error:ratio_rate5m.
func ErrorRatioRecord(window string) string { return "slo:sli_error:ratio_rate" + window }

// Severity says who an alert is for.
type Severity string

const (
	Page   Severity = "page"   // wake someone up: the budget is going fast
	Ticket Severity = "ticket" // look at it during working hours
)

// BurnWindow is one multi-window burn-rate alert in the style of the Google SRE workbook ("Alerting on
// SLOs", table 5-8): it fires when both the long and the short range burn the budget at least Factor times
// faster than sustainable. The long range makes the alert significant, the short one makes it reset quickly
// once the fault is gone.
type BurnWindow struct {
	Long, Short string // PromQL durations
	// BudgetSpent is the share of the whole compliance window's error budget that burning at this rate
	// for the Long range consumes. With a 30-day window, 2% in 1h is a burn rate of 14.4.
	BudgetSpent float64
	Severity    Severity
	For         time.Duration
}

// BurnWindows are the workbook's recommended pairs: 2% of the budget in 1h and 5% in 6h page; 10% in 1d and
// 10% in 3d raise a ticket.
var BurnWindows = []BurnWindow{
	{Long: "1h", Short: "5m", BudgetSpent: 0.02, Severity: Page, For: 2 * time.Minute},
	{Long: "6h", Short: "30m", BudgetSpent: 0.05, Severity: Page, For: 15 * time.Minute},
	{Long: "1d", Short: "2h", BudgetSpent: 0.10, Severity: Ticket, For: time.Hour},
	{Long: "3d", Short: "6h", BudgetSpent: 0.10, Severity: Ticket, For: 3 * time.Hour},
}

// RecordedWindows are the ranges that the error ratio is recorded over: every range a burn-rate alert uses.
func RecordedWindows() []string {
	seen := map[string]bool{}
	var out []string
	for _, b := range BurnWindows {
		for _, w := range []string{b.Short, b.Long} {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return mustDuration(out[i]) < mustDuration(out[j]) })
	return out
}

func mustDuration(s string) time.Duration {
	d, err := model.ParseDuration(s)
	if err != nil {
		panic(fmt.Sprintf("slo: bad built-in duration %q: %v", s, err))
	}
	return time.Duration(d)
}

// Factor is the burn rate at which this alert fires for an SLO with the given compliance window.
func (b BurnWindow) Factor(window time.Duration) float64 {
	f := b.BudgetSpent * float64(window) / float64(mustDuration(b.Long))
	return math.Round(f*1e6) / 1e6
}

// Threshold is the error ratio at which this alert fires for the SLO: Factor × error budget.
func (b BurnWindow) Threshold(s SLO) float64 {
	return math.Round(b.Factor(s.window())*s.ErrorBudget()*1e9) / 1e9
}

func (s SLO) window() time.Duration {
	if s.Window <= 0 {
		return DefaultWindow
	}
	return s.Window
}

// Labels are the labels that every series and alert of this SLO carries.
func (s SLO) Labels() map[string]string {
	return map[string]string{LabelSLO: s.Name, LabelService: s.Service, LabelKind: string(s.Kind)}
}

// RecordedErrorRatio selects this SLO's recorded error ratio over one of RecordedWindows.
func (s SLO) RecordedErrorRatio(window string) string {
	return fmt.Sprintf(`%s{%s=%q}`, ErrorRatioRecord(window), LabelSLO, s.Name)
}

// BurnRateQuery is how many times faster than sustainable the SLO burns its budget over the range, from the
// recorded error ratio.
func (s SLO) BurnRateQuery(window string) string {
	return fmt.Sprintf(`%s / %s`, s.RecordedErrorRatio(window), formatFloat(s.ErrorBudget()))
}

// BurnAlertExpr is the expression of one burn-rate alert of the SLO.
func (s SLO) BurnAlertExpr(b BurnWindow) string {
	th := formatFloat(b.Threshold(s))
	return fmt.Sprintf(`%s > %s and %s > %s`, s.RecordedErrorRatio(b.Long), th, s.RecordedErrorRatio(b.Short), th)
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// RecordingRules are, per SLO, the error ratio over every recorded range plus the objective and the error
// budget as constant series.
func RecordingRules(slos []SLO) []rulefmt.Rule {
	var rules []rulefmt.Rule
	for _, s := range slos {
		for _, w := range RecordedWindows() {
			rules = append(rules, rulefmt.Rule{Record: ErrorRatioRecord(w), Expr: s.ErrorRatioQuery(w), Labels: s.Labels()})
		}
		rules = append(rules,
			rulefmt.Rule{Record: ObjectiveRecord, Expr: fmt.Sprintf("vector(%s)", formatFloat(s.Objective)), Labels: s.Labels()},
			rulefmt.Rule{Record: ErrorBudgetRecord, Expr: fmt.Sprintf("vector(%s)", formatFloat(s.ErrorBudget())), Labels: s.Labels()},
		)
	}
	return rules
}

// AlertingRules are, per SLO, one alert per BurnWindow.
func AlertingRules(slos []SLO) []rulefmt.Rule {
	var rules []rulefmt.Rule
	for _, s := range slos {
		for _, b := range BurnWindows {
			labels := s.Labels()
			labels["severity"] = string(b.Severity)
			labels["long_window"] = b.Long
			labels["short_window"] = b.Short
			rules = append(rules, rulefmt.Rule{
				Alert:  BurnAlertName,
				Expr:   s.BurnAlertExpr(b),
				For:    model.Duration(b.For),
				Labels: labels,
				Annotations: map[string]string{
					"summary": fmt.Sprintf("SLO %s of %s is burning its error budget %sx faster than sustainable", s.Name, s.Service, formatFloat(b.Factor(s.window()))),
					"description": fmt.Sprintf("The %s error ratio of %s is {{ $value | humanizePercentage }} over the last %s and above %s over the last %s; at this rate %s%% of the %s error budget is gone in %s.",
						s.Kind, s.Service, b.Long, formatFloat(b.Threshold(s)), b.Short, formatFloat(b.BudgetSpent*100), model.Duration(s.window()), b.Long),
				},
			})
		}
	}
	return rules
}

// RuleGroups are the SLO rules as Prometheus rule groups: the recordings first, then the alerts that read them.
func RuleGroups(slos []SLO) rulefmt.RuleGroups {
	return rulefmt.RuleGroups{Groups: []rulefmt.RuleGroup{
		{Name: RecordingGroup, Interval: model.Duration(30 * time.Second), Rules: RecordingRules(slos)},
		{Name: AlertingGroup, Interval: model.Duration(30 * time.Second), Rules: AlertingRules(slos)},
	}}
}

// RulesYAML is the complete rule file (recordings and alerts), as `promtool check rules` and Prometheus'
// rule_files read it.
func RulesYAML(slos []SLO) ([]byte, error) {
	return marshalGroups(RuleGroups(slos))
}

// ServerFiles are the SLO rules as values for the prometheus-community chart's serverFiles: the recordings
// under recording_rules.yml and the alerts under alerting_rules.yml, each a generic YAML document so that Helm
// renders it with toYaml.
func ServerFiles(slos []SLO) (map[string]any, error) {
	groups := RuleGroups(slos)
	out := map[string]any{}
	for key, g := range map[string]rulefmt.RuleGroup{RecordingRulesFile: groups.Groups[0], AlertingRulesFile: groups.Groups[1]} {
		raw, err := marshalGroups(rulefmt.RuleGroups{Groups: []rulefmt.RuleGroup{g}})
		if err != nil {
			return nil, err
		}
		var doc map[string]any
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("slo: re-reading %s: %w", key, err)
		}
		out[key] = doc
	}
	return out, nil
}

func marshalGroups(g rulefmt.RuleGroups) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(g); err != nil {
		return nil, fmt.Errorf("slo: writing rules: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("slo: writing rules: %w", err)
	}
	return buf.Bytes(), nil
}
