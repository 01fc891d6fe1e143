//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
)

// LabNamespaces are the namespaces that the default lab (the shop, no Istio) owns, from their one home.
var LabNamespaces = components.LabNamespaces(apps.AstronomyShop.Namespace, false)

var (
	scheduleGVR = schema.GroupVersionResource{Group: "chaos-mesh.org", Version: "v1alpha1", Resource: "schedules"}
	workflowGVR = schema.GroupVersionResource{Group: "chaos-mesh.org", Version: "v1alpha1", Resource: "workflows"}
	crdGVR      = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
)

// Chaos Mesh's annotations for pausing a Schedule and aborting a Workflow.
const (
	PauseAnnotation = "experiment.chaos-mesh.org/pause"
	AbortAnnotation = "workflow.chaos-mesh.org/abort"
)

// ChaosObject is a Schedule or Workflow found in the cluster.
type ChaosObject struct {
	Kind, Namespace, Name string
	Annotations           map[string]string
	ResourceVersion       string
}

func (o ChaosObject) String() string { return o.Kind + "/" + o.Namespace + "/" + o.Name }

// ChaosObjects lists every Schedule and Workflow in ns ("" = all namespaces). A missing CRD counts as none.
func (c *Cluster) ChaosObjects(ctx context.Context, ns string) ([]ChaosObject, error) {
	var out []ChaosObject
	for kind, gvr := range map[string]schema.GroupVersionResource{"Schedule": scheduleGVR, "Workflow": workflowGVR} {
		list, err := c.Dynamic.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", gvr.Resource, err)
		}
		for _, item := range list.Items {
			out = append(out, ChaosObject{
				Kind: kind, Namespace: item.GetNamespace(), Name: item.GetName(),
				Annotations: item.GetAnnotations(), ResourceVersion: item.GetResourceVersion(),
			})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out, nil
}

// ChaosCRDs returns the chaos-mesh.org CRDs and, for each, whether it is Established.
func (c *Cluster) ChaosCRDs(ctx context.Context) (map[string]bool, error) {
	list, err := c.Dynamic.Resource(crdGVR).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, item := range list.Items {
		group, _, _ := unstructured.NestedString(item.Object, "spec", "group")
		if group != "chaos-mesh.org" {
			continue
		}
		conds, _, _ := unstructured.NestedSlice(item.Object, "status", "conditions")
		established := false
		for _, cond := range conds {
			m, _ := cond.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				established = true
			}
		}
		out[item.GetName()] = established
	}
	return out, nil
}

// NotAvailable lists every Deployment, StatefulSet and DaemonSet in the namespaces that is not fully
// available, with the reason; an empty result with found > 0 means all are.
func (c *Cluster) NotAvailable(ctx context.Context, namespaces []string) (problems []string, found int, err error) {
	for _, ns := range namespaces {
		deps, err := c.Client.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, 0, err
		}
		for _, d := range deps.Items {
			found++
			want := int32(1)
			if d.Spec.Replicas != nil {
				want = *d.Spec.Replicas
			}
			if d.Status.AvailableReplicas < want || d.Status.UpdatedReplicas < want || d.Status.ObservedGeneration < d.Generation {
				problems = append(problems, fmt.Sprintf("Deployment %s/%s: %d/%d available", ns, d.Name, d.Status.AvailableReplicas, want))
			}
		}
		sts, err := c.Client.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, 0, err
		}
		for _, s := range sts.Items {
			found++
			want := int32(1)
			if s.Spec.Replicas != nil {
				want = *s.Spec.Replicas
			}
			if s.Status.AvailableReplicas < want || s.Status.ReadyReplicas < want {
				problems = append(problems, fmt.Sprintf("StatefulSet %s/%s: %d/%d ready", ns, s.Name, s.Status.ReadyReplicas, want))
			}
		}
		dss, err := c.Client.AppsV1().DaemonSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, 0, err
		}
		for _, s := range dss.Items {
			found++
			if s.Status.DesiredNumberScheduled == 0 || s.Status.NumberAvailable < s.Status.DesiredNumberScheduled {
				problems = append(problems, fmt.Sprintf("DaemonSet %s/%s: %d/%d available", ns, s.Name, s.Status.NumberAvailable, s.Status.DesiredNumberScheduled))
			}
		}
	}
	return problems, found, nil
}

// PodsNotRunning lists the pods of the namespaces that are not Running and Ready on the kwok node (pods of
// finished Jobs, phase Succeeded, are fine).
func (c *Cluster) PodsNotRunning(ctx context.Context, namespaces []string) (problems []string, pods int, err error) {
	for _, ns := range namespaces {
		list, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, 0, err
		}
		for _, p := range list.Items {
			pods++
			switch {
			case p.Status.Phase == corev1.PodSucceeded:
			case p.Spec.NodeName != NodeName:
				problems = append(problems, fmt.Sprintf("pod %s/%s not scheduled (%s)", ns, p.Name, podScheduledMessage(&p)))
			case p.Status.Phase != corev1.PodRunning || !podReady(&p):
				problems = append(problems, fmt.Sprintf("pod %s/%s %s", ns, p.Name, p.Status.Phase))
			}
		}
	}
	return problems, pods, nil
}

func podScheduledMessage(p *corev1.Pod) string {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			return c.Reason + ": " + c.Message
		}
	}
	return "no PodScheduled condition"
}

// DashboardConfigMaps returns "ns/name" of the ConfigMaps in ns that hold Grafana dashboards: at least one
// key `<uid>.json` whose JSON has that uid.
func (c *Cluster) DashboardConfigMaps(ctx context.Context, ns string) ([]string, error) {
	list, err := c.Client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, cm := range list.Items {
		for key, val := range cm.Data {
			uid, ok := strings.CutSuffix(key, ".json")
			if !ok {
				continue
			}
			var dash struct {
				UID    string `json:"uid"`
				Panels []any  `json:"panels"`
			}
			if json.Unmarshal([]byte(val), &dash) == nil && dash.UID == uid {
				out = append(out, ns+"/"+cm.Name)
				break
			}
		}
	}
	return out, nil
}

// HelmReleases lists the Helm release records (Secrets of type helm.sh/release.v1) in all namespaces.
func (c *Cluster) HelmReleases(ctx context.Context) ([]string, error) {
	list, err := c.Client.CoreV1().Secrets("").List(ctx, metav1.ListOptions{FieldSelector: "type=helm.sh/release.v1"})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range list.Items {
		out = append(out, s.Namespace+"/"+s.Name)
	}
	return out, nil
}

// ClusterScoped lists the names of the cluster-scoped objects a chart may leave behind.
func (c *Cluster) ClusterScoped(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	gvrs := []schema.GroupVersionResource{
		crdGVR,
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"},
		{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations"},
		{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingwebhookconfigurations"},
		{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicies"},
		{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicybindings"},
		{Group: "scheduling.k8s.io", Version: "v1", Resource: "priorityclasses"},
		{Group: "storage.k8s.io", Version: "v1", Resource: "storageclasses"},
		{Group: "", Version: "v1", Resource: "namespaces"},
		{Group: "", Version: "v1", Resource: "persistentvolumes"},
	}
	for _, gvr := range gvrs {
		list, err := c.Dynamic.Resource(gvr).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", gvr.Resource, err)
		}
		for _, item := range list.Items {
			out[gvr.Resource+"/"+item.GetName()] = true
		}
	}
	return out, nil
}

// Footprint sums the resources of every container (init containers excluded) of every pod in the
// namespaces, as read from the live cluster.
type Footprint struct {
	Pods, Unscheduled                     int
	CPURequests, MemRequests, MemLimits   resource.Quantity
	CPULimits                             resource.Quantity
	ContainersWithoutMemLimit, Containers int
	UnscheduledPods                       []string
}

func (c *Cluster) Footprint(ctx context.Context, namespaces []string) (Footprint, error) {
	var f Footprint
	for _, ns := range namespaces {
		list, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return f, err
		}
		for _, p := range list.Items {
			if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
				continue // finished Job pods hold no resources
			}
			f.Pods++
			if p.Spec.NodeName == "" {
				f.Unscheduled++
				f.UnscheduledPods = append(f.UnscheduledPods, ns+"/"+p.Name+" ("+podScheduledMessage(&p)+")")
			}
			for _, ctr := range p.Spec.Containers {
				f.Containers++
				if q, ok := ctr.Resources.Requests[corev1.ResourceCPU]; ok {
					f.CPURequests.Add(q)
				}
				if q, ok := ctr.Resources.Limits[corev1.ResourceCPU]; ok {
					f.CPULimits.Add(q)
				}
				if q, ok := ctr.Resources.Requests[corev1.ResourceMemory]; ok {
					f.MemRequests.Add(q)
				}
				if q, ok := ctr.Resources.Limits[corev1.ResourceMemory]; ok {
					f.MemLimits.Add(q)
				} else {
					f.ContainersWithoutMemLimit++
				}
			}
		}
	}
	return f, nil
}

// MiB renders a quantity in MiB.
func MiB(q resource.Quantity) string { return fmt.Sprintf("%.0f MiB", float64(q.Value())/(1<<20)) }
