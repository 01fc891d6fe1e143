// Package dashboards builds the lab's Grafana dashboards as code with the Grafana Foundation SDK. Every
// dashboard is a pure function of Options with a fixed uid; All returns their JSON, which the program
// provisions into Grafana (one ConfigMap, key <uid>.json) and `chaoslab dashboards export` writes to disk.
package dashboards

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Fixed dashboard uids. Links between dashboards and the README rely on them.
const (
	ShopOverviewUID   = "chaoslab-shop-overview"
	KubernetesUID     = "chaoslab-kubernetes-health"
	ChaosTimelineUID  = "chaoslab-chaos-timeline"
	ScenarioImpactUID = "chaoslab-scenario-impact"
	CollectorUID      = "chaoslab-collector-health"
)

// Defaults of Options.
const (
	DefaultPrometheusUID = "prometheus"
	DefaultJaegerUID     = "jaeger"
	// Tag is on every dashboard, so that Grafana's dashboard list can filter the lab's dashboards.
	Tag = "chaos-lab"
)

// ScenarioRef is what the scenario-impact dashboard needs to know of one enabled scenario, as
// scenarios.Plan.Enabled gives it (stacks.ScenarioRefs).
type ScenarioRef struct {
	Name   string // the scenario's name, for example checkout-pod-kill
	Fault  string // the fault, for example pod-kill, network-delay, cpu-stress, http-replace, flag, gameday
	Target string // the service it targets (the app's selector label), for example checkout; a game day's are comma separated
}

// Options are the inputs of every dashboard. Zero values take the defaults above; App zero means
// apps.AstronomyShop, SLOs nil means slo.Defaults(), Istio false means no mesh panels.
type Options struct {
	PrometheusUID string
	JaegerUID     string
	App           apps.App // the app under test: its namespace and entry service
	SLOs          []slo.SLO
	Scenarios     []ScenarioRef
	// Istio says whether the lab runs Istio with sidecars in the app's namespace: the shop overview then has
	// a row of Istio's request metrics.
	Istio bool
}

func (o Options) withDefaults() Options {
	if o.PrometheusUID == "" {
		o.PrometheusUID = DefaultPrometheusUID
	}
	if o.JaegerUID == "" {
		o.JaegerUID = DefaultJaegerUID
	}
	if o.App.Name == "" {
		o.App = apps.AstronomyShop
	}
	if o.SLOs == nil {
		o.SLOs = slo.Defaults()
	}
	return o
}

// Dashboard is one built dashboard.
type Dashboard struct {
	UID   string
	Title string
	JSON  []byte // the dashboard model, indented, ready for Grafana's file provisioning
}

// FileName is the file or ConfigMap key the dashboard is stored under.
func (d Dashboard) FileName() string { return d.UID + ".json" }

// All builds every dashboard, in a fixed order.
func All(opts Options) ([]Dashboard, error) {
	opts = opts.withDefaults()
	builders := []func(Options) (dashboard.Dashboard, error){
		ShopOverview, KubernetesHealth, ChaosTimeline, ScenarioImpact, CollectorHealth,
	}
	out := make([]Dashboard, 0, len(builders))
	for _, build := range builders {
		d, err := build(opts)
		if err != nil {
			return nil, err
		}
		raw, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("dashboards: encoding %s: %w", *d.Uid, err)
		}
		out = append(out, Dashboard{UID: *d.Uid, Title: *d.Title, JSON: append(raw, '\n')})
	}
	return out, nil
}

// newDashboard starts a dashboard with the settings that every lab dashboard shares: uid, tag, a short time
// range that suits experiments, a fast refresh, shared crosshair, links to the other dashboards and the
// chaos annotations.
func newDashboard(uid, title, description string, opts Options) *dashboard.DashboardBuilder {
	b := dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(description).
		Tags([]string{Tag}).
		Time("now-30m", "now").
		Refresh("10s").
		Timezone("browser").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Readonly().
		Link(dashboard.NewDashboardLinkBuilder("Chaos lab").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{Tag}).
			AsDropdown(true).
			IncludeVars(false).
			KeepTime(true))
	for _, a := range chaosAnnotations(opts) {
		b = b.Annotation(a)
	}
	return b
}

func (o Options) prometheusRef() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr(o.PrometheusUID)}
}

// query is one PromQL target of a panel.
type query struct {
	expr, legend string
}

func q(expr, legend string) query { return query{expr: expr, legend: legend} }

func (o Options) target(refID string, qr query) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().
		Datasource(o.prometheusRef()).
		RefId(refID).
		Expr(qr.expr).
		LegendFormat(qr.legend).
		Range()
}

func refID(i int) string { return string(rune('A' + i)) }

// graph is a time series panel with a unit, a visible legend and one target per query.
func (o Options) graph(title, description, unit string, queries ...query) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(o.prometheusRef()).
		Unit(unit).
		Height(8).
		Span(12).
		FillOpacity(10).
		LineWidth(1).
		ShowPoints(common.VisibilityModeNever).
		SpanNulls(common.BoolOrFloat64{Bool: cog.ToPtr(false)}).
		Legend(common.NewVizLegendOptionsBuilder().
			ShowLegend(true).
			DisplayMode(common.LegendDisplayModeTable).
			Placement(common.LegendPlacementBottom).
			Calcs([]string{"mean", "max", "lastNotNull"})).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderDescending))
	for i, qr := range queries {
		p = p.WithTarget(o.target(refID(i), qr))
	}
	return p
}

// thresholdLine draws the thresholds of a graph as dashed lines, green below the first step.
func thresholdLine(p *timeseries.PanelBuilder, steps ...dashboard.Threshold) *timeseries.PanelBuilder {
	all := append([]dashboard.Threshold{{Color: "green"}}, steps...)
	return p.Thresholds(dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(all)).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed))
}

func step(value float64, color string) dashboard.Threshold {
	return dashboard.Threshold{Value: cog.ToPtr(value), Color: color}
}

// single is a stat panel over one instant query.
func (o Options) single(title, description, unit string, qr query, thresholds []dashboard.Threshold) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(o.prometheusRef()).
		Unit(unit).
		Height(5).
		Span(4).
		GraphMode(common.BigValueGraphModeNone).
		ColorMode(common.BigValueColorModeBackground).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)).
		Thresholds(dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(thresholds)).
		// One value, evaluated at the end of the time range: queries over $__range read the whole range.
		WithTarget(o.target("A", qr).Instant())
}

// regexQuote escapes a literal for a PromQL regex matcher.
func regexQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteString(`\\`)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// podsOf matches the pods of a shop component's Deployment: the opentelemetry-demo chart names the
// Deployment after the component, so its pods are <component>-<replicaset hash>-<pod suffix>. Anchoring the
// two generated parts keeps frontend from matching frontend-proxy's pods.
func podsOf(component string) string {
	return regexQuote(component) + `-[a-z0-9]+-[a-z0-9]{5}`
}

var _ variants.Dataquery = prometheus.Dataquery{}
