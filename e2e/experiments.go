//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

// chaosGVR is the GroupVersionResource of a chaos-mesh.org resource (podchaos, schedules, workflownodes ...).
func chaosGVR(resource string) schema.GroupVersionResource {
	return report.ChaosGroupVersion.WithResource(resource)
}

// Experiment is one chaos object (PodChaos, StressChaos ...) that Chaos Mesh spawned, as its status tells.
type Experiment struct {
	Kind, Name   string
	Labels       map[string]string
	Annotations  map[string]string
	Created      time.Time
	DesiredPhase v1alpha1.DesiredPhase
	// Applied and Recovered are the times of the successful Apply and Recover events of its records.
	Applied, Recovered []time.Time
	// Failures are the messages of its records' Failed events.
	Failures []string
	// Injected is true while some record is in phase Injected.
	Injected bool
	// Targets are its records' ids (namespace/pod for pod faults).
	Targets []string
	// Deleting is true once its deletion has started; Finalizers and Owners ("Kind/name") are its metadata's.
	Deleting   bool
	Finalizers []string
	Owners     []string
	// SelectorLabels are its spec.selector's label selectors.
	SelectorLabels map[string]string
}

// State is the experiment with what holds it: whether it is being deleted, its finalizers and its owners.
func (e Experiment) State() string {
	return fmt.Sprintf("%s (deleting=%v, finalizers %v, owners %v, annotations %v)", e, e.Deleting, e.Finalizers, e.Owners, e.Annotations)
}

func (e Experiment) String() string { return e.Kind + "/" + e.Name }

// Paused reports whether Chaos Mesh's pause annotation is set on it.
func (e Experiment) Paused() bool { return e.Annotations[PauseAnnotation] == "true" }

// Experiments lists the chaos objects of every kind that carries records in ns that match the label selector.
func (c *Cluster) Experiments(ctx context.Context, ns, selector string) ([]Experiment, error) {
	var out []Experiment
	for _, res := range report.ChaosResources {
		list, err := c.Dynamic.Resource(chaosGVR(res)).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", res, err)
		}
		for i := range list.Items {
			e, err := experimentOf(&list.Items[i])
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

func experimentOf(u *unstructured.Unstructured) (Experiment, error) {
	e := Experiment{Kind: u.GetKind(), Name: u.GetName(), Labels: u.GetLabels(), Annotations: u.GetAnnotations(),
		Created: u.GetCreationTimestamp().Time, Deleting: u.GetDeletionTimestamp() != nil, Finalizers: u.GetFinalizers()}
	for _, o := range u.GetOwnerReferences() {
		e.Owners = append(e.Owners, o.Kind+"/"+o.Name)
	}
	e.SelectorLabels, _, _ = unstructured.NestedStringMap(u.Object, "spec", "selector", "labelSelectors")
	raw, found, _ := unstructured.NestedMap(u.Object, "status")
	if !found {
		return e, nil
	}
	var st v1alpha1.ChaosStatus
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &st); err != nil {
		return e, fmt.Errorf("%s: status: %w", e, err)
	}
	e.DesiredPhase = st.Experiment.DesiredPhase
	for _, rec := range st.Experiment.Records {
		if rec == nil {
			continue
		}
		if rec.Phase == v1alpha1.Injected {
			e.Injected = true
		}
		e.Targets = append(e.Targets, rec.Id)
		for _, ev := range rec.Events {
			switch {
			case ev.Type == v1alpha1.TypeFailed:
				e.Failures = append(e.Failures, string(ev.Operation)+": "+ev.Message)
			case ev.Timestamp == nil:
			case ev.Operation == v1alpha1.Apply:
				e.Applied = append(e.Applied, ev.Timestamp.Time)
			case ev.Operation == v1alpha1.Recover:
				e.Recovered = append(e.Recovered, ev.Timestamp.Time)
			}
		}
	}
	return e, nil
}

// ScheduleChildren are the experiments a Schedule spawned (label managed-by=<schedule>).
func (c *Cluster) ScheduleChildren(ctx context.Context, ns, schedule string) ([]Experiment, error) {
	return c.Experiments(ctx, ns, v1alpha1.LabelManagedBy+"="+schedule)
}

// WorkflowRun is a Workflow's progress as Chaos Mesh records it: the nodes it created (one per template it
// reached) and whether its entry node was aborted or accomplished.
type WorkflowRun struct {
	Name         string
	Annotations  map[string]string
	Aborted      bool
	Accomplished bool
	// Templates maps each template name the workflow reached to the creation time of its node.
	Templates map[string]time.Time
}

// Workflow reads a Workflow and its WorkflowNodes.
func (c *Cluster) Workflow(ctx context.Context, ns, name string) (WorkflowRun, error) {
	run := WorkflowRun{Name: name, Templates: map[string]time.Time{}}
	wf, err := c.Dynamic.Resource(workflowGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return run, err
	}
	run.Annotations = wf.GetAnnotations()
	entry, _, _ := unstructured.NestedString(wf.Object, "spec", "entry")
	nodes, err := c.Dynamic.Resource(chaosGVR("workflownodes")).Namespace(ns).List(ctx,
		metav1.ListOptions{LabelSelector: v1alpha1.LabelWorkflow + "=" + name})
	if err != nil {
		return run, err
	}
	for i := range nodes.Items {
		var node v1alpha1.WorkflowNode
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(nodes.Items[i].Object, &node); err != nil {
			return run, fmt.Errorf("workflow node %s: %w", nodes.Items[i].GetName(), err)
		}
		run.Templates[node.Spec.TemplateName] = node.CreationTimestamp.Time
		if node.Spec.TemplateName != entry {
			continue
		}
		for _, cond := range node.Status.Conditions {
			switch {
			case cond.Type == v1alpha1.ConditionAborted && cond.Status == corev1.ConditionTrue:
				run.Aborted = true
			case cond.Type == v1alpha1.ConditionAccomplished && cond.Status == corev1.ConditionTrue:
				run.Accomplished = true
			}
		}
	}
	return run, nil
}

// Events returns the events about one object of ns, oldest first.
func (c *Cluster) Events(ctx context.Context, ns, kind, name string) ([]corev1.Event, error) {
	sel := fields.Set{"involvedObject.name": name, "involvedObject.kind": kind}.AsSelector().String()
	list, err := c.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		return nil, err
	}
	sort.Slice(list.Items, func(i, j int) bool { return eventTime(list.Items[i]).Before(eventTime(list.Items[j])) })
	return list.Items, nil
}

func eventTime(e corev1.Event) time.Time {
	if !e.LastTimestamp.IsZero() {
		return e.LastTimestamp.Time
	}
	return e.EventTime.Time
}

// describeEvents renders events as `kubectl describe` shows them.
func describeEvents(events []corev1.Event) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "  %s  %s  %s\n", e.Type, e.Reason, e.Message)
	}
	return b.String()
}
