package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// Reasons of the Kubernetes events that the chaos-mesh controller-manager emits (and counts in
// chaos_controller_manager_emitted_event_total) when it has applied a fault to a target and when it has
// recovered it.
const (
	ReasonApplied   = "Applied"
	ReasonRecovered = "Recovered"
)

// chaosAnnotations mark, on every dashboard, when chaos was active and when Chaos Mesh injected and
// recovered faults in the shop's namespace. They come from the controller-manager's metrics, so they need
// no plugin and no write access to Grafana:
//   - "Chaos active" is a region while any experiment in the namespace is injecting or running;
//   - "Chaos injected" and "Chaos recovered" are points where the Applied and Recovered event counters grew.
//
// Flag faults are not Chaos Mesh objects and do not show here.
func chaosAnnotations(opts Options) []cog.Builder[dashboard.AnnotationQuery] {
	ns := opts.App.Namespace
	type anno struct {
		name, color, expr, title, text, tags string
	}
	annos := []anno{
		{
			name:  "Chaos active",
			color: "rgba(255, 152, 48, 0.25)",
			expr:  fmt.Sprintf(`sum by (kind) (chaos_controller_manager_chaos_experiments{namespace=%q, phase=~"injecting|running"}) > 0`, ns),
			title: "{{kind}} active",
			text:  "{{kind}} experiments injecting or running in " + ns,
			tags:  "kind",
		},
		{
			name:  "Chaos injected",
			color: "red",
			expr:  fmt.Sprintf(`sum by (reason) (increase(chaos_controller_manager_emitted_event_total{namespace=%q, reason=%q}[1m])) > 0`, ns, ReasonApplied),
			title: "Chaos injected",
			text:  "Chaos Mesh applied a fault in " + ns,
			tags:  "reason",
		},
		{
			name:  "Chaos recovered",
			color: "green",
			expr:  fmt.Sprintf(`sum by (reason) (increase(chaos_controller_manager_emitted_event_total{namespace=%q, reason=%q}[1m])) > 0`, ns, ReasonRecovered),
			title: "Chaos recovered",
			text:  "Chaos Mesh recovered a fault in " + ns,
			tags:  "reason",
		},
	}
	out := []cog.Builder[dashboard.AnnotationQuery]{
		// Grafana's own annotations, so people (and tools) can add notes by hand.
		dashboard.NewAnnotationQueryBuilder().
			Name("Annotations & Alerts").
			Datasource(common.DataSourceRef{Type: cog.ToPtr("grafana"), Uid: cog.ToPtr("-- Grafana --")}).
			Type("dashboard").
			BuiltIn(1).
			Enable(true).
			Hide(true).
			IconColor("rgba(0, 211, 255, 1)"),
	}
	for _, a := range annos {
		out = append(out, dashboard.NewAnnotationQueryBuilder().
			Name(a.name).
			Datasource(opts.prometheusRef()).
			Enable(true).
			IconColor(a.color).
			Expr(a.expr).
			Step("15s").
			TitleFormat(a.title).
			TextFormat(a.text).
			TagKeys(a.tags).
			Target(opts.target("Anno", q(a.expr, a.title))))
	}
	return out
}

// ChaosTimeline shows what Chaos Mesh is doing: experiments by phase and kind, Schedules and Workflows,
// and the events it emits when it injects, recovers, fails or runs status checks.
func ChaosTimeline(opts Options) (dashboard.Dashboard, error) {
	opts = opts.withDefaults()
	ns := fmt.Sprintf("namespace=%q", opts.App.Namespace)
	events := func(extra string) string {
		return fmt.Sprintf(`sum by (reason) (increase(chaos_controller_manager_emitted_event_total{%s, %s}[$__rate_interval]))`, ns, extra)
	}
	b := newDashboard(ChaosTimelineUID, "Chaos lab / Chaos timeline",
		"What Chaos Mesh did and when: experiments by phase, Schedules and Workflows, injection and recovery events.", opts).
		WithRow(dashboard.NewRowBuilder("Experiments")).
		WithPanel(opts.graph("Experiments by phase",
			"Chaos objects in the shop namespace by phase (injecting, running, paused, finished, deleting). A fault is in effect while an experiment is running.",
			"short",
			q(fmt.Sprintf(`sum by (phase) (chaos_controller_manager_chaos_experiments{%s})`, ns), "{{phase}}")).
			Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal))).
		WithPanel(opts.graph("Experiments by kind and phase",
			"The same, split by chaos kind (PodChaos, NetworkChaos, StressChaos, HTTPChaos ...).",
			"short",
			q(fmt.Sprintf(`sum by (kind, phase) (chaos_controller_manager_chaos_experiments{%s})`, ns), "{{kind}} {{phase}}"))).
		WithPanel(opts.graph("Schedules and Workflows",
			"Schedule and Workflow objects in the shop namespace: one per enabled scenario.",
			"short",
			q(fmt.Sprintf(`sum(chaos_controller_manager_chaos_schedules{%s})`, ns), "Schedules"),
			q(fmt.Sprintf(`sum(chaos_controller_manager_chaos_workflows{%s})`, ns), "Workflows"))).
		WithPanel(opts.graph("Experiments in effect",
			"Experiments injecting or running right now, all kinds together; matches the orange annotation regions.",
			"short",
			q(fmt.Sprintf(`sum(chaos_controller_manager_chaos_experiments{%s, phase=~"injecting|running"})`, ns), "in effect"))).
		WithRow(dashboard.NewRowBuilder("Events")).
		WithPanel(opts.graph("Injection and recovery events",
			"Applied and Recovered events that the controller-manager emitted, per interval. Every Applied should be followed by a Recovered when the fault's duration ends.",
			"short",
			q(events(fmt.Sprintf(`reason=~"%s|%s"`, ReasonApplied, ReasonRecovered)), "{{reason}}")).
			DrawStyle(common.GraphDrawStyleBars)).
		WithPanel(opts.graph("Warnings",
			"Warning events (Failed, NotSupported, StatusCheck failures ...): a fault that could not be applied or recovered shows here.",
			"short",
			q(events(`type="Warning"`), "{{reason}}")).
			DrawStyle(common.GraphDrawStyleBars)).
		WithPanel(opts.graph("Schedule and Workflow events",
			"Spawned schedules, workflow progress and status checks. A StatusCheck failure that aborts a workflow (the SLO gate answering 503) shows here.",
			"short",
			q(events(`reason=~"Spawned|MissSchedule|Forbid|EntryCreated|ChaosCRCreated|WorkflowAccomplished|WorkflowAborted|NodeDeadlineExceed|StatusCheck.*"`), "{{reason}}")).
			DrawStyle(common.GraphDrawStyleBars).
			Span(24))
	return b.Build()
}
