// Package stacks composes the lab from its components and owns the typed stack configuration.
package stacks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/dashboards"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// Lab is the whole Pulumi program. main.go runs it, and tests and tools run it inline through the
// Automation API. It validates the whole config first, so that a bad config fails before any resource is
// registered, and so before the cluster is touched. Under the Go language host it also refuses config keys
// of the project that it does not read; an inline program can do so only with LabWithConfigKeys.
func Lab(ctx *pulumi.Context) error {
	return lab(ctx, languageHostKeys)
}

// LabWithConfigKeys is Lab for a runtime that gives the program no way to list the stack's config keys, as
// an Automation API inline program: keys lists them (full keys, such as the keys of the map that
// auto.Stack.GetAllConfig returns), so that unknown keys are refused there too.
func LabWithConfigKeys(keys func() ([]string, error)) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		return lab(ctx, func() ([]string, bool, error) {
			list, err := keys()
			return list, err == nil, err
		})
	}
}

func lab(ctx *pulumi.Context, keys func() ([]string, bool, error)) error {
	src, err := contextSource(ctx, keys)
	if err != nil {
		return err
	}
	cfg, err := ParseConfig(src)
	if err != nil {
		return err
	}
	outputs, err := Compose(ctx, cfg)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(outputs)) {
		ctx.Export(name, outputs[name])
	}
	return nil
}

// Compose declares every part of the lab for a validated config and returns the stack outputs.
func Compose(ctx *pulumi.Context, cfg *Config) (pulumi.Map, error) {
	providerArgs := &kubernetes.ProviderArgs{
		// Update ConfigMaps in place instead of replacing them: Grafana and flagd watch theirs through a
		// volume, and a replaced ConfigMap of the same name would vanish for a moment under them.
		EnableConfigMapMutable: pulumi.BoolPtr(true),
	}
	if cfg.Kubeconfig != "" {
		providerArgs.Kubeconfig = pulumi.StringPtr(cfg.Kubeconfig)
	}
	if cfg.Context != "" {
		providerArgs.Context = pulumi.StringPtr(cfg.Context)
	}
	// One explicit provider that every component receives: moving to another cluster is a config change.
	provider, err := kubernetes.NewProvider(ctx, "cluster", providerArgs)
	if err != nil {
		return nil, err
	}
	onCluster := pulumi.Providers(provider)

	app := cfg.Deployment.App
	ns, err := components.NewNamespaces(ctx, "namespaces", &components.NamespacesArgs{
		AppNamespace: app.Namespace,
		Labels:       apps.PartOf(),
	}, onCluster)
	if err != nil {
		return nil, err
	}
	// Every part waits for the namespaces and their LimitRanges, which must exist before the first pod.
	afterNamespaces := pulumi.DependsOn([]pulumi.Resource{ns})

	chaosMesh, err := components.NewChaosMesh(ctx, "chaos-mesh", &components.ChaosMeshArgs{
		Charts:          cfg.Charts,
		Namespace:       ns.Chaos,
		TargetNamespace: ns.Shop,
		Runtime:         cfg.ChaosRuntime,
		SocketPath:      cfg.ChaosSocketPath,
	}, onCluster, afterNamespaces)
	if err != nil {
		return nil, err
	}

	shop, err := components.NewOtelDemo(ctx, "shop", &components.OtelDemoArgs{
		Charts:               cfg.Charts,
		Namespace:            ns.Shop,
		CollectorHost:        fmt.Sprintf("%s.%s.svc", components.CollectorService, components.ObservabilityNamespace),
		LoadGeneratorUsers:   cfg.LoadGeneratorUsers,
		LoadGeneratorBrowser: cfg.LoadGeneratorBrowser,
		LLMComponents:        cfg.LLMComponents,
		FlagOverrides:        string(cfg.Scenarios.FlagOverrides),
	}, onCluster, afterNamespaces)
	if err != nil {
		return nil, err
	}

	chaosDeps := []pulumi.Resource{chaosMesh, shop}
	if cfg.SLOGate != SLOGateOff {
		workDir, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		rawSLOs, _ := ctx.GetConfig(ConfigNamespace + ":" + KeySLOs)
		gate, err := components.NewSLOGate(ctx, "slo-gate", &components.SLOGateArgs{
			Namespace:    ns.Observability,
			Image:        cfg.SLOGateImage,
			Build:        cfg.SLOGate == SLOGateBuild,
			DockerHost:   cfg.DockerHost,
			Registry:     cfg.SLOGateRegistry,
			BuildContext: workDir,
			SLOConfig:    rawSLOs,
		}, onCluster, afterNamespaces)
		if err != nil {
			return nil, err
		}
		chaosDeps = append(chaosDeps, gate)
	}

	// Chaos objects depend on Chaos Mesh (and on the shop they target): they are created after it and, on
	// destroy or when switched off, deleted while its controller still runs to remove their finalizers.
	chaos, err := components.NewChaosScenarios(ctx, "scenarios", &components.ChaosScenariosArgs{
		Objects: cfg.Scenarios.Objects,
	}, onCluster, pulumi.DependsOn(chaosDeps))
	if err != nil {
		return nil, err
	}

	// The observability parts come last: nothing above waits for them, and the engine works on what the
	// program has declared while the program goes on, so the longest chain (the shop's overrides, then its
	// release, then the chaos objects) starts first.
	jaeger, err := components.NewJaeger(ctx, "jaeger", &components.JaegerArgs{
		Charts: cfg.Charts, Namespace: ns.Observability,
	}, onCluster, afterNamespaces)
	if err != nil {
		return nil, err
	}
	collector, err := components.NewCollector(ctx, "collector", &components.CollectorArgs{
		Charts: cfg.Charts, Namespace: ns.Observability,
	}, onCluster, afterNamespaces)
	if err != nil {
		return nil, err
	}
	ruleFiles, err := slo.ServerFiles(cfg.SLOs)
	if err != nil {
		return nil, err
	}
	prometheus, err := components.NewPrometheus(ctx, "prometheus", &components.PrometheusArgs{
		Charts: cfg.Charts, Namespace: ns.Observability, RuleFiles: ruleFiles,
	}, onCluster, afterNamespaces)
	if err != nil {
		return nil, err
	}

	boards, err := dashboards.All(dashboards.Options{
		PrometheusUID: components.PrometheusDatasourceUID,
		JaegerUID:     components.JaegerDatasourceUID,
		App:           app,
		SLOs:          cfg.SLOs,
		Scenarios:     ScenarioRefs(cfg.Scenarios),
	})
	if err != nil {
		return nil, err
	}
	// Compact JSON: the ConfigMap is held three times in the stack's state (inputs, live object, and the
	// provider's copy of the inputs) and travels whole through every preview, and indentation is 40% of it.
	dashboardFiles := map[string]string{}
	for _, b := range boards {
		var compact bytes.Buffer
		if err := json.Compact(&compact, b.JSON); err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", b.UID, err)
		}
		dashboardFiles[b.FileName()] = compact.String()
	}
	grafana, err := components.NewGrafana(ctx, "grafana", &components.GrafanaArgs{
		Charts:        cfg.Charts,
		Namespace:     ns.Observability,
		AdminPassword: pulumi.ToSecret(pulumi.String(cfg.GrafanaAdminPassword)).(pulumi.StringOutput),
		Dashboards:    dashboardFiles,
	}, onCluster, afterNamespaces)
	if err != nil {
		return nil, err
	}

	outputs := pulumi.Map{
		"shopURL":             pulumi.String("http://localhost:8080"),
		"grafanaURL":          pulumi.String("http://localhost:3000" + components.GrafanaSubPath),
		"jaegerURL":           pulumi.String(fmt.Sprintf("http://localhost:%d%s", components.JaegerUIPort, components.JaegerBasePath)),
		"prometheusURL":       pulumi.String("http://localhost:9090"),
		"chaosDashboardURL":   pulumi.String(fmt.Sprintf("http://localhost:%d", components.ChaosDashboardPort)),
		"portForward":         pulumi.ToStringMap(PortForwards(cfg.Context, app)),
		"chaosDashboardToken": chaosMesh.DashboardToken,
		"grafanaAdminUser":    pulumi.String("admin"),
		"halted":              pulumi.Bool(cfg.Halt),
		"scenarios":           chaos.Names,
		"inCluster": pulumi.StringMap{
			"shop":       shop.ShopURL,
			"grafana":    grafana.URL,
			"jaeger":     jaeger.QueryURL,
			"prometheus": prometheus.URL,
			"collector":  collector.OTLPEndpoint,
		},
	}
	if cfg.SLOGateURL != "" {
		outputs["sloGateURL"] = pulumi.String(cfg.SLOGateURL)
	}
	return outputs, nil
}

// PortForwards are ready-to-paste commands that make each UI reachable on localhost, at the URLs exported.
func PortForwards(kubeContext string, app apps.App) map[string]string {
	ctxFlag := ""
	if kubeContext != "" {
		ctxFlag = " --context " + kubeContext
	}
	line := func(namespace, service string, local, remote int) string {
		return fmt.Sprintf("kubectl%s -n %s port-forward svc/%s %d:%d", ctxFlag, namespace, service, local, remote)
	}
	return map[string]string{
		"shop":           line(app.Namespace, app.Entry, 8080, int(app.EntryPort)),
		"grafana":        line(components.ObservabilityNamespace, components.GrafanaService, 3000, components.GrafanaPort),
		"jaeger":         line(components.ObservabilityNamespace, components.JaegerService, components.JaegerUIPort, components.JaegerUIPort),
		"prometheus":     line(components.ObservabilityNamespace, components.PrometheusService, 9090, components.PrometheusPort),
		"chaosDashboard": line(components.ChaosNamespace, components.ChaosDashboardService, components.ChaosDashboardPort, components.ChaosDashboardPort),
	}
}

// ScenarioRefs lists the enabled scenarios for the scenario-impact dashboard.
func ScenarioRefs(plan *scenarios.Plan) []dashboards.ScenarioRef {
	var refs []dashboards.ScenarioRef
	if plan == nil {
		return refs
	}
	for _, s := range plan.Enabled {
		refs = append(refs, dashboards.ScenarioRef{Name: s.Name, Fault: s.Fault, Target: s.Target})
	}
	return refs
}
