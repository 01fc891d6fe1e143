// Package scenarios turns the `chaos-mesh-otel:scenarios` stack config into the Chaos Mesh objects
// (Schedules and Workflows) and flagd overrides that the lab applies. Everything here is pure: no
// cluster, no Pulumi engine. The program, the chaoslab CLI and the tests share this one code path.
//
// The files follow the config's shape: parse.go and reader.go read the raw keys; selector.go and
// schedule.go check what every fault shares; one file per fault family (network, stress, http, io, dns,
// time, pod, flag) builds its spec; gameday.go and steadystate.go build game days; objects.go makes the
// Chaos Mesh objects; build.go ties them together.
package scenarios

import (
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// Options carries the facts that Build needs from the rest of the stack configuration.
type Options struct {
	// Deployment is the app under test as this stack deploys it: its namespace and catalog, and which of its
	// services run. A scenario may only touch a service that runs.
	Deployment apps.Deployment
	// Gate is the SLO gate that a game day's steadyState {slo: NAME} calls.
	Gate Gate
	// Halt is chaos-mesh-otel:halt: pause Schedules, abort Workflows, drop flag overrides, take mesh faults
	// out of their VirtualServices.
	Halt bool
	// Istio is chaos-mesh-otel:istio: the app's services run with Istio sidecars. Mesh faults need it, and
	// HTTPChaos does not work behind a sidecar.
	Istio bool
	// MemoryLimitMi is the memory limit of a container of a service as the stack deploys it (container ""
	// is the service's own); ok is false when unknown. A memory-stress fault larger than it is refused
	// unless allowOOM. Nil: not checked.
	MemoryLimitMi func(service, container string) (mi int, ok bool)
	// NodeMemoryMi is the node memory that a memory-stress size in percent is a share of.
	NodeMemoryMi int
}

// Gate is the SLO gate of a stack, as steadyState {slo: NAME} sees it.
type Gate struct {
	// URL is the gate's base URL; a StatusCheck calls URL/slo/NAME. Empty when the stack has no gate to call
	// (chaos-mesh-otel:sloGate off and no chaos-mesh-otel:sloGateURL): then steadyState.slo is refused.
	URL string
	// SLOs are the names the gate answers for; steadyState.slo must be one of them.
	SLOs []string
}

// Plan is what Build returns: the objects to apply and the flag overrides to mount.
type Plan struct {
	// Objects are the Chaos Mesh objects and the Istio VirtualServices of mesh faults, sorted by name,
	// deterministic. ChaosObjects and MeshObjects split them: the first need Chaos Mesh, the others Istio.
	Objects       []Object
	FlagOverrides []byte    // flagd JSON document, always valid: {"flags":{}} when none or halted
	Enabled       []Summary // one per enabled scenario, sorted by name
	// Renamed are the enabled scenarios whose objects are not named as their key: the key's DNS-1123 form,
	// shortened to 48 characters when longer. Sorted by key.
	Renamed []Rename
}

// Rename is a scenario whose object name differs from its key.
type Rename struct {
	Key, Object string
	Shortened   bool // cut to 48 characters, to leave room for what Chaos Mesh appends to spawned objects
}

// Reason says how the key became the object's name.
func (r Rename) Reason() string {
	why := "its DNS-1123 form (lower case letters, digits and '-'; any other character, non-ASCII letters included, becomes '-')"
	if r.Shortened {
		why += fmt.Sprintf(", shortened to %d characters to leave room for the suffixes Chaos Mesh appends", maxNameLen)
	}
	return fmt.Sprintf("its objects are named %q, %s", r.Object, why)
}

// ChaosObjects are the plan's Chaos Mesh objects (Schedules and Workflows), in order.
func (p *Plan) ChaosObjects() []Object { return p.objects(false) }

// MeshObjects are the plan's Istio VirtualServices, in order.
func (p *Plan) MeshObjects() []Object { return p.objects(true) }

func (p *Plan) objects(mesh bool) []Object {
	var out []Object
	for _, o := range p.Objects {
		if o.IsMesh() == mesh {
			out = append(out, o)
		}
	}
	return out
}

// Object is one custom resource: a Chaos Mesh Schedule or Workflow, or an Istio VirtualService.
type Object struct {
	Name     string         // metadata.name
	Kind     string         // KindSchedule, KindWorkflow or KindVirtualService
	Typed    client.Object  // *v1alpha1.Schedule, *v1alpha1.Workflow or *VirtualService
	Manifest map[string]any // unstructured form (apiVersion, kind, metadata, spec), no status
}

// IsMesh says whether the object is an Istio VirtualService (a mesh fault), which needs Istio's CRDs and
// not Chaos Mesh.
func (o Object) IsMesh() bool { return o.Kind == KindVirtualService }

// Summary describes an enabled scenario.
type Summary struct {
	Name   string // the scenario's config key
	Fault  string // the fault (a Fault), or GameDay for a scenario with steps
	Target string // the target service (for a game day: the targets of its steps, comma separated)
	Kind   string // KindSchedule, KindWorkflow, KindFlag or KindVirtualService
}

// Kinds of Summary and Object.
const (
	KindSchedule = "Schedule"
	KindWorkflow = "Workflow"
	KindFlag     = "Flag"
)

// GameDay is the Summary.Fault of a scenario with steps.
const GameDay = "gameday"
