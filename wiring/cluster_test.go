package wiring

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

// TestFromClusterFake serves the rendered lab (plus a node, and an object that a Schedule spawned) from a
// fake dynamic client, reads it back with the live-cluster path and checks it: the same result as offline.
func TestFromClusterFake(t *testing.T) {
	rendered := lab(t).DeepCopy()
	listKinds := map[schema.GroupVersionResource]string{}
	var objects []runtime.Object
	for _, u := range rendered.Items {
		objects = append(objects, u)
	}
	for _, gvr := range append(namespacedKinds,
		schema.GroupVersionResource{Version: "v1", Resource: "namespaces"},
		schema.GroupVersionResource{Version: "v1", Resource: "nodes"}) {
		kind := map[string]string{
			"configmaps": "ConfigMap", "services": "Service", "deployments": "Deployment", "statefulsets": "StatefulSet",
			"daemonsets": "DaemonSet", "schedules": "Schedule", "workflows": "Workflow", "podchaos": "PodChaos",
			"networkchaos": "NetworkChaos", "httpchaos": "HTTPChaos", "stresschaos": "StressChaos",
			"namespaces": "Namespace", "nodes": "Node",
		}[gvr.Resource]
		listKinds[gvr] = kind + "List"
	}
	node := &Objects{}
	_ = node.Add(map[string]any{"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": "kwok-node-0"}})
	spawned := &Objects{}
	_ = spawned.Add(map[string]any{"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "PodChaos",
		"metadata": map[string]any{"name": "checkout-pod-kill-x", "namespace": "otel-demo",
			"ownerReferences": []any{map[string]any{"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "Schedule", "name": "checkout-pod-kill", "uid": "u"}}},
		"spec": map[string]any{"action": "pod-kill", "mode": "one", "selector": map[string]any{"labelSelectors": map[string]any{"app": "nothing"}}}})
	objects = append(objects, node.Items[0], spawned.Items[0])

	client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds, objects...)
	live, err := fromClient(context.Background(), client)
	if err != nil {
		t.Fatal(err)
	}
	if live.Get("Node", "", "kwok-node-0") == nil || live.Get("PodChaos", "otel-demo", "checkout-pod-kill-x") != nil {
		t.Fatal("nodes must be read and spawned chaos objects left out")
	}
	r := Check(live, Options{SkipPromtool: true})
	for _, f := range r.Findings {
		t.Error(f)
	}
	for _, n := range r.Notes {
		if strings.Contains(n, "nodes are not objects") {
			t.Errorf("with nodes listed, the cAdvisor note must not appear: %s", n)
		}
	}
	if len(r.Blast) != len(CheckScenariosOf(rendered).Blast) {
		t.Errorf("live blast radius has %d rows, rendered %d", len(r.Blast), len(CheckScenariosOf(rendered).Blast))
	}
}
