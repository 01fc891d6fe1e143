package components

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// Children are named after their component, so that a component can be declared twice without two children
// sharing a URN. The names that Kubernetes sees (metadata.name, Helm release names) stay fixed: other parts of
// the lab address them.
func childName(component, part string) string {
	return component + "-" + part
}

// The names under which stacks.Compose declares these components. Before children were named after their
// component, they had one fixed name each; formerName keeps those children's state only for a component
// declared under these names, so Compose uses them rather than its own literals.
const (
	NamespacesName = "namespaces"
	ChaosMeshName  = "chaos-mesh"
	OtelDemoName   = "shop"
	CollectorName  = "collector"
	GrafanaName    = "grafana"
)

// formerName aliases a child to the fixed name it had before, so that `pulumi up` on an existing lab renames it
// in the state instead of replacing it on the cluster. Only the component declared under its usual name had
// that child; another instance gets no alias, since two resources may not take over one URN.
func formerName(component, usual, name, former string) pulumi.ResourceOption {
	if component != usual || name == former {
		return pulumi.Aliases(nil)
	}
	return pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(former)}})
}
