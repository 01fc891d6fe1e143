package components

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

// MeshFaultsType is the Pulumi type token of the component.
const MeshFaultsType = "chaos-mesh-otel:mesh:Faults"

// MeshFaultsArgs are the Istio VirtualServices of the enabled mesh-fault scenarios (scenarios.Plan.MeshObjects).
type MeshFaultsArgs struct {
	Objects []scenarios.Object
}

// MeshFaults applies each mesh fault as one VirtualService. Pass After(istio, app) in the
// component's options: the VirtualService CRD comes with Istio's base chart, and the host it routes must be a
// Service of the app. The children get the same dependencies, so that destroy removes them before Istio's CRDs.
type MeshFaults struct {
	pulumi.ResourceState

	// Names lists the applied objects as "Kind/name", sorted.
	Names pulumi.StringArrayOutput `pulumi:"names"`
	// Resources are the children by "Kind/name".
	Resources map[string]*apiextensions.CustomResource
}

// NewMeshFaults registers the component and one CustomResource per VirtualService.
func NewMeshFaults(ctx *pulumi.Context, name string, args *MeshFaultsArgs, opts ...pulumi.ResourceOption) (*MeshFaults, error) {
	if args == nil {
		args = &MeshFaultsArgs{}
	}
	for _, obj := range args.Objects {
		if !obj.IsMesh() {
			return nil, fmt.Errorf("mesh faults: %s/%s is not an Istio object; Chaos Mesh's objects go to ChaosScenarios", obj.Kind, obj.Name)
		}
	}
	m := &MeshFaults{}
	if err := ctx.RegisterComponentResource(MeshFaultsType, name, m, opts...); err != nil {
		return nil, err
	}
	var err error
	if m.Resources, m.Names, err = declareObjects(ctx, name, args.Objects, childOf(m, opts)); err != nil {
		return nil, err
	}
	return m, ctx.RegisterResourceOutputs(m, pulumi.Map{"names": m.Names})
}
