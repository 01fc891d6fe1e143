package wiring

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
)

// LabNamespaces are the namespaces whose objects FromCluster reads.
var LabNamespaces = []string{apps.AstronomyShop.Namespace, components.ChaosNamespace, components.ObservabilityNamespace}

// namespacedKinds are the kinds that the checks read, per namespace: the workloads and their Services and
// ConfigMaps, Schedules and Workflows, and every chaos kind that the scenario check understands (a chaos
// object can be a scenario of its own, outside a Schedule or Workflow). Chaos Mesh kinds that are absent
// (CRDs not installed) are skipped.
var namespacedKinds = func() []schema.GroupVersionResource {
	out := []schema.GroupVersionResource{
		{Version: "v1", Resource: "configmaps"},
		{Version: "v1", Resource: "services"},
		{Group: "apps", Version: "v1", Resource: "deployments"},
		{Group: "apps", Version: "v1", Resource: "statefulsets"},
		{Group: "apps", Version: "v1", Resource: "daemonsets"},
		{Group: "chaos-mesh.org", Version: "v1alpha1", Resource: "schedules"},
		{Group: "chaos-mesh.org", Version: "v1alpha1", Resource: "workflows"},
	}
	// Chaos Mesh's resource names are its kinds in lower case (podchaos, iochaos, ...).
	for _, kind := range slices.Sorted(maps.Values(chaosSpecKinds)) {
		out = append(out, schema.GroupVersionResource{Group: "chaos-mesh.org", Version: "v1alpha1", Resource: strings.ToLower(kind)})
	}
	return out
}()

// FromCluster reads the lab's objects from a live cluster, so that Check runs on what `pulumi up`
// really created: the lab's Namespaces and the cluster's Nodes, and in each lab namespace its ConfigMaps,
// Services, Deployments, StatefulSets, DaemonSets and Chaos Mesh objects. Chaos objects that a Schedule or
// Workflow spawned (they have an owner) are left out, so that the blast radius counts each scenario once.
// kubeconfig is a kubeconfig file's path, or its YAML content; empty uses the default loading rules
// (KUBECONFIG, ~/.kube/config).
func FromCluster(ctx context.Context, kubeconfig string) (*Objects, error) {
	cfg, err := restConfig(kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return fromClient(ctx, client)
}

func fromClient(ctx context.Context, client dynamic.Interface) (*Objects, error) {
	objs := &Objects{Source: "cluster"}
	keep := func(u *unstructured.Unstructured) {
		u.SetManagedFields(nil)
		delete(u.Object, "status")
		objs.Items = append(objs.Items, u)
	}
	nsList, err := client.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing namespaces: %w", err)
	}
	for i := range nsList.Items {
		for _, lab := range LabNamespaces {
			if nsList.Items[i].GetName() == lab {
				keep(&nsList.Items[i])
			}
		}
	}
	nodes, err := client.Resource(schema.GroupVersionResource{Version: "v1", Resource: "nodes"}).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	for i := range nodes.Items {
		n := &nodes.Items[i]
		n.SetManagedFields(nil)
		objs.Items = append(objs.Items, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": n.GetAPIVersion(), "kind": n.GetKind(),
			"metadata": map[string]any{"name": n.GetName(), "labels": toAnyMap(n.GetLabels())},
		}})
	}
	for _, ns := range LabNamespaces {
		for _, gvr := range namespacedKinds {
			list, err := client.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) && gvr.Group == "chaos-mesh.org" {
					continue
				}
				return nil, fmt.Errorf("listing %s in %s: %w", gvr.Resource, ns, err)
			}
			for i := range list.Items {
				u := &list.Items[i]
				if gvr.Group == "chaos-mesh.org" && len(u.GetOwnerReferences()) > 0 {
					continue
				}
				keep(u)
			}
		}
	}
	objs.Sort()
	return objs, nil
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	switch {
	case strings.Contains(kubeconfig, "apiVersion:") || strings.Contains(kubeconfig, "clusters:"):
		return clientcmd.RESTConfigFromKubeConfig([]byte(kubeconfig))
	case kubeconfig != "":
		return clientcmd.BuildConfigFromFlags("", kubeconfig)
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
}

func toAnyMap(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}
