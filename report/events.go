package report

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// Chaos Mesh deletes the chaos object of a Workflow step as soon as the step ends (its WorkflowNode is
// finished), so a one-shot game day, or the kick-off Workflow that makes a scheduled scenario strike at
// switch-on, leaves no record behind once it is over. The events that Chaos Mesh recorded on the object
// outlive it: the API server keeps events for an hour by default (kube-apiserver --event-ttl). FromCluster
// reads the windows of such deleted objects from those events.

var (
	eventsResource      = schema.GroupVersionResource{Version: "v1", Resource: "events"}
	replicaSetsResource = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}
	statefulSetResource = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}
)

// The reasons and message prefixes of the events Chaos Mesh records on a chaos object for each target it
// applies the fault to and recovers it from ("Successfully apply chaos for otel-demo/checkout-7c69-gqzkb").
const (
	reasonApplied   = "Applied"
	reasonRecovered = "Recovered"
	appliedPrefix   = "Successfully apply chaos for "
)

// deletedChaos gathers the events of one chaos object that no longer exists.
type deletedChaos struct {
	kind, name string
	start, end time.Time
	last       time.Time // the latest event of any reason (the deletion, when no Recover was recorded)
	target     string    // namespace/pod of the first target it applied to
}

// windowsFromEvents returns the windows of the scenario's chaos objects that are gone from the cluster (uid
// not in live) but whose Applied events remain. With no scenario it returns none: an event carries no labels,
// so only the object name ("<scenario>-…", as a Workflow step of the scenario is named) ties it to one.
func windowsFromEvents(ctx context.Context, dyn dynamic.Interface, namespace, scenario string, live map[types.UID]bool) ([]Window, error) {
	if scenario == "" {
		return nil, nil
	}
	list, err := dyn.Resource(eventsResource).Namespace(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list events in %s: %w", namespace, err)
	}
	gone := map[types.UID]*deletedChaos{}
	var order []types.UID
	for i := range list.Items {
		var ev corev1.Event
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(list.Items[i].Object, &ev); err != nil {
			return nil, fmt.Errorf("event %s/%s: %w", namespace, list.Items[i].GetName(), err)
		}
		obj := ev.InvolvedObject
		if !isChaosKind(obj) || live[obj.UID] || !strings.HasPrefix(obj.Name, scenario+"-") {
			continue
		}
		d := gone[obj.UID]
		if d == nil {
			d = &deletedChaos{kind: obj.Kind, name: obj.Name}
			gone[obj.UID] = d
			order = append(order, obj.UID)
		}
		d.add(&ev)
	}
	var out []Window
	for _, uid := range order {
		d := gone[uid]
		if d.start.IsZero() {
			continue // never applied
		}
		out = append(out, Window{Scenario: scenario, Start: d.start.UTC(), End: d.endTime(),
			Target: targetOfPod(ctx, dyn, d.target), Source: fmt.Sprintf("%s/%s/%s", d.kind, namespace, d.name)})
	}
	return out, nil
}

func isChaosKind(obj corev1.ObjectReference) bool {
	return strings.HasPrefix(obj.APIVersion, ChaosGroupVersion.Group+"/") && slices.Contains(ChaosResources, strings.ToLower(obj.Kind))
}

// add takes one event into the object's window: the first Apply starts it, the last Recover ends it.
func (d *deletedChaos) add(ev *corev1.Event) {
	first, last := ev.FirstTimestamp.Time, ev.LastTimestamp.Time
	if first.IsZero() {
		first = ev.EventTime.Time
	}
	if last.IsZero() {
		last = first
	}
	if last.After(d.last) {
		d.last = last
	}
	switch ev.Reason {
	case reasonApplied:
		if d.start.IsZero() || first.Before(d.start) {
			d.start = first
			d.target = strings.TrimPrefix(ev.Message, appliedPrefix)
		}
	case reasonRecovered:
		if last.After(d.end) {
			d.end = last
		}
	}
}

// endTime is the last Recover, or the last event when Chaos Mesh recorded none (never before the start).
func (d *deletedChaos) endTime() time.Time {
	end := d.end
	if end.IsZero() {
		end = d.last
	}
	if end.Before(d.start) {
		end = d.start
	}
	return end.UTC()
}

// targetOfPod finds the service that a pod ("namespace/name") belonged to, from the component label of its
// ReplicaSet's or StatefulSet's pod template: a killed pod is gone, its owner is not. "" when neither is found.
func targetOfPod(ctx context.Context, dyn dynamic.Interface, id string) string {
	ns, pod, ok := strings.Cut(id, "/")
	if !ok {
		return ""
	}
	i := strings.LastIndex(pod, "-")
	if i <= 0 {
		return ""
	}
	owner := pod[:i] // <replicaset>-<random> or <statefulset>-<ordinal>
	for _, res := range []schema.GroupVersionResource{replicaSetsResource, statefulSetResource} {
		u, err := dyn.Resource(res).Namespace(ns).Get(ctx, owner, metav1.GetOptions{})
		if err != nil {
			continue // not this kind of owner, or not readable: the window keeps no target
		}
		labels, _, _ := unstructured.NestedStringMap(u.Object, "spec", "template", "metadata", "labels")
		if t := labels[ComponentLabel]; t != "" {
			return t
		}
	}
	return ""
}
