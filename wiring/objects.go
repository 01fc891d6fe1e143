// Package wiring proves that the lab's parts are wired to each other, from the objects that the lab
// declares, with no data plane: every in-cluster address resolves to a Service with a port and a pod behind
// it, the collector's pipelines are complete, Prometheus' scrape jobs find the producers that the dashboards
// rely on, every enabled chaos scenario selects pods, and every metric of the dashboards' catalog has a
// producer. The same checks run on objects rendered offline (Render) and on a live cluster (FromCluster).
package wiring

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Objects is a set of Kubernetes objects of the lab, in unstructured form.
type Objects struct {
	Items []*unstructured.Unstructured
	// Source says where the objects come from: "rendered" or "cluster".
	Source string
}

// Add appends an object given as a plain map (any JSON-compatible numbers). It is normalised through JSON,
// so that every object has the same number types whatever its origin.
func (o *Objects) Add(m map[string]any) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(data); err != nil {
		return err
	}
	o.Items = append(o.Items, u)
	return nil
}

// DeepCopy copies the set, for tests that break one object without touching the original.
func (o *Objects) DeepCopy() *Objects {
	out := &Objects{Source: o.Source, Items: make([]*unstructured.Unstructured, len(o.Items))}
	for i, u := range o.Items {
		out.Items[i] = u.DeepCopy()
	}
	return out
}

// Get returns the object of that kind, namespace and name, or nil.
func (o *Objects) Get(kind, namespace, name string) *unstructured.Unstructured {
	for _, u := range o.Items {
		if u.GetKind() == kind && u.GetNamespace() == namespace && u.GetName() == name {
			return u
		}
	}
	return nil
}

// OfKind returns the objects of one kind, in their order.
func (o *Objects) OfKind(kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, u := range o.Items {
		if u.GetKind() == kind {
			out = append(out, u)
		}
	}
	return out
}

// Sort orders the objects by kind, namespace and name, so that findings come out in a stable order.
func (o *Objects) Sort() {
	sort.SliceStable(o.Items, func(i, j int) bool {
		a, b := o.Items[i], o.Items[j]
		if a.GetKind() != b.GetKind() {
			return a.GetKind() < b.GetKind()
		}
		if a.GetNamespace() != b.GetNamespace() {
			return a.GetNamespace() < b.GetNamespace()
		}
		return a.GetName() < b.GetName()
	})
}

// ref names an object the way findings do: Kind namespace/name.
func ref(u *unstructured.Unstructured) string {
	if u.GetNamespace() == "" {
		return u.GetKind() + " " + u.GetName()
	}
	return fmt.Sprintf("%s %s/%s", u.GetKind(), u.GetNamespace(), u.GetName())
}

// workload is a pod template of a Deployment, StatefulSet or DaemonSet (or a bare Pod), decoded.
type workload struct {
	obj      *unstructured.Unstructured
	template corev1.PodTemplateSpec
	// replicas is the number of pods; -1 for a DaemonSet (one per node).
	replicas int
	// path is the field path of the pod template in obj: spec.template, or "" for a Pod.
	path string
}

func (w *workload) ref() string { return ref(w.obj) }

// workloads decodes every pod template of the set.
func (o *Objects) workloads() []*workload {
	var out []*workload
	for _, u := range o.Items {
		w := &workload{obj: u, path: "spec.template", replicas: 1}
		switch u.GetKind() {
		case "Deployment", "StatefulSet":
			if r, found, _ := unstructured.NestedInt64(u.Object, "spec", "replicas"); found {
				w.replicas = int(r)
			}
		case "DaemonSet":
			w.replicas = -1
		default:
			continue
		}
		tmpl, _, _ := unstructured.NestedMap(u.Object, "spec", "template")
		if err := fromMap(tmpl, &w.template); err != nil {
			continue
		}
		out = append(out, w)
	}
	return out
}

// service is a decoded Service.
type service struct {
	obj  *unstructured.Unstructured
	spec corev1.ServiceSpec
}

func (o *Objects) services() []*service {
	var out []*service
	for _, u := range o.OfKind("Service") {
		s := &service{obj: u}
		spec, _, _ := unstructured.NestedMap(u.Object, "spec")
		if err := fromMap(spec, &s.spec); err != nil {
			continue
		}
		out = append(out, s)
	}
	return out
}

// fromMap decodes an unstructured map into a typed value through JSON.
func fromMap(m map[string]any, into any) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, into)
}

// selects says whether a label selector (matchLabels form) selects the labels. An empty selector selects
// nothing, as a Service's empty selector does.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func formatSelector(selector map[string]string) string {
	keys := make([]string, 0, len(selector))
	for k := range selector {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + selector[k]
	}
	return strings.Join(parts, ",")
}
