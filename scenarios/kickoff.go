package scenarios

import (
	"fmt"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// A Chaos Mesh Schedule first fires one whole interval after it is created: switched on with "@every 10m",
// a scenario would strike only ten minutes later, and a nightly game day switched on at noon only at night.
// So, beside the Schedule of a scheduled scenario, the lab declares a one-shot kick-off Workflow that runs
// the same chaos (or the same game day) once, as soon as it is switched on; the Schedule takes over after
// one interval. It is an ordinary Workflow of the scenario: halt aborts it, switching the scenario off
// deletes it with the Schedule, and a repeat `pulumi up` leaves it as it is (a finished Workflow stays
// finished). `startNow: false` leaves it out, for a scenario that must wait for its schedule (a nightly run).

const (
	// KickOffSuffix ends the name of a kick-off Workflow: <schedule>-first.
	KickOffSuffix = "-first"
	// KickOffLabel marks a kick-off Workflow; its value is the name of the Schedule that it starts early.
	KickOffLabel = "chaos-mesh-otel.io/kick-off-of"
)

// KickOffName is the name of the kick-off Workflow of the Schedule named schedule. A Schedule's name has at
// most maxNameLen characters, so this one stays within the 63 that a label value (chaos-mesh.org/workflow
// on what the Workflow creates) may have.
func KickOffName(schedule string) string { return schedule + KickOffSuffix }

// startsNow says whether a scheduled scenario gets a kick-off Workflow: unless startNow is false.
func (s *scenario) startsNow() bool { return s.Schedule != "" && (s.StartNow == nil || *s.StartNow) }

// checkStartNow refuses startNow on a scenario without a schedule, where it would mean nothing: a one-shot
// scenario always runs as soon as it is switched on.
func checkStartNow(s *scenario, e *errs) {
	if s.StartNow != nil && s.Schedule == "" {
		e.add(field.Invalid(s.path("startNow"), *s.StartNow,
			"applies only to a scenario with a schedule: one without runs once, as soon as it is switched on"))
	}
}

// checkKickOffNames refuses an enabled scenario whose object would have the name of the kick-off Workflow
// of another enabled scenario: Kubernetes would hold one object for two, and what Chaos Mesh creates for
// each would carry the same chaos-mesh.org/workflow or managed-by label.
func checkKickOffNames(merged map[string]*scenario, names []string, objectNames map[string]string, e *errs) {
	kickOffOf := map[string]string{} // kick-off Workflow name → scenario
	for _, name := range names {
		if s := merged[name]; s.Enabled && s.startsNow() && objectNames[name] != "" {
			kickOffOf[KickOffName(objectNames[name])] = name
		}
	}
	for _, name := range names {
		s := merged[name]
		if !s.Enabled || s.Fault == FlagFault {
			continue
		}
		if owner, taken := kickOffOf[objectNames[name]]; taken {
			dup := field.Duplicate(root.Child(name), objectNames[name])
			dup.Detail = fmt.Sprintf("its object name is that of the kick-off Workflow of scheduled scenario %s, which strikes once when %s is switched on; rename %s, or set %s: false",
				owner, owner, name, root.Child(owner, "startNow"))
			e.add(dup)
		}
	}
}

// chaosKickOff is the kick-off Workflow of a scheduled single-fault scenario: its chaos once, with its
// duration as the step's deadline. The step is named after the scenario, so that what Chaos Mesh creates for
// it is named "<scenario>-…" like what its Schedule creates.
func chaosKickOff(name string, cc *compiled, opts Options) Object {
	return kickOff(name, oneShotSpec(name, cc), opts)
}

// gamedayKickOff is the kick-off Workflow of a scheduled game day: the game day once.
func gamedayKickOff(name string, ws *v1alpha1.WorkflowSpec, opts Options) Object {
	return kickOff(name, *ws.DeepCopy(), opts)
}

// kickOff makes the Workflow, labelled with the scenario's name like the Schedule it starts early.
func kickOff(schedule string, spec v1alpha1.WorkflowSpec, opts Options) Object {
	obj := newWorkflow(KickOffName(schedule), spec, opts)
	labels := obj.Typed.GetLabels()
	labels[ScenarioLabel] = schedule
	labels[KickOffLabel] = schedule
	obj.Typed.SetLabels(labels)
	return obj
}
