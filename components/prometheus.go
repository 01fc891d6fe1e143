package components

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Prometheus' addresses and settings.
const (
	// PrometheusRelease is the Helm release; the chart names its objects after it (prometheus-server, ...).
	PrometheusRelease = "prometheus"
	PrometheusService = PrometheusRelease + "-server"
	PrometheusPort    = 80
	// ScrapeInterval is short so that a fault shows within seconds.
	ScrapeInterval = "5s"
	// PrometheusRetention keeps a few hours of data: enough for a game day and its report, small enough
	// for an emptyDir.
	PrometheusRetention = "6h"
	// KubeStateMetricsService is the chart's kube-state-metrics subchart, which Prometheus scrapes through
	// its Service's prometheus.io/scrape annotation.
	KubeStateMetricsService = PrometheusRelease + "-kube-state-metrics"
)

// PrometheusURL is Prometheus' in-cluster address.
var PrometheusURL = "http://" + PrometheusService + "." + ObservabilityNamespace + ".svc:80"

// PrometheusArgs configures Prometheus.
type PrometheusArgs struct {
	Charts    ChartSource
	Namespace pulumi.StringInput
	// RuleFiles are rule files in Prometheus' format (parsed YAML), keyed recording_rules.yml and
	// alerting_rules.yml: the SLO model's recording rules and burn-rate alerts.
	RuleFiles map[string]any
	// CAdvisorMetrics are the cAdvisor series that the lab's queries read; the cAdvisor job keeps only
	// these (none given: all).
	CAdvisorMetrics []string
}

// Prometheus is the Prometheus server with kube-state-metrics. It scrapes, every 5 s, every pod and Service
// annotated prometheus.io/scrape (the collector, Chaos Mesh's controller, kube-state-metrics, Jaeger), the
// kubelets' cAdvisor (the series the dashboards read) and itself.
type Prometheus struct {
	pulumi.ResourceState

	URL pulumi.StringOutput `pulumi:"url"`
}

// PrometheusValues are the chart values.
func PrometheusValues(args *PrometheusArgs) map[string]any {
	serverFiles := map[string]any{}
	for name, content := range args.RuleFiles {
		serverFiles[name] = content
	}

	return map[string]any{
		"server": map[string]any{
			"global": map[string]any{
				"scrape_interval":     ScrapeInterval,
				"scrape_timeout":      "4s",
				"evaluation_interval": ScrapeInterval,
			},
			"retention":     PrometheusRetention,
			"retentionSize": "768MB",
			// No PersistentVolumeClaim: a lab's metrics live as long as the pod, and clusters without a
			// storage provisioner would leave the claim, and Prometheus, pending forever.
			"persistentVolume": map[string]any{"enabled": false},
			"emptyDir":         map[string]any{"sizeLimit": "1Gi"},
			"resources":        prometheusBudget.Resources(),
		},
		"configmapReload": map[string]any{"prometheus": map[string]any{"resources": configReloaderBudget.Resources()}},
		"serverFiles":     serverFiles,
		"scrapeConfigs":   ScrapeConfigs(args.CAdvisorMetrics),
		"kube-state-metrics": map[string]any{
			"enabled":   true,
			"resources": kubeStateBudget.Resources(),
		},
		// Not needed by the lab: alerts are read in Prometheus and Grafana, node metrics come from cAdvisor.
		"alertmanager":             map[string]any{"enabled": false},
		"prometheus-node-exporter": map[string]any{"enabled": false},
		"prometheus-pushgateway":   map[string]any{"enabled": false},
	}
}

// NewPrometheus declares Prometheus.
func NewPrometheus(ctx *pulumi.Context, name string, args *PrometheusArgs, opts ...pulumi.ResourceOption) (*Prometheus, error) {
	p := &Prometheus{}
	if err := ctx.RegisterComponentResource("chaos-mesh-otel:observability:Prometheus", name, p, opts...); err != nil {
		return nil, err
	}
	release, err := newRelease(ctx, name, PrometheusRelease, args.Charts, PrometheusChart, args.Namespace, PrometheusValues(args), childOf(p, opts))
	if err != nil {
		return nil, err
	}
	p.URL = pulumi.Sprintf("http://%s.%s.svc:%d", PrometheusService, release.Namespace.Elem(), PrometheusPort)
	return p, ctx.RegisterResourceOutputs(p, pulumi.Map{"url": p.URL})
}
