package components

import (
	"fmt"

	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// IstioType is the Pulumi type token of the component.
const IstioType = "chaos-mesh-otel:mesh:Istio"

// Istio's namespace, releases and labels.
const (
	IstioNamespace   = "istio-system"
	IstioBaseRelease = "istio-base"
	IstiodRelease    = "istiod"
	// IstioInjectionLabel on a namespace makes istiod's webhook inject a sidecar into its new pods; only the
	// app's namespace carries it, and istiod watches only namespaces that do (its discoverySelectors).
	IstioInjectionLabel = "istio-injection"
	IstioInjectionValue = "enabled"
)

// The budgets of Istio's parts. Istio's defaults (istiod asks for 2 GiB, each sidecar may take 1 GiB and
// 2 CPUs) are sized for meshes of thousands of services; this one has a dozen, at a few requests a second.
// Istio's own figures put a sidecar at about 60 MB at 1000 rps, and memory follows the config size, which
// discoverySelectors keep to the app's namespace.
var (
	istiodBudget  = Budget{MemoryMi: 256, CPUMilli: 25}
	SidecarBudget = Budget{MemoryMi: 96, CPUMilli: 10, CPULimitMilli: 500}
)

// IstioArgs configures Istio.
type IstioArgs struct {
	Charts ChartSource
	// Namespace is istio-system, made by the Namespaces component.
	Namespace pulumi.StringInput
	// SelectorLabel is the app's pod label whose value is the service name; Unmeshed are the services, by
	// that label, that get no sidecar (data stores that speak only TCP).
	SelectorLabel string
	Unmeshed      []string
}

// Istio is Istio's base chart (its CRDs, made removable by destroy) and istiod, tuned for a small lab.
type Istio struct {
	pulumi.ResourceState
	Parts

	// Base holds the CRDs; Istiod is the control plane and sidecar injector. Mesh objects depend on Base,
	// the app on Istiod.
	Base   *helmv3.Release
	Istiod *helmv3.Release

	Namespace     pulumi.StringOutput `pulumi:"namespace"`
	ReleaseStatus pulumi.StringOutput `pulumi:"releaseStatus"`
}

// IstioBaseValues are the base chart's values: its CRDs as the chart file has them, with no per-CRD
// templating (the same objects; rendering them raw saves about a second on each preview).
func IstioBaseValues() map[string]any {
	return map[string]any{"base": map[string]any{"enableCRDTemplates": false}}
}

// IstiodValues are istiod's values for the args.
func IstiodValues(args *IstioArgs) map[string]any {
	values := map[string]any{
		// The default renders an autoscaler that could grow istiod to five replicas.
		"autoscaleEnabled": false,
		"resources":        istiodBudget.Resources(),
		// The chart sets GOMAXPROCS but not GOMEMLIMIT; a Go heap limit under the memory limit keeps the
		// garbage collector ahead of the OOM killer.
		"env": map[string]any{"GOMEMLIMIT": fmt.Sprintf("%dMiB", istiodBudget.MemoryMi*8/10)},
		"global": map[string]any{
			// Helm deep-merges this with the default (limits 2 CPUs / 1 GiB), so every field is restated.
			"proxy": map[string]any{"resources": SidecarBudget.Resources()},
		},
		"meshConfig": map[string]any{
			"discoverySelectors": []any{map[string]any{"matchLabels": map[string]any{IstioInjectionLabel: IstioInjectionValue}}},
			// Stated so that no override can turn it off: sidecars then carry prometheus.io/scrape
			// annotations for their merged metrics (Envoy's and the app's), which Prometheus's pod job
			// scrapes on port 15020.
			"enablePrometheusMerge": true,
		},
	}
	if len(args.Unmeshed) > 0 {
		unmeshed := make([]any, len(args.Unmeshed))
		for i, s := range args.Unmeshed {
			unmeshed[i] = s
		}
		values["sidecarInjectorWebhook"] = map[string]any{"neverInjectSelector": []any{map[string]any{
			"matchExpressions": []any{map[string]any{"key": args.SelectorLabel, "operator": "In", "values": unmeshed}},
		}}}
	}
	return values
}

// NewIstio declares Istio's base chart, then istiod.
func NewIstio(ctx *pulumi.Context, name string, args *IstioArgs, opts ...pulumi.ResourceOption) (*Istio, error) {
	i := &Istio{}
	if err := ctx.RegisterComponentResource(IstioType, name, i, opts...); err != nil {
		return nil, err
	}
	base, err := newEditedRelease(ctx, releaseSpec{
		name: childName(name, "base"), releaseName: IstioBaseRelease, src: args.Charts, chart: IstioBaseChart,
		edit: CRDReleasingArchive, namespace: args.Namespace, values: IstioBaseValues(),
	}, childOf(i, opts))
	if err != nil {
		return nil, err
	}
	istiod, err := newRelease(ctx, childName(name, "istiod"), IstiodRelease, args.Charts, IstiodChart, args.Namespace,
		IstiodValues(args), childOf(i, opts), pulumi.DependsOn([]pulumi.Resource{base}))
	if err != nil {
		return nil, err
	}
	i.Base, i.Istiod = base, istiod
	i.own(base, istiod)
	i.Namespace = istiod.Namespace.Elem()
	i.ReleaseStatus = istiod.Status.Status()
	return i, ctx.RegisterResourceOutputs(i, pulumi.Map{"namespace": i.Namespace, "releaseStatus": i.ReleaseStatus})
}
