// Package scenarios turns the `chaos-mesh-otel:scenarios` stack config into the Chaos Mesh objects
// (Schedules and Workflows) and flagd overrides that the lab applies. Everything here is pure: no
// cluster, no Pulumi engine. The program, the chaoslab CLI and the tests share this one code path.
package scenarios

import (
	"fmt"
	"strings"

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
	Kind     string         // "Schedule" | "Workflow"
	Typed    client.Object  // *v1alpha1.Schedule or *v1alpha1.Workflow
	Manifest map[string]any // unstructured form (apiVersion, kind, metadata, spec), no status
}

// Summary describes an enabled scenario.
type Summary struct {
	Name   string // the scenario's config key
	Fault  string // the fault kind, or "gameday" for a scenario with steps
	Target string // the target service (for a game day: the targets of its steps, comma separated)
	Kind   string // "Schedule" | "Workflow" | "Flag"
}

// Kinds of Summary and Object.
const (
	KindSchedule = "Schedule"
	KindWorkflow = "Workflow"
	KindFlag     = "Flag"
)

// FieldError is one validation problem, with the key path it concerns
// (for example "scenarios.checkout-pod-kill.latency").
type FieldError struct {
	Path    string
	Message string
}

func (e FieldError) Error() string { return e.Path + ": " + e.Message }

// ValidationErrors is the error Build returns when the configuration is invalid. It holds every problem found.
type ValidationErrors []FieldError

func (v ValidationErrors) Error() string {
	lines := make([]string, len(v))
	for i, e := range v {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// errs collects FieldErrors.
type errs struct{ list ValidationErrors }

func (e *errs) add(path, format string, args ...any) {
	e.list = append(e.list, FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}
