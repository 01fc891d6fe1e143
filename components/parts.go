package components

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// Parts records the custom resources that a component is made of, so that what depends on the component can
// wait on them (After).
//
// pulumi.DependsOn(component) expands the component into the children registered by then, and the Go SDK
// registers each child in its own goroutine, concurrently with the component's dependents
// (pulumi/pulumi#7833): the dependency on a child can be lost, and a chaos object created before Chaos Mesh's
// CRDs or deleted after its controller. A custom resource named in DependsOn is always waited on.
type Parts struct {
	parts []pulumi.Resource
}

// own records parts of the component; a component's constructor calls it for each custom child.
func (p *Parts) own(rs ...pulumi.Resource) { p.parts = append(p.parts, rs...) }

// Resources returns the component's custom resources.
func (p *Parts) Resources() []pulumi.Resource { return p.parts }

// Composite is a component whose parts a dependent can wait on.
type Composite interface {
	pulumi.ComponentResource
	Resources() []pulumi.Resource
}

// After makes a resource wait on every part of the components, and go before them on destroy.
func After(components ...Composite) pulumi.ResourceOption {
	var parts []pulumi.Resource
	for _, c := range components {
		parts = append(parts, c.Resources()...)
	}
	return pulumi.DependsOn(parts)
}

// childOf parents a child to its component and gives it the component's explicit dependencies, which Pulumi
// does not pass on to children by itself: every part waits on what its component waits on (the namespaces
// and their LimitRanges, Chaos Mesh, Istio).
func childOf(component pulumi.Resource, opts []pulumi.ResourceOption) pulumi.ResourceOption {
	return pulumi.Composite(append(inheritedDependencies(opts), pulumi.Parent(component))...)
}

// inheritedDependencies are a component's explicit dependencies as options for its children.
func inheritedDependencies(opts []pulumi.ResourceOption) []pulumi.ResourceOption {
	var out []pulumi.ResourceOption
	if ro, err := pulumi.NewResourceOptions(opts...); err == nil {
		if len(ro.DependsOn) > 0 {
			out = append(out, pulumi.DependsOn(ro.DependsOn))
		}
		for _, in := range ro.DependsOnInputs {
			out = append(out, pulumi.DependsOnInputs(in))
		}
	}
	return out
}
