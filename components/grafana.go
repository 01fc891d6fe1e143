package components

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Grafana's addresses and the fixed uids that dashboards refer to.
const (
	GrafanaService          = "grafana"
	GrafanaPort             = 80
	PrometheusDatasourceUID = "prometheus"
	JaegerDatasourceUID     = "jaeger"
	// GrafanaDashboardsConfigMap holds every dashboard, one `<uid>.json` key each.
	GrafanaDashboardsConfigMap = "chaos-lab-dashboards"
	grafanaAdminSecret         = "grafana-admin"
	grafanaDashboardsDir       = "/var/lib/grafana/dashboards/chaos-lab"
	// GrafanaSubPath matches the demo's frontend-proxy, which serves Grafana under /grafana.
	GrafanaSubPath = "/grafana"
)

// GrafanaArgs configures Grafana.
type GrafanaArgs struct {
	Charts    ChartSource
	Namespace pulumi.StringInput
	// AdminPassword is the admin's password, from a Pulumi secret.
	AdminPassword pulumi.StringInput
	// Dashboards maps file names (<uid>.json) to dashboard JSON.
	Dashboards map[string]string
}

// Grafana is Grafana with Prometheus and Jaeger as datasources and the lab's dashboards, all as code.
type Grafana struct {
	pulumi.ResourceState

	URL                 pulumi.StringOutput `pulumi:"url"`
	DashboardsConfigMap pulumi.StringOutput `pulumi:"dashboardsConfigMap"`
}

// GrafanaValues are the chart values. The admin password is not among them: it is read from a Secret, so
// that it never sits in the release's values.
func GrafanaValues() map[string]any {
	return map[string]any{
		"fullnameOverride": GrafanaService,
		"admin": map[string]any{
			"existingSecret": grafanaAdminSecret,
			"userKey":        "admin-user",
			"passwordKey":    "admin-password",
		},
		"testFramework": map[string]any{"enabled": false},
		"persistence":   map[string]any{"enabled": false},
		"resources":     grafanaBudget.Resources(),
		"grafana.ini": map[string]any{
			"server": map[string]any{
				"root_url":            "%(protocol)s://%(domain)s:%(http_port)s" + GrafanaSubPath,
				"serve_from_sub_path": true,
			},
			"analytics": map[string]any{"check_for_updates": false, "reporting_enabled": false},
		},
		"datasources": map[string]any{"datasources.yaml": map[string]any{
			"apiVersion": 1,
			"datasources": []any{
				map[string]any{
					"name": "Prometheus", "type": "prometheus", "uid": PrometheusDatasourceUID,
					"url": PrometheusURL, "access": "proxy", "isDefault": true,
					"jsonData": map[string]any{"timeInterval": ScrapeInterval},
				},
				map[string]any{
					"name": "Jaeger", "type": "jaeger", "uid": JaegerDatasourceUID,
					"url":    fmt.Sprintf("http://%s.%s.svc:%d%s", JaegerService, ObservabilityNamespace, JaegerUIPort, JaegerBasePath),
					"access": "proxy",
				},
			},
		}},
		"dashboardProviders": map[string]any{"dashboardproviders.yaml": map[string]any{
			"apiVersion": 1,
			"providers": []any{map[string]any{
				"name": "chaos-lab", "orgId": 1, "folder": "Chaos Lab", "type": "file",
				"disableDeletion": true, "editable": false, "updateIntervalSeconds": 10,
				"options": map[string]any{"path": grafanaDashboardsDir},
			}},
		}},
		// The ConfigMap is mounted as the provider's folder: changing a dashboard updates the ConfigMap,
		// which the kubelet syncs and Grafana re-reads, with no restart and no release upgrade.
		"dashboardsConfigMaps": map[string]any{"chaos-lab": GrafanaDashboardsConfigMap},
	}
}

// NewGrafana declares Grafana.
func NewGrafana(ctx *pulumi.Context, name string, args *GrafanaArgs, opts ...pulumi.ResourceOption) (*Grafana, error) {
	g := &Grafana{}
	if err := ctx.RegisterComponentResource("chaos-mesh-otel:observability:Grafana", name, g, opts...); err != nil {
		return nil, err
	}
	admin, err := corev1.NewSecret(ctx, childName(name, "admin"), &corev1.SecretArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(grafanaAdminSecret), Namespace: args.Namespace},
		StringData: pulumi.StringMap{
			"admin-user":     pulumi.String("admin"),
			"admin-password": pulumi.ToSecret(args.AdminPassword).(pulumi.StringOutput),
		},
	}, childOf(g, opts), formerName(name, GrafanaName, childName(name, "admin"), grafanaAdminSecret))
	if err != nil {
		return nil, err
	}
	dashboardsName := childName(name, "dashboards")
	dashboards, err := corev1.NewConfigMap(ctx, dashboardsName, &corev1.ConfigMapArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(GrafanaDashboardsConfigMap), Namespace: args.Namespace},
		Data:     pulumi.ToStringMap(args.Dashboards),
	}, childOf(g, opts), formerName(name, GrafanaName, dashboardsName, GrafanaDashboardsConfigMap))
	if err != nil {
		return nil, err
	}
	release, err := newRelease(ctx, name, GrafanaService, args.Charts, GrafanaChart, args.Namespace, GrafanaValues(),
		childOf(g, opts), pulumi.DependsOn([]pulumi.Resource{admin, dashboards}))
	if err != nil {
		return nil, err
	}
	g.URL = pulumi.Sprintf("http://%s.%s.svc:%d%s", GrafanaService, release.Namespace.Elem(), GrafanaPort, GrafanaSubPath)
	g.DashboardsConfigMap = dashboards.Metadata.Name().Elem()
	return g, ctx.RegisterResourceOutputs(g, pulumi.Map{"url": g.URL, "dashboardsConfigMap": g.DashboardsConfigMap})
}
