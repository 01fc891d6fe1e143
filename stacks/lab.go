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
	return program(ctx, languageHostKeys)
}

// LabWithConfigKeys is Lab for a runtime that gives the program no way to list the stack's config keys, as
// an Automation API inline program: keys lists them (full keys, such as the keys of the map that
// auto.Stack.GetAllConfig returns), so that unknown keys are refused there too.
func LabWithConfigKeys(keys func() ([]string, error)) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		return program(ctx, func() ([]string, bool, error) {
			list, err := keys()
			return list, err == nil, err
		})
	}
}

// program parses the config, refusing unknown keys when keys can list them, and composes the lab.
func program(ctx *pulumi.Context, keys func() ([]string, bool, error)) error {
	src, err := contextSource(ctx, keys)
	if err != nil {
		return err
	}
	cfg, err := ParseConfig(src)
	if err != nil {
		return err
	}
	for _, n := range cfg.Notices {
		_ = ctx.Log.Info("notice: "+n.String(), nil) // preview shows it; the lab does not depend on it
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
	onCluster, err := clusterProvider(ctx, cfg)
	if err != nil {
		return nil, err
	}
	ns, err := components.NewNamespaces(ctx, components.NamespacesName, &components.NamespacesArgs{
		AppNamespace: cfg.Deployment.App.Namespace,
		Labels:       apps.PartOf(),
		Istio:        cfg.Istio,
		Halted:       cfg.Halt,
	}, onCluster)
	if err != nil {
		return nil, err
	}
	// Every part waits for the namespaces and their LimitRanges, which must exist before the first pod.
	l := &lab{ctx: ctx, cfg: cfg, ns: ns, opts: []pulumi.ResourceOption{onCluster, components.After(ns)}}
	chaos, err := l.chaosAndApp()
	if err != nil {
		return nil, err
	}
	// The observability parts come last: nothing above waits for them, and the engine works on what the
	// program has declared while the program goes on, so the longest chain (the shop's overrides, then its
	// release, then the chaos objects) starts first.
	inCluster, err := l.observability()
	if err != nil {
		return nil, err
	}
	inCluster["shop"] = chaos.shopURL
	return l.outputs(chaos, inCluster), nil
}

// clusterProvider is the one explicit Kubernetes provider that every component receives: moving to another
// cluster is a config change.
func clusterProvider(ctx *pulumi.Context, cfg *Config) (pulumi.ResourceOption, error) {
	args := &kubernetes.ProviderArgs{
		// Update ConfigMaps in place instead of replacing them: Grafana and flagd watch theirs through a
		// volume, and a replaced ConfigMap of the same name would vanish for a moment under them.
		EnableConfigMapMutable: pulumi.BoolPtr(true),
	}
	if cfg.Kubeconfig != "" {
		args.Kubeconfig = pulumi.StringPtr(cfg.Kubeconfig)
	}
	if cfg.Context != "" {
		args.Context = pulumi.StringPtr(cfg.Context)
	}
	provider, err := kubernetes.NewProvider(ctx, "cluster", args)
	if err != nil {
		return nil, err
	}
	return pulumi.Providers(provider), nil
}

// lab is the program's state while it declares the parts: the config, the namespaces, and the options
// that every part gets (the cluster's provider, after the namespaces).
type lab struct {
	ctx  *pulumi.Context
	cfg  *Config
	ns   *components.Namespaces
	opts []pulumi.ResourceOption
}

// declared is what the outputs need of the chaos side of the lab.
type declared struct {
	chaosMesh *components.ChaosMesh
	scenarios *components.ChaosScenarios
	// meshFaults are the VirtualServices of mesh faults; nil without Istio.
	meshFaults *components.MeshFaults
	shopURL    pulumi.StringOutput
}

// chaosAndApp declares Istio when on, Chaos Mesh, the app under test, the SLO gate, the chaos objects and
// the mesh faults. Istio's order is base (CRDs) → istiod (injector) → app → VirtualServices, so that the
// app's pods get their sidecars when they are created and destroy removes everything in reverse.
func (l *lab) chaosAndApp() (*declared, error) {
	cfg := l.cfg
	mesh, err := l.istio()
	if err != nil {
		return nil, err
	}
	chaosMesh, err := components.NewChaosMesh(l.ctx, components.ChaosMeshName, &components.ChaosMeshArgs{
		Charts:          cfg.Charts,
		Namespace:       l.ns.Chaos,
		TargetNamespace: l.ns.Shop,
		Runtime:         cfg.ChaosRuntime,
		SocketPath:      cfg.ChaosSocketPath,
	}, l.opts...)
	if err != nil {
		return nil, err
	}
	app, shopURL, err := l.app(mesh)
	if err != nil {
		return nil, err
	}
	chaosDeps := []components.Composite{chaosMesh, app}
	if cfg.SLOGate != SLOGateOff {
		gate, err := l.sloGate()
		if err != nil {
			return nil, err
		}
		chaosDeps = append(chaosDeps, gate)
	}
	// Chaos objects depend on Chaos Mesh (and on the app and the gate they use): they are created after it
	// and, on destroy or when switched off, deleted while its controller still runs to remove their
	// finalizers.
	chaos, err := components.NewChaosScenarios(l.ctx, "scenarios", &components.ChaosScenariosArgs{
		Objects: cfg.Scenarios.ChaosObjects(),
	}, append(l.opts, components.After(chaosDeps...))...)
	if err != nil {
		return nil, err
	}
	d := &declared{chaosMesh: chaosMesh, scenarios: chaos, shopURL: shopURL}
	if mesh != nil {
		// VirtualServices need Istio's CRDs and route to the app's Services.
		d.meshFaults, err = components.NewMeshFaults(l.ctx, "mesh-faults", &components.MeshFaultsArgs{
			Objects: cfg.Scenarios.MeshObjects(),
		}, append(l.opts, components.After(mesh, app))...)
		if err != nil {
			return nil, err
		}
	}
	return d, nil
}

// istio declares Istio when the stack runs it; nil otherwise.
func (l *lab) istio() (*components.Istio, error) {
	if !l.cfg.Istio {
		return nil, nil
	}
	app := l.cfg.Deployment.App
	return components.NewIstio(l.ctx, "istio", &components.IstioArgs{
		Charts:        l.cfg.Charts,
		Namespace:     l.ns.IstioSystem,
		SelectorLabel: app.SelectorLabel,
		Unmeshed:      l.cfg.Deployment.Unmeshed(),
	}, l.opts...)
}

// app declares the app under test that the config names, after istiod when the lab runs Istio, and returns
// it with its entry service's in-cluster URL.
func (l *lab) app(mesh *components.Istio) (components.Composite, pulumi.StringOutput, error) {
	cfg := l.cfg
	opts := l.opts
	if mesh != nil {
		// The injector must answer before the app's first pod is created; destroy removes the app first.
		opts = append(opts, pulumi.DependsOn([]pulumi.Resource{mesh.Istiod}))
	}
	collectorHost := fmt.Sprintf("%s.%s.svc", components.CollectorService, components.ObservabilityNamespace)
	switch cfg.Deployment.App.Name {
	case apps.OnlineBoutique.Name:
		b, err := components.NewOnlineBoutique(l.ctx, "online-boutique", &components.OnlineBoutiqueArgs{
			Charts:        cfg.Charts,
			Namespace:     l.ns.Shop,
			CollectorHost: collectorHost,
			Istio:         cfg.Istio,
		}, opts...)
		if err != nil {
			return nil, pulumi.StringOutput{}, err
		}
		return b, b.ShopURL, nil
	case apps.AstronomyShop.Name:
		shop, err := components.NewOtelDemo(l.ctx, components.OtelDemoName, &components.OtelDemoArgs{
			Charts:               cfg.Charts,
			Namespace:            l.ns.Shop,
			CollectorHost:        collectorHost,
			LoadGeneratorUsers:   cfg.LoadGeneratorUsers,
			LoadGeneratorBrowser: cfg.LoadGeneratorBrowser,
			LLMComponents:        cfg.LLMComponents,
			FlagOverrides:        string(cfg.Scenarios.FlagOverrides),
			Istio:                cfg.Istio,
		}, opts...)
		if err != nil {
			return nil, pulumi.StringOutput{}, err
		}
		return shop, shop.ShopURL, nil
	}
	return nil, pulumi.StringOutput{}, fmt.Errorf("%s:%s: no component deploys %q", ConfigNamespace, KeyApp, cfg.Deployment.App.Name)
}

// sloGate declares the SLO gate, built from this repository or run from its image.
func (l *lab) sloGate() (*components.SLOGate, error) {
	workDir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	return components.NewSLOGate(l.ctx, "slo-gate", &components.SLOGateArgs{
		Namespace:    l.ns.Observability,
		Image:        l.cfg.SLOGateImage,
		Build:        l.cfg.SLOGate == SLOGateBuild,
		DockerHost:   l.cfg.DockerHost,
		Registry:     l.cfg.SLOGateRegistry,
		BuildContext: workDir,
		SLOConfig:    l.cfg.SLOConfig,
	}, l.opts...)
}

// observability declares Jaeger, the collector, Prometheus with the SLO rules, and Grafana with the
// dashboards, and returns their in-cluster addresses.
func (l *lab) observability() (pulumi.StringMap, error) {
	cfg, ns := l.cfg, l.ns.Observability
	jaeger, err := components.NewJaeger(l.ctx, "jaeger", &components.JaegerArgs{Charts: cfg.Charts, Namespace: ns}, l.opts...)
	if err != nil {
		return nil, err
	}
	collector, err := components.NewCollector(l.ctx, components.CollectorName, &components.CollectorArgs{Charts: cfg.Charts, Namespace: ns}, l.opts...)
	if err != nil {
		return nil, err
	}
	ruleFiles, err := slo.ServerFiles(cfg.SLOs)
	if err != nil {
		return nil, err
	}
	prometheus, err := components.NewPrometheus(l.ctx, "prometheus", &components.PrometheusArgs{
		Charts: cfg.Charts, Namespace: ns, RuleFiles: ruleFiles,
	}, l.opts...)
	if err != nil {
		return nil, err
	}
	dashboardFiles, err := dashboardFiles(cfg)
	if err != nil {
		return nil, err
	}
	grafana, err := components.NewGrafana(l.ctx, components.GrafanaName, &components.GrafanaArgs{
		Charts:        cfg.Charts,
		Namespace:     ns,
		AdminPassword: pulumi.ToSecret(pulumi.String(cfg.GrafanaAdminPassword)).(pulumi.StringOutput),
		Dashboards:    dashboardFiles,
	}, l.opts...)
	if err != nil {
		return nil, err
	}
	return pulumi.StringMap{
		"grafana":    grafana.URL,
		"jaeger":     jaeger.QueryURL,
		"prometheus": prometheus.URL,
		"collector":  collector.OTLPEndpoint,
	}, nil
}

// dashboardFiles are the dashboards as Grafana's provisioning reads them, by file name.
func dashboardFiles(cfg *Config) (map[string]string, error) {
	boards, err := dashboards.All(dashboards.Options{
		PrometheusUID: components.PrometheusDatasourceUID,
		JaegerUID:     components.JaegerDatasourceUID,
		App:           cfg.Deployment.App,
		SLOs:          cfg.SLOs,
		Scenarios:     ScenarioRefs(cfg.Scenarios),
		Istio:         cfg.Istio,
	})
	if err != nil {
		return nil, err
	}
	// Compact JSON: the ConfigMap is held three times in the stack's state (inputs, live object, and the
	// provider's copy of the inputs) and travels whole through every preview, and indentation is 40% of it.
	files := map[string]string{}
	for _, b := range boards {
		var compact bytes.Buffer
		if err := json.Compact(&compact, b.JSON); err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", b.UID, err)
		}
		files[b.FileName()] = compact.String()
	}
	return files, nil
}

// outputs are the stack outputs: the UIs on localhost once port-forwarded, the in-cluster addresses, and
// the state of the chaos.
func (l *lab) outputs(chaos *declared, inCluster pulumi.StringMap) pulumi.Map {
	cfg := l.cfg
	outputs := pulumi.Map{
		"shopURL":             pulumi.String(fmt.Sprintf("http://localhost:%d", shopLocalPort)),
		"grafanaURL":          pulumi.String("http://localhost:3000" + components.GrafanaSubPath),
		"jaegerURL":           pulumi.String(fmt.Sprintf("http://localhost:%d%s", components.JaegerUIPort, components.JaegerBasePath)),
		"prometheusURL":       pulumi.String("http://localhost:9090"),
		"chaosDashboardURL":   pulumi.String(fmt.Sprintf("http://localhost:%d", components.ChaosDashboardPort)),
		"portForward":         pulumi.ToStringMap(PortForwards(cfg.Context, cfg.Deployment.App)),
		"chaosDashboardToken": chaos.chaosMesh.DashboardToken,
		"grafanaAdminUser":    pulumi.String("admin"),
		"halted":              pulumi.Bool(cfg.Halt),
		"scenarios":           scenarioNames(chaos),
		"inCluster":           inCluster,
	}
	if cfg.SLOGateURL != "" {
		outputs["sloGateURL"] = pulumi.String(cfg.SLOGateURL)
	}
	return outputs
}

// scenarioNames lists the applied objects, Chaos Mesh's and the mesh faults' VirtualServices, as "Kind/name".
func scenarioNames(d *declared) pulumi.StringArrayOutput {
	if d.meshFaults == nil {
		return d.scenarios.Names
	}
	return pulumi.All(d.scenarios.Names, d.meshFaults.Names).ApplyT(func(all []any) []string {
		names := append(slices.Clone(all[0].([]string)), all[1].([]string)...)
		slices.Sort(names)
		return names
	}).(pulumi.StringArrayOutput)
}

// shopLocalPort is where the app's entry service is port-forwarded on localhost.
const shopLocalPort = 8080

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
		"shop":           line(app.Namespace, app.Entry, shopLocalPort, int(app.EntryPort)),
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
