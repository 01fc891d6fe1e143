package components

import (
	"fmt"
	"maps"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

// ChaosInjectAnnotation is the namespace annotation that Chaos Mesh's namespace filter looks for: with
// controllerManager.enableFilterNamespace on, only namespaces carrying it with the value "enabled" can be
// touched by chaos.
const ChaosInjectAnnotation = "chaos-mesh.org/inject"

// Values of ChaosInjectAnnotation on the app's namespace: enabled, or disabled while the lab is halted.
const (
	ChaosInjectEnabled  = "enabled"
	ChaosInjectDisabled = "disabled"
)

// AppNamespaceAnnotations are the annotations of the app's namespace. While halted, Chaos Mesh's namespace
// filter selects no pod of it, so no fault of the lab can start, whatever is created: a Workflow that Chaos
// Mesh starts although it was created aborted, a kick-off, a scheduled run. The halt annotation says why.
func AppNamespaceAnnotations(halted bool) map[string]string {
	if halted {
		return map[string]string{ChaosInjectAnnotation: ChaosInjectDisabled, scenarios.HaltedAnnotation: "true"}
	}
	return map[string]string{ChaosInjectAnnotation: ChaosInjectEnabled}
}

// NamespacesArgs configures the lab's namespaces.
type NamespacesArgs struct {
	// AppNamespace is the namespace of the app under test: the only one that chaos may be injected into.
	AppNamespace string
	// Labels are added to every namespace, so that everything of the lab can be found with one selector.
	Labels map[string]string
	// Istio adds istio-system and labels the app's namespace, and only it, for sidecar injection.
	Istio bool
	// Halted closes the app's namespace to chaos (AppNamespaceAnnotations): the kill switch's first layer.
	Halted bool
}

// Namespaces is the shop's, Chaos Mesh's and the observability stack's namespaces, each with a LimitRange
// that bounds any container its chart left without resources.
type Namespaces struct {
	pulumi.ResourceState
	Parts

	Shop          pulumi.StringOutput `pulumi:"shop"`
	Chaos         pulumi.StringOutput `pulumi:"chaos"`
	Observability pulumi.StringOutput `pulumi:"observability"`
	// IstioSystem is Istio's namespace; empty without Istio.
	IstioSystem pulumi.StringOutput `pulumi:"istioSystem"`
}

// LabNamespaces are the namespaces that NewNamespaces declares for an app's namespace, with or without Istio:
// the lab owns them, and their workloads make the lab ready.
func LabNamespaces(appNamespace string, istio bool) []string {
	namespaces := []string{appNamespace, ChaosNamespace, ObservabilityNamespace}
	if istio {
		namespaces = append(namespaces, IstioNamespace)
	}
	return namespaces
}

// NewNamespaces declares the namespaces.
func NewNamespaces(ctx *pulumi.Context, name string, args *NamespacesArgs, opts ...pulumi.ResourceOption) (*Namespaces, error) {
	n := &Namespaces{}
	if err := ctx.RegisterComponentResource("chaos-mesh-otel:cluster:Namespaces", name, n, opts...); err != nil {
		return nil, err
	}
	create := func(ns string, annotations, labels map[string]string) (pulumi.StringOutput, error) {
		nsName := childName(name, ns)
		all := maps.Clone(args.Labels)
		if all == nil {
			all = map[string]string{}
		}
		maps.Copy(all, labels)
		res, err := corev1.NewNamespace(ctx, nsName, &corev1.NamespaceArgs{
			Metadata: &metav1.ObjectMetaArgs{
				Name:        pulumi.String(ns),
				Labels:      pulumi.ToStringMap(all),
				Annotations: pulumi.ToStringMap(annotations),
			},
		}, childOf(n, opts), formerName(name, NamespacesName, nsName, ns))
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		created := res.Metadata.Name().Elem()
		limitsName := childName(nsName, "defaults")
		limits, err := corev1.NewLimitRange(ctx, limitsName, &corev1.LimitRangeArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("container-defaults"), Namespace: created},
			Spec: &corev1.LimitRangeSpecArgs{Limits: corev1.LimitRangeItemArray{corev1.LimitRangeItemArgs{
				Type: pulumi.String("Container"),
				Default: pulumi.StringMap{
					"memory": pulumi.String(fmt.Sprintf("%dMi", DefaultContainerBudget.MemoryMi)),
				},
				DefaultRequest: pulumi.StringMap{
					"memory": pulumi.String(fmt.Sprintf("%dMi", DefaultContainerBudget.MemoryMi)),
					"cpu":    pulumi.String(fmt.Sprintf("%dm", DefaultContainerBudget.CPUMilli)),
				},
			}}},
		}, childOf(n, opts), formerName(name, NamespacesName, limitsName, ns+"-defaults"))
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		n.own(res, limits)
		return created, nil
	}
	var err error
	var injection map[string]string
	if args.Istio {
		injection = map[string]string{IstioInjectionLabel: IstioInjectionValue}
	}
	if n.Shop, err = create(args.AppNamespace, AppNamespaceAnnotations(args.Halted), injection); err != nil {
		return nil, err
	}
	if n.Chaos, err = create(ChaosNamespace, nil, nil); err != nil {
		return nil, err
	}
	if n.Observability, err = create(ObservabilityNamespace, nil, nil); err != nil {
		return nil, err
	}
	outputs := pulumi.Map{"shop": n.Shop, "chaos": n.Chaos, "observability": n.Observability}
	if args.Istio {
		// Not open to chaos: with istiod down, no pod of the app's namespace could be created.
		if n.IstioSystem, err = create(IstioNamespace, nil, nil); err != nil {
			return nil, err
		}
		outputs["istioSystem"] = n.IstioSystem
	}
	return n, ctx.RegisterResourceOutputs(n, outputs)
}
