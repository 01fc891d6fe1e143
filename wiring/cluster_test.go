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
	resources := map[string]schema.GroupVersionResource{} // kind -> resource
	for _, gvr := range append(namespacedKinds,
		schema.GroupVersionResource{Version: "v1", Resource: "namespaces"},
		schema.GroupVersionResource{Version: "v1", Resource: "nodes"}) {
		kinds := map[string]string{
			"configmaps": "ConfigMap", "services": "Service", "deployments": "Deployment", "statefulsets": "StatefulSet",
			"daemonsets": "DaemonSet", "schedules": "Schedule", "workflows": "Workflow",
			"namespaces": "Namespace", "nodes": "Node",
		}
		for _, k := range chaosSpecKinds {
			kinds[strings.ToLower(k)] = k
		}
		kind, ok := kinds[gvr.Resource]
		if !ok {
			t.Fatalf("no kind for %s", gvr.Resource)
		}
		listKinds[gvr] = kind + "List"
		resources[kind] = gvr
	}
	objects := rendered.Items
	node := &Objects{}
	mustAdd(t, node, map[string]any{"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": "kwok-node-0"}})
	spawned := &Objects{}
	mustAdd(t, spawned, map[string]any{"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "PodChaos",
		"metadata": map[string]any{"name": "checkout-pod-kill-x", "namespace": "otel-demo",
			"ownerReferences": []any{map[string]any{"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "Schedule", "name": "checkout-pod-kill", "uid": "u"}}},
		"spec": map[string]any{"action": "pod-kill", "mode": "one", "selector": map[string]any{"labelSelectors": map[string]any{"app": "nothing"}}}})
	// A chaos object that is a scenario of its own (no owner), of a kind outside Schedules' usual PodChaos:
	// the live path must read it, and it adds one row to the blast radius.
	standalone := &Objects{}
	mustAdd(t, standalone, map[string]any{"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "IOChaos",
		"metadata": map[string]any{"name": "standalone-io", "namespace": "otel-demo"},
		"spec": map[string]any{"action": "latency", "mode": "one", "delay": "10ms", "volumePath": "/tmp",
			"selector": map[string]any{"namespaces": []any{"otel-demo"}, "labelSelectors": map[string]any{"app.kubernetes.io/name": "checkout"}}}})
	objects = append(objects, node.Items[0], spawned.Items[0], standalone.Items[0])

	// Objects go in under Chaos Mesh's real resource names (podchaos, iochaos): the fake's own guess from
	// the kind would be a plural (iochaoses) that no client lists.
	client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds)
	for _, u := range objects {
		gvr, ok := resources[u.GetKind()]
		if !ok {
			continue // kinds that FromCluster does not read
		}
		if err := client.Tracker().Create(gvr, u, u.GetNamespace()); err != nil {
			t.Fatal(err)
		}
	}
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
	if want := len(CheckScenariosOf(rendered).Blast) + 1; len(r.Blast) != want {
		t.Errorf("live blast radius has %d rows, want the rendered %d plus the standalone IOChaos", len(r.Blast), want-1)
	}
	found := false
	for _, b := range r.Blast {
		if strings.Contains(b.Object, "standalone-io") {
			found = b.Pods > 0
		}
	}
	if !found {
		t.Errorf("the standalone IOChaos must be in the blast radius with the pods it selects: %+v", r.Blast)
	}
}

func mustAdd(t *testing.T, objs *Objects, obj map[string]any) {
	t.Helper()
	if err := objs.Add(obj); err != nil {
		t.Fatal(err)
	}
}
