package dashboards

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// ScenarioImpact has one row per enabled scenario: the target's request rate, errors and latency (with
// the edge service's for comparison, and the SLO thresholds where the target has SLOs) and the health of
// the target's pods. The chaos annotations mark the fault windows.
func ScenarioImpact(opts Options) (dashboard.Dashboard, error) {
	opts = opts.withDefaults()
	b := newDashboard(ScenarioImpactUID, "Chaos lab / Scenario impact",
		"One row per enabled chaos scenario: what its fault does to the target service and to the shop's edge, and how the target's pods fare.", opts)
	scenarios := append([]ScenarioRef(nil), opts.Scenarios...)
	sort.SliceStable(scenarios, func(i, j int) bool { return scenarios[i].Name < scenarios[j].Name })
	if len(scenarios) == 0 {
		return b.WithRow(dashboard.NewRowBuilder("No scenario is enabled: set chaos-mesh-otel:scenarios and run pulumi up")).
			WithPanel(opts.single("Experiments in effect",
				"Chaos experiments injecting or running in the shop namespace.",
				"short",
				q(fmt.Sprintf(`sum(chaos_controller_manager_chaos_experiments{namespace=%q, phase=~"injecting|running"}) or vector(0)`, opts.App.Namespace), "in effect"),
				[]dashboard.Threshold{{Color: "green"}, step(1, "orange")})).
			Build()
	}
	for _, sc := range scenarios {
		if sc.Name == "" || len(targetsOf(sc)) == 0 {
			return dashboard.Dashboard{}, fmt.Errorf("dashboards: scenario %+v needs a name and a target", sc)
		}
		b = scenarioRow(b, opts, sc)
	}
	return b.Build()
}

// targetsOf splits a scenario's target: a game day names the targets of its steps, comma separated.
func targetsOf(sc ScenarioRef) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range strings.Split(sc.Target, ",") {
		t = strings.TrimSpace(t)
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func scenarioRow(b *dashboard.DashboardBuilder, opts Options, sc ScenarioRef) *dashboard.DashboardBuilder {
	ns := opts.App.Namespace
	targets := targetsOf(sc)
	label := strings.Join(targets, ", ")
	// The app's entry service sits next to the target, because a fault deep in the app matters when it
	// reaches the user.
	services := append([]string(nil), targets...)
	if !slices.Contains(services, opts.App.Entry) {
		services = append(services, opts.App.Entry)
	}
	var rate, errs, p95 []query
	for _, svc := range services {
		sel := slo.ServerSpans(svc)
		rate = append(rate, q(rateQuery(sel, "service_name"), "{{service_name}}"))
		errs = append(errs, q(errorRatioQuery(sel, "service_name"), "{{service_name}}"))
		p95 = append(p95, q(slo.QuantileQuery(0.95, sel, "service_name", "$__rate_interval"), "{{service_name}} p95"))
	}
	errPanel := opts.graph(label+": error ratio",
		fmt.Sprintf("Share of server spans in error, for %s and the shop's edge. Dashed: the target's availability SLO error budget, where it has one.", label),
		"percentunit", errs...).Span(8).Min(0)
	latPanel := opts.graph(label+": p95 latency",
		fmt.Sprintf("95th percentile server-span duration of %s and the shop's edge. Dashed: the target's latency SLO threshold, where it has one.", label),
		"ms", p95...).Span(8)
	if len(targets) == 1 {
		if s, ok := sloFor(opts.SLOs, targets[0], slo.Availability); ok {
			errPanel = thresholdLine(errPanel, step(s.ErrorBudget(), "red"))
		}
		if s, ok := sloFor(opts.SLOs, targets[0], slo.Latency); ok {
			latPanel = thresholdLine(latPanel, step(s.ThresholdMs, "red"))
		}
	}
	var podRes, deployRes []string
	for _, t := range targets {
		podRes = append(podRes, podsOf(t))
		deployRes = append(deployRes, regexQuote(t))
	}
	pods := strings.Join(podRes, "|")
	deployments := fmt.Sprintf(`deployment=~"%s"`, strings.Join(deployRes, "|"))
	fault := sc.Fault
	if fault == "" {
		fault = "fault"
	}
	return b.WithRow(dashboard.NewRowBuilder(fmt.Sprintf("%s: %s on %s", sc.Name, fault, label))).
		WithPanel(opts.graph(label+": request rate",
			fmt.Sprintf("Server spans per second of %s and the shop's edge. A drop means requests fail before they are traced or are not sent at all.", label),
			"reqps", rate...).Span(8)).
		WithPanel(errPanel).
		WithPanel(latPanel).
		WithPanel(opts.graph(label+": ready replicas",
			fmt.Sprintf("Ready and desired replicas of the %s Deployment(s).", label),
			"short",
			q(fmt.Sprintf(`sum by (deployment) (kube_deployment_status_replicas_ready{namespace=%q, %s})`, ns, deployments), "{{deployment}} ready"),
			q(fmt.Sprintf(`sum by (deployment) (kube_deployment_spec_replicas{namespace=%q, %s})`, ns, deployments), "{{deployment}} desired")).
			Span(8).
			OverrideByRegexp(".* desired", limitOverride())).
		WithPanel(opts.graph(label+": pod problems",
			fmt.Sprintf("Pods of %s that are not ready, and container restarts over 5 minutes.", label),
			"short",
			q(notReadyQuery(ns, pods), "not ready {{pod}}"),
			q(restartsQuery(ns, pods), "restarts {{pod}}")).
			Span(8)).
		WithPanel(opts.graph(label+": CPU and memory / limit",
			fmt.Sprintf("CPU and working-set memory of the %s pods as a share of their limits; throttling as the share of throttled CFS periods.", label),
			"percentunit",
			q(fmt.Sprintf(`%s / %s`, cpuUsageQuery(ns, pods), limitQuery(ns, pods, "cpu", "core")), "cpu {{pod}}"),
			q(fmt.Sprintf(`%s / %s`, memoryQuery(ns, pods), limitQuery(ns, pods, "memory", "byte")), "memory {{pod}}"),
			q(throttlingQuery(ns, pods), "throttled {{pod}}")).
			Span(8))
}

func sloFor(slos []slo.SLO, service string, kind slo.Kind) (slo.SLO, bool) {
	for _, s := range slos {
		if s.Service == service && s.Kind == kind {
			return s, true
		}
	}
	return slo.SLO{}, false
}
