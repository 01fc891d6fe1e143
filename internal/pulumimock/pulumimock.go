// Package pulumimock is the project's one mock Pulumi engine: it runs a program with no engine and no cluster,
// records every resource that the program registers as the engine would receive it (type, name, URN, parent,
// dependencies, aliases, inputs), and answers with the outputs that the real providers compute and that the
// program reads. Tests use it, and so does wiring.Declare, which renders the lab offline.
package pulumimock

import (
	"encoding/base64"
	"slices"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Resource is one registration.
type Resource struct {
	Type   string
	Name   string
	URN    string
	Parent string // the parent's URN
	Deps   []string
	// Aliases are the URNs that the resource takes over from a previous run, as the engine resolves them.
	Aliases []string
	Inputs  resource.PropertyMap
	Custom  bool
	// Provider is the explicit provider reference ("urn::id"), when the resource was given one.
	Provider string
	// ReplaceOnChanges and DeleteBeforeReplace are the resource options that decide how it is replaced.
	ReplaceOnChanges    []string
	DeleteBeforeReplace bool
	// RetainOnDelete leaves the object on the cluster when the resource leaves the stack.
	RetainOnDelete bool
}

// Monitor is a pulumi.MockResourceMonitor that records registrations.
type Monitor struct {
	project, stack string

	mu        sync.Mutex
	resources []Resource
}

// New is a monitor for a program of that project and stack: the same pair must go to pulumi.WithMocks, since
// both are part of every URN.
func New(project, stack string) *Monitor { return &Monitor{project: project, stack: stack} }

// Run runs the program under the monitor, with the extra run options (config, for example).
func (m *Monitor) Run(program pulumi.RunFunc, opts ...pulumi.RunOption) error {
	return pulumi.RunErr(program, append([]pulumi.RunOption{pulumi.WithMocks(m.project, m.stack, m)}, opts...)...)
}

// NewResource records the registration and echoes the inputs as outputs, adding what the providers compute.
func (m *Monitor) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := Resource{Type: args.TypeToken, Name: args.Name, Inputs: args.Inputs, Custom: args.Custom, Provider: args.Provider}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = rpc.GetParent()
		r.Deps = rpc.GetDependencies()
		r.URN = m.urn(r.Parent, r.Type, r.Name)
		for _, a := range rpc.GetAliases() {
			r.Aliases = append(r.Aliases, m.aliasURN(r, a.GetUrn(), a.GetSpec()))
		}
		r.Aliases = append(r.Aliases, rpc.GetAliasURNs()...)
		r.ReplaceOnChanges = rpc.GetReplaceOnChanges()
		r.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		r.RetainOnDelete = rpc.GetRetainOnDelete()
	}
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()
	return args.Name + "-id", providerOutputs(args), nil
}

// Call echoes a function call's arguments.
func (m *Monitor) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return args.Args, nil
}

// providerOutputs are the inputs plus the outputs that the real providers fill in and the program reads.
func providerOutputs(args pulumi.MockResourceArgs) resource.PropertyMap {
	outputs := args.Inputs.Copy()
	switch args.TypeToken {
	case "kubernetes:helm.sh/v3:Release":
		outputs["status"] = resource.NewObjectProperty(resource.PropertyMap{
			"status": resource.NewStringProperty("deployed"),
		})
	case "kubernetes:core/v1:Secret":
		// The token controller fills a ServiceAccount token Secret after it is created.
		if t, ok := args.Inputs["type"]; ok && t.IsString() && t.StringValue() == "kubernetes.io/service-account-token" {
			outputs["data"] = resource.NewObjectProperty(resource.PropertyMap{
				"token": resource.NewStringProperty(base64.StdEncoding.EncodeToString([]byte("mock-token"))),
			})
		}
	}
	return outputs
}

// urn is the URN that the engine gives a resource: the parent's type chain, the type and the name.
func (m *Monitor) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(m.stack), tokens.PackageName(m.project), parentType, tokens.Type(typ), name))
}

// aliasURN resolves an alias as the engine does: a spec's empty fields default to the resource's own.
func (m *Monitor) aliasURN(r Resource, urn string, spec *pulumirpc.Alias_Spec) string {
	if urn != "" {
		return urn
	}
	name, typ, parent := r.Name, r.Type, r.Parent
	if spec.GetName() != "" {
		name = spec.GetName()
	}
	if spec.GetType() != "" {
		typ = spec.GetType()
	}
	switch {
	case spec.GetNoParent():
		parent = ""
	case spec.GetParentUrn() != "":
		parent = spec.GetParentUrn()
	}
	return m.urn(parent, typ, name)
}

// Resources are every registration so far, in order.
func (m *Monitor) Resources() []Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.resources)
}

// OfType are the registrations of one type token.
func (m *Monitor) OfType(token string) []Resource {
	var out []Resource
	for _, r := range m.Resources() {
		if r.Type == token {
			out = append(out, r)
		}
	}
	return out
}

// Named is the registration of one type token and logical name; with several (a component declared twice),
// the first.
func (m *Monitor) Named(token, name string) (Resource, bool) {
	for _, r := range m.Resources() {
		if r.Type == token && r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}

// Plain turns a property value into plain Go values, unwrapping secrets and outputs; unknowns become nil.
func Plain(v resource.PropertyValue) any {
	return v.MapRepl(nil, func(v resource.PropertyValue) (any, bool) {
		switch {
		case v.IsSecret():
			return Plain(v.SecretValue().Element), true
		case v.IsOutput():
			o := v.OutputValue()
			if !o.Known {
				return nil, true
			}
			return Plain(o.Element), true
		case v.IsComputed():
			return nil, true
		}
		return nil, false
	})
}

// PlainInputs are the resource's inputs as plain Go values.
func (r Resource) PlainInputs() map[string]any {
	m, _ := Plain(resource.NewObjectProperty(r.Inputs)).(map[string]any)
	return m
}
