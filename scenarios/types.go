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
	// Halt is chaos-mesh-otel:halt: pause Schedules, abort Workflows, drop flag overrides.
	Halt bool
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
	Objects       []Object  // sorted by name, deterministic
	FlagOverrides []byte    // flagd JSON document, always valid: {"flags":{}} when none or halted
	Enabled       []Summary // one per enabled scenario, sorted by name
}

// Object is one Chaos Mesh custom resource.
type Object struct {
	Name     string         // metadata.name
	Kind     string         // KindSchedule or KindWorkflow
	Typed    client.Object  // *v1alpha1.Schedule or *v1alpha1.Workflow
	Manifest map[string]any // unstructured form (apiVersion, kind, metadata, spec), no status
}

// Summary describes an enabled scenario.
type Summary struct {
	Name   string // the scenario's config key
	Fault  string // the fault (a Fault), or GameDay for a scenario with steps
	Target string // the target service (for a game day: the targets of its steps, comma separated)
	Kind   string // KindSchedule, KindWorkflow or KindFlag
}

// Kinds of Summary and Object.
const (
	KindSchedule = "Schedule"
	KindWorkflow = "Workflow"
	KindFlag     = "Flag"
)

// GameDay is the Summary.Fault of a scenario with steps.
const GameDay = "gameday"
