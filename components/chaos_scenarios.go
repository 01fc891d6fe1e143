package components

import (
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

// ChaosScenariosType is the Pulumi type token of the component.
const ChaosScenariosType = "chaos-mesh-otel:chaos:Scenarios"

// ChaosScenariosArgs are the Chaos Mesh objects to apply, as scenarios.Build returns them. A plan's flag
// overrides are not among them: flags are not Chaos Mesh objects but a document that flagd reads beside the
// shop (OtelDemoArgs.FlagOverrides).
type ChaosScenariosArgs struct {
	Objects []scenarios.Object
}

// ChaosScenarios applies each Chaos Mesh Schedule or Workflow of the enabled scenarios as one custom
// resource. Pass After(chaosMesh) and the Kubernetes provider in the component's options: the
// children inherit the provider from their parent and get the same explicit dependencies, so that they are
// created after Chaos Mesh and deleted before it (a chaos object whose controller is gone never loses its
// finalizer).
type ChaosScenarios struct {
	pulumi.ResourceState

	// Names lists the applied objects as "Kind/name", sorted.
	Names pulumi.StringArrayOutput `pulumi:"names"`
	// Resources are the children by "Kind/name".
	Resources map[string]*apiextensions.CustomResource
}

// NewChaosScenarios registers the component and one CustomResource per object.
func NewChaosScenarios(ctx *pulumi.Context, name string, args *ChaosScenariosArgs, opts ...pulumi.ResourceOption) (*ChaosScenarios, error) {
	if args == nil {
		args = &ChaosScenariosArgs{}
	}
	c := &ChaosScenarios{}
	if err := ctx.RegisterComponentResource(ChaosScenariosType, name, c, opts...); err != nil {
		return nil, err
	}
	// Explicit dependencies of the component (Chaos Mesh) apply to every child as well.
	var err error
	if c.Resources, c.Names, err = declareObjects(ctx, name, args.Objects, childOf(c, opts)); err != nil {
		return nil, err
	}
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"names": c.Names})
}

// declareObjects declares one custom resource per object, under the component name, and returns them by
// "Kind/name" with those keys sorted; an object given twice is refused.
func declareObjects(ctx *pulumi.Context, component string, objects []scenarios.Object, opts ...pulumi.ResourceOption) (
	map[string]*apiextensions.CustomResource, pulumi.StringArrayOutput, error) {
	resources := map[string]*apiextensions.CustomResource{}
	var names []string
	for _, obj := range objects {
		key := obj.Kind + "/" + obj.Name
		if _, dup := resources[key]; dup {
			return nil, pulumi.StringArrayOutput{}, fmt.Errorf("%s: %s given twice", component, key)
		}
		cr, err := newChaosObject(ctx, component, obj, opts)
		if err != nil {
			return nil, pulumi.StringArrayOutput{}, err
		}
		resources[key] = cr
		names = append(names, key)
	}
	sort.Strings(names)
	return resources, pulumi.ToStringArray(names).ToStringArrayOutput(), nil
}

// deletionPropagationAnnotation tells the kubernetes provider how to delete a resource (default foreground).
// A Workflow is deleted in the background: with foreground deletion its WorkflowNodes go first while the
// Workflow still exists, and Chaos Mesh (2.8.3), which does not look at the Workflow's deletion, sees a
// Workflow without an entry node and starts it again, so switching off a finished Workflow would strike once
// more (seen with the real controller in e2e). Deleted in the background, the Workflow is gone at once and
// the garbage collector removes its nodes and experiments, which Chaos Mesh recovers.
const deletionPropagationAnnotation = "pulumi.com/deletionPropagationPolicy"

// newChaosObject creates the custom resource of one object. Its logical name depends only on the kind and
// the object name, so toggling one scenario adds or removes exactly that resource.
func newChaosObject(ctx *pulumi.Context, parent string, obj scenarios.Object, opts []pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	m := obj.Manifest
	apiVersion, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	meta, _ := m["metadata"].(map[string]any)
	if apiVersion == "" || kind == "" || meta == nil {
		return nil, fmt.Errorf("chaos scenarios: object %s has no apiVersion, kind or metadata", obj.Name)
	}
	annotations, _ := meta["annotations"].(map[string]any)
	if kind == scenarios.KindWorkflow {
		annotations = maps.Clone(annotations)
		if annotations == nil {
			annotations = map[string]any{}
		}
		annotations[deletionPropagationAnnotation] = "background"
	}
	metaArgs := &metav1.ObjectMetaArgs{
		Name:        pulumi.String(stringOf(meta["name"])),
		Namespace:   pulumi.String(stringOf(meta["namespace"])),
		Labels:      stringMap(meta["labels"]),
		Annotations: stringMap(annotations),
	}
	other := kubernetes.UntypedArgs{}
	for k, v := range m {
		switch k {
		case "apiVersion", "kind", "metadata", "status":
			continue
		}
		other[k] = toInput(v)
	}
	resName := fmt.Sprintf("%s-%s-%s", parent, strings.ToLower(kind), obj.Name)
	cr, err := apiextensions.NewCustomResource(ctx, resName, &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(apiVersion),
		Kind:        pulumi.String(kind),
		Metadata:    metaArgs,
		OtherFields: other,
	}, opts...)
	if err != nil || kind != scenarios.KindWorkflow || annotations[scenarios.AbortAnnotation] != "true" {
		return cr, err
	}
	if _, err := newHaltPatch(ctx, resName, cr, apiVersion, kind, metaArgs, opts); err != nil {
		return nil, err
	}
	return cr, nil
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

func stringMap(v any) pulumi.StringMapInput {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil
	}
	out := pulumi.StringMap{}
	for k, val := range m {
		out[k] = pulumi.String(fmt.Sprint(val))
	}
	return out
}

// toInput turns an unstructured value into Pulumi inputs.
func toInput(v any) pulumi.Input {
	switch t := v.(type) {
	case map[string]any:
		out := pulumi.Map{}
		for k, val := range t {
			out[k] = toInput(val)
		}
		return out
	case []any:
		out := pulumi.Array{}
		for _, val := range t {
			out = append(out, toInput(val))
		}
		return out
	case string:
		return pulumi.String(t)
	case bool:
		return pulumi.Bool(t)
	case int64:
		return pulumi.Int(int(t))
	case int:
		return pulumi.Int(t)
	case int32:
		return pulumi.Int(int(t))
	case float64:
		return pulumi.Float64(t)
	case nil:
		return nil
	default:
		return pulumi.Any(t)
	}
}
