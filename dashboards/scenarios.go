package dashboards

import (
	"fmt"
	"sort"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// EdgeService is the shop's entry point; every scenario row shows it next to the target, because a fault
// deep in the shop matters when it reaches the user.
const EdgeService = "frontend-proxy"

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
				q(fmt.Sprintf(`sum(chaos_controller_manager_chaos_experiments{namespace=%q, phase=~"injecting|running"}) or vector(0)`, opts.ShopNamespace), "in effect"),
				[]dashboard.Threshold{{Color: "green"}, step(1, "orange")})).
			Build()
	}
	for _, sc := range scenarios {
		if sc.Name == "" || sc.Target == "" {
			return dashboard.Dashboard{}, fmt.Errorf("dashboards: scenario %+v needs a name and a target", sc)
		}
		b = scenarioRow(b, opts, sc)
	}
	return b.Build()
}

func scenarioRow(b *dashboard.DashboardBuilder, opts Options, sc ScenarioRef) *dashboard.DashboardBuilder {
	ns := opts.ShopNamespace
	services := []string{sc.Target}
	if sc.Target != EdgeService {
		services = append(services, EdgeService)
	}
	var rate, errs, p95 []query
	for _, svc := range services {
		sel := fmt.Sprintf(`service_name=%q, span_kind="%s"`, svc, slo.ServerSpanKind)
		rate = append(rate, q(rateQuery(sel, "service_name"), "{{service_name}}"))
		errs = append(errs, q(errorRatioQuery(sel, "service_name"), "{{service_name}}"))
		p95 = append(p95, q(quantileQuery(0.95, sel, "service_name", "$__rate_interval"), "{{service_name}} p95"))
	}
	errPanel := opts.graph(sc.Target+": error ratio",
		fmt.Sprintf("Share of server spans in error, for %s and the shop's edge. Dashed: the availability SLO's error budget.", sc.Target),
		"percentunit", errs...).Span(8).Min(0)
	latPanel := opts.graph(sc.Target+": p95 latency",
		fmt.Sprintf("95th percentile server-span duration of %s and the shop's edge. Dashed: the latency SLO's threshold.", sc.Target),
		"ms", p95...).Span(8)
	if s, ok := sloFor(opts.SLOs, sc.Target, slo.Availability); ok {
		errPanel = thresholdLine(errPanel, step(s.ErrorBudget(), "red"))
	}
	if s, ok := sloFor(opts.SLOs, sc.Target, slo.Latency); ok {
		latPanel = thresholdLine(latPanel, step(s.ThresholdMs, "red"))
	}
	pods := podsOf(sc.Target)
	fault := sc.Fault
	if fault == "" {
		fault = "fault"
	}
	return b.WithRow(dashboard.NewRowBuilder(fmt.Sprintf("%s: %s on %s", sc.Name, fault, sc.Target))).
		WithPanel(opts.graph(sc.Target+": request rate",
			fmt.Sprintf("Server spans per second of %s and the shop's edge. A drop means requests fail before they are traced or are not sent at all.", sc.Target),
			"reqps", rate...).Span(8)).
		WithPanel(errPanel).
		WithPanel(latPanel).
		WithPanel(opts.graph(sc.Target+": ready replicas",
			fmt.Sprintf("Ready and desired replicas of the %s Deployment.", sc.Target),
			"short",
			q(readyReplicasQuery(ns, sc.Target), "ready"),
			q(desiredReplicasQuery(ns, sc.Target), "desired")).
			Span(8).
			OverrideByName("desired", limitOverride())).
		WithPanel(opts.graph(sc.Target+": pod problems",
			fmt.Sprintf("Pods of %s that are not ready, and container restarts over 5 minutes.", sc.Target),
			"short",
			q(notReadyQuery(ns, pods), "not ready {{pod}}"),
			q(restartsQuery(ns, pods), "restarts {{pod}}")).
			Span(8)).
		WithPanel(opts.graph(sc.Target+": CPU and memory / limit",
			fmt.Sprintf("CPU and working-set memory of the %s pods as a share of their limits; throttling as the share of throttled CFS periods.", sc.Target),
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
