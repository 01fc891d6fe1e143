package experiment

import (
	"fmt"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// observeEvent prints the warnings that Kubernetes events carry about a scenario's objects: Chaos Mesh
// reports there what goes wrong (a failed injection, a missed schedule, a chaos object it could not create).
func (t *tracker) observeEvent(o Observation) {
	ev := o.Event
	if ev == nil || ev.Type != corev1.EventTypeWarning {
		return
	}
	so := t.objects[ev.InvolvedObject.Kind+"/"+ev.InvolvedObject.Name]
	if so == nil {
		return
	}
	uid := string(ev.UID)
	if uid == "" {
		uid = ev.Namespace + "/" + ev.Name
	}
	count := max(ev.Count, 1)
	if t.events[uid] >= count {
		return
	}
	t.events[uid] = count
	repeat := ""
	if count > 1 {
		repeat = fmt.Sprintf(" (%d times)", count)
	}
	t.out.at(o.Time, "%s: warning on %s: %s: %s%s", so.scenario.Name, so, ev.Reason, ev.Message, repeat)
	so.scenario.noteFailure(fmt.Sprintf("warning on %s: %s: %s", so, ev.Reason, ev.Message))
}

// conditions maps an object's status.conditions types to their status (True, False, Unknown).
func conditions(u *unstructured.Unstructured) map[string]string {
	out := map[string]string{}
	list, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range list {
		m, _ := c.(map[string]any)
		typ, _ := m["type"].(string)
		status, _ := m["status"].(string)
		if typ != "" {
			out[typ] = status
		}
	}
	return out
}

// reasonSuffix is ": <reason>" of the condition, when it has one.
func reasonSuffix(u *unstructured.Unstructured, typ string) string {
	list, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range list {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			if r, _ := m["reason"].(string); r != "" {
				return ": " + r
			}
		}
	}
	return ""
}

// chaosStatus reads a chaos object's status; an unreadable status reads as empty.
func chaosStatus(u *unstructured.Unstructured) v1alpha1.ChaosStatus {
	var st v1alpha1.ChaosStatus
	if raw, ok, _ := unstructured.NestedMap(u.Object, "status"); ok {
		_ = runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &st)
	}
	return st
}

// workflowFinished: Chaos Mesh marks a Workflow Accomplished when its entry node has finished, was
// aborted or passed its deadline.
func workflowFinished(u *unstructured.Unstructured) bool {
	return conditions(u)[string(v1alpha1.WorkflowConditionAccomplished)] == "True"
}

// runFinished says whether what a Schedule spawned has ended: a Workflow that finished, or chaos that Chaos
// Mesh has stopped (its duration is over) and recovered on every target.
func runFinished(u *unstructured.Unstructured) bool {
	if u.GetKind() == v1alpha1.KindWorkflow {
		return workflowFinished(u)
	}
	st := chaosStatus(u)
	return st.Experiment.DesiredPhase == v1alpha1.StoppedPhase &&
		conditions(u)[string(v1alpha1.ConditionAllRecovered)] == "True"
}
