package components

import (
	"encoding/json"
	"fmt"
	"strconv"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// The flag overrides' ConfigMap.
const (
	// FlagOverridesConfigMap holds the feature flags that flag scenarios switch. flagd reads it as a second
	// source after the demo's own flags, and a flag defined there wins. It is mounted as a directory, not a
	// file, so that the kubelet's updates reach flagd, which watches it: flipping a flag needs no restart.
	FlagOverridesConfigMap = "chaos-flag-overrides"
	// OtelDemoRelease is the Helm release; the chart names the shop's objects after their component, not it.
	OtelDemoRelease  = "otel-demo"
	FlagOverridesKey = "flags.json"
	flagOverridesDir = "/etc/flagd-chaos"
	// EmptyFlagOverrides is a valid flagd document that overrides nothing.
	EmptyFlagOverrides = `{"flags":{}}`
	// LoadGeneratorVUsFlag is the flag that the demo's load generator runs its virtual users from: its
	// entrypoint (demo 3.0.0, src/load-generator/entrypoint.sh) reads it from flagd before starting k6 and
	// every 10 s after, restarting k6 when it changes; LOAD_GENERATOR_VUS is only the fallback when flagd
	// does not answer. The demo's flag file sets it to 5, so loadGeneratorUsers must be written here to act.
	LoadGeneratorVUsFlag = "loadGeneratorVUs"
)

// LoadGeneratorMaxUsers is the most virtual users that the load generator's budget holds. k6 needs about
// 3 MB per virtual user for a small script (a k6 maintainer's figure, grafana/k6#1543); the demo's own chart
// gives the load generator 512 Mi for its largest flag variant, 50 users (opentelemetry-demo 0.41.0
// values.yaml and demo.flagd.json). The lab keeps that pair: more users need a larger budget first.
const LoadGeneratorMaxUsers = 50

// OtelDemoArgs configures the OpenTelemetry Demo.
type OtelDemoArgs struct {
	Charts    ChartSource
	Namespace pulumi.StringInput
	// CollectorHost is the collector's in-cluster host name that every service exports OTLP to.
	CollectorHost string
	// LoadGeneratorUsers is the load generator's number of virtual users.
	LoadGeneratorUsers int
	// LoadGeneratorBrowser turns on k6's browser scenarios; they cost memory and are off by default.
	LoadGeneratorBrowser bool
	// LLMComponents turns on the services that need an external LLM (agent, chatbot, mcp).
	LLMComponents bool
	// FlagOverrides is the flagd document of flags that scenarios switch; empty means none.
	FlagOverrides string
	// Istio says whether the namespace gets Istio sidecars; see newAppRelease for why it matters here.
	Istio bool
}

// OtelDemo is the OpenTelemetry Demo "Astronomy Shop" with its load generator, wired to the lab's own
// collector instead of the demo's bundled backends.
type OtelDemo struct {
	pulumi.ResourceState
	Parts

	ShopURL pulumi.StringOutput `pulumi:"shopURL"`
}

// OtelDemoValues are the chart values.
func OtelDemoValues(args *OtelDemoArgs) map[string]any {
	env := func(pairs ...string) []any {
		out := []any{}
		for i := 0; i+1 < len(pairs); i += 2 {
			out = append(out, map[string]any{"name": pairs[i], "value": pairs[i+1]})
		}
		return out
	}
	shop := ShopDeployment(args.LLMComponents)
	components := map[string]any{}
	for _, svc := range shop.App.Services {
		switch {
		case svc.Dropped != "":
			components[svc.Name] = map[string]any{"enabled": false}
		case svc.Group != "":
			components[svc.Name] = map[string]any{"enabled": shop.Has(svc.Name), "resources": shopBudgets[svc.Name].Resources()}
		default:
			components[svc.Name] = map[string]any{"resources": shopBudgets[svc.Name].Resources()}
		}
	}
	nameServicePorts(shop, components)
	components["load-generator"].(map[string]any)["envOverrides"] = env(
		"LOAD_GENERATOR_VUS", fmt.Sprint(args.LoadGeneratorUsers),
		"K6_BROWSER_ENABLED", fmt.Sprint(args.LoadGeneratorBrowser),
	)
	// The proxy serves Grafana and Jaeger under /grafana and /jaeger/ui; point it at the lab's own.
	components[shop.App.Entry].(map[string]any)["envOverrides"] = env(
		"GRAFANA_HOST", fmt.Sprintf("%s.%s.svc", GrafanaService, ObservabilityNamespace),
		"GRAFANA_PORT", fmt.Sprint(GrafanaPort),
		"JAEGER_HOST", fmt.Sprintf("%s.%s.svc", JaegerService, ObservabilityNamespace),
		"JAEGER_UI_PORT", fmt.Sprint(JaegerUIPort),
	)
	flagd := components["flagd"].(map[string]any)
	flagd["command"] = []any{
		"/flagd-build", "start", "--port", "8013", "--ofrep-port", "8016",
		"--uri", "file:./etc/flagd/demo.flagd.json",
		"--uri", "file:" + flagOverridesDir + "/" + FlagOverridesKey,
	}
	flagd["mountedConfigMaps"] = []any{map[string]any{
		"name": "chaos-flags", "mountPath": flagOverridesDir, "existingConfigMap": FlagOverridesConfigMap,
	}}

	disabled := map[string]any{"enabled": false}
	return map[string]any{
		"default": map[string]any{
			"envOverrides": env("OTEL_COLLECTOR_NAME", args.CollectorHost),
		},
		"components": components,
		// The lab deploys its own collector, Prometheus, Grafana and Jaeger; OpenSearch is not needed.
		"opentelemetry-collector": disabled,
		"otel-ebpf-profiler":      disabled,
		"jaeger":                  disabled,
		"prometheus":              disabled,
		"grafana":                 disabled,
		"opensearch":              disabled,
	}
}

// nameServicePorts gives each HTTP or gRPC service's Service port its catalog name (grpc, http). The chart
// names every component's main port tcp-service, which Istio reads as plain TCP, so that no mesh fault
// (VirtualService) would ever apply to it. A component's ports list replaces the chart's, and service.port 0
// drops the tcp-service port, so the list restates every catalog port of the service (ad keeps its
// prometheus port). flagd is left as the chart names it (rpc, ofrep, and its UI sidecar's port, which the
// chart adds itself): the catalog keeps those names, so flagd has no mesh port and takes no mesh fault.
func nameServicePorts(shop apps.Deployment, components map[string]any) {
	for _, svc := range shop.Services() {
		if len(svc.MeshPorts()) == 0 {
			continue
		}
		var ports []any
		for _, p := range svc.Ports {
			ports = append(ports, map[string]any{"name": p.Name, "value": p.Number})
		}
		settings := components[svc.Name].(map[string]any)
		settings["service"] = map[string]any{"port": 0}
		settings["ports"] = ports
	}
}

// NewOtelDemo declares the shop.
func NewOtelDemo(ctx *pulumi.Context, name string, args *OtelDemoArgs, opts ...pulumi.ResourceOption) (*OtelDemo, error) {
	d := &OtelDemo{}
	if err := ctx.RegisterComponentResource("chaos-mesh-otel:shop:OtelDemo", name, d, opts...); err != nil {
		return nil, err
	}
	overrides, err := WithLoadGeneratorUsers(args.FlagOverrides, args.LoadGeneratorUsers)
	if err != nil {
		return nil, err
	}
	flagsName := childName(name, "flag-overrides")
	flags, err := corev1.NewConfigMap(ctx, flagsName, &corev1.ConfigMapArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(FlagOverridesConfigMap), Namespace: args.Namespace},
		Data:     pulumi.StringMap{FlagOverridesKey: pulumi.String(overrides)},
	}, childOf(d, opts), formerName(name, OtelDemoName, flagsName, FlagOverridesConfigMap))
	if err != nil {
		return nil, err
	}
	release, err := newAppRelease(ctx, releaseSpec{
		name: name, releaseName: OtelDemoRelease, src: args.Charts, chart: OtelDemoChart,
		namespace: args.Namespace, values: OtelDemoValues(args),
	}, args.Istio, childOf(d, opts), pulumi.DependsOn([]pulumi.Resource{flags}),
		formerName(name, OtelDemoName, name, OtelDemoRelease))
	if err != nil {
		return nil, err
	}
	d.own(flags, release)
	d.ShopURL = pulumi.Sprintf("http://%s.%s.svc:%d", apps.AstronomyShop.Entry, release.Namespace.Elem(), apps.AstronomyShop.EntryPort)
	return d, ctx.RegisterResourceOutputs(d, pulumi.Map{"shopURL": d.ShopURL})
}

// WithLoadGeneratorUsers adds the load generator's users to the flag overrides (empty: none), as the default
// variant of LoadGeneratorVUsFlag with the demo's variants and one named after the number. A scenario that
// switches the flag itself wins; halting drops the scenarios' flags, and the users stay.
func WithLoadGeneratorUsers(overrides string, users int) (string, error) {
	if overrides == "" {
		overrides = EmptyFlagOverrides
	}
	var doc struct {
		Flags map[string]json.RawMessage `json:"flags"`
	}
	if err := json.Unmarshal([]byte(overrides), &doc); err != nil {
		return "", fmt.Errorf("flag overrides: %w", err)
	}
	if doc.Flags == nil {
		doc.Flags = map[string]json.RawMessage{}
	}
	if _, set := doc.Flags[LoadGeneratorVUsFlag]; !set {
		f, ok := apps.AstronomyShop.Flag(LoadGeneratorVUsFlag)
		if !ok {
			return "", fmt.Errorf("the shop has no flag %s", LoadGeneratorVUsFlag)
		}
		variants := map[string]any{}
		for k, v := range f.Variants {
			variants[k] = v
		}
		variants[strconv.Itoa(users)] = users
		raw, err := json.Marshal(map[string]any{"state": "ENABLED", "defaultVariant": strconv.Itoa(users), "variants": variants})
		if err != nil {
			return "", err
		}
		doc.Flags[LoadGeneratorVUsFlag] = raw
	}
	out, err := json.Marshal(doc)
	return string(out), err
}
