package cluster

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment"
)

var lab = Lab{
	ShopNamespace: "otel-demo",
	Namespaces:    []string{"otel-demo", "observability"},
	Prometheus:    Service{Namespace: "observability", Name: "prometheus-server", Port: 80},
}

func int32p(i int32) *int32 { return &i }

// served is what discovery says Chaos Mesh serves (a subset, as an older chart would).
var served = []string{"schedules", "workflows", "workflownodes", "statuschecks", "podchaos", "networkchaos", "podchaos/status"}

func newFakeCluster(t *testing.T, objs ...runtime.Object) (*Cluster, *fake.Clientset, *dynamicfake.FakeDynamicClient) {
	t.Helper()
	client := fake.NewClientset(objs...)
	var resources []metav1.APIResource
	for _, r := range served {
		resources = append(resources, metav1.APIResource{Name: r, Namespaced: true, Kind: chaosKinds[strings.Split(r, "/")[0]]})
	}
	client.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{{GroupVersion: "chaos-mesh.org/v1alpha1", APIResources: resources}}
	listKinds := map[schema.GroupVersionResource]string{}
	for res, kind := range chaosKinds {
		listKinds[gvr(res)] = kind + "List"
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds)
	return NewWithClients(nil, client, dyn, lab), client, dyn
}

func TestUnreadyNamesEachWorkloadThatIsNotAvailable(t *testing.T) {
	objs := []runtime.Object{
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "checkout", Namespace: "otel-demo", Generation: 2},
			Spec:   appsv1.DeploymentSpec{Replicas: int32p(1)},
			Status: appsv1.DeploymentStatus{AvailableReplicas: 1, UpdatedReplicas: 1, ObservedGeneration: 2}},
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: "otel-demo", Generation: 1},
			Spec:   appsv1.DeploymentSpec{Replicas: int32p(2)},
			Status: appsv1.DeploymentStatus{AvailableReplicas: 1, UpdatedReplicas: 2, ObservedGeneration: 1}},
		&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "kafka", Namespace: "otel-demo"},
			Spec: appsv1.StatefulSetSpec{Replicas: int32p(1)}, Status: appsv1.StatefulSetStatus{ReadyReplicas: 0}},
		&appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "chaos-daemon", Namespace: "otel-demo"},
			Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: 1, NumberAvailable: 1}},
	}
	c, _, _ := newFakeCluster(t, objs...)
	problems, checked, err := c.Unready(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Deployment otel-demo/cart: 1 of 2 available",
		"StatefulSet otel-demo/kafka: 0 of 1 ready",
		"namespace observability: no workload at all",
	}
	if !slices.Equal(problems, want) || checked != 4 {
		t.Errorf("problems %q (checked %d), want %q (4)", problems, checked, want)
	}
}

func chaos(kind, name string, labels map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "chaos-mesh.org/v1alpha1", "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": "otel-demo"},
	}}
	u.SetLabels(labels)
	return u
}

func TestChaosObjectsListsEveryServedKindInTheShopNamespace(t *testing.T) {
	c, _, dyn := newFakeCluster(t)
	ctx := context.Background()
	for res, u := range map[string]*unstructured.Unstructured{
		"schedules": chaos("Schedule", "checkout-pod-kill", nil),
		"podchaos":  chaos("PodChaos", "checkout-pod-kill-abc", map[string]string{"managed-by": "checkout-pod-kill"}),
	} {
		if _, err := dyn.Resource(gvr(res)).Namespace("otel-demo").Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.ChaosObjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"PodChaos/otel-demo/checkout-pod-kill-abc", "Schedule/otel-demo/checkout-pod-kill"}
	if !slices.Equal(got, want) {
		t.Errorf("ChaosObjects = %v, want %v", got, want)
	}
}

func TestChaosObjectsSaysWhenChaosMeshIsNotInstalled(t *testing.T) {
	c, client, _ := newFakeCluster(t)
	client.Discovery().(*fakediscovery.FakeDiscovery).Resources = nil
	if _, err := c.ChaosObjects(context.Background()); err == nil || !strings.Contains(err.Error(), "Chaos Mesh's CRDs (chaos-mesh.org/v1alpha1) are not installed") {
		t.Errorf("err = %v", err)
	}
}

// observations collects what the watch sends.
type observations struct {
	mu   sync.Mutex
	list []experiment.Observation
}

func (o *observations) add(ob experiment.Observation) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.list = append(o.list, ob)
}

func (o *observations) waitFor(t *testing.T, what string, match func(experiment.Observation) bool) experiment.Observation {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		o.mu.Lock()
		for _, ob := range o.list {
			if match(ob) {
				o.mu.Unlock()
				return ob
			}
		}
		o.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no observation: %s", what)
	return experiment.Observation{}
}

func TestWatchReportsChaosObjectsAndFreshEventsAsTheyChange(t *testing.T) {
	start := time.Now()
	old := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "old", Namespace: "otel-demo"}, Type: "Warning", Reason: "Failed",
		InvolvedObject: corev1.ObjectReference{Kind: "Schedule", Name: "checkout-pod-kill"}, LastTimestamp: metav1.NewTime(start.Add(-time.Hour))}
	c, client, dyn := newFakeCluster(t, old)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got observations
	if err := c.Watch(ctx, got.add); err != nil {
		t.Fatal(err)
	}

	podchaos := dyn.Resource(gvr("podchaos")).Namespace("otel-demo")
	u := chaos("PodChaos", "checkout-pod-kill-abc", map[string]string{"managed-by": "checkout-pod-kill"})
	if _, err := podchaos.Create(ctx, u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	got.waitFor(t, "PodChaos added", func(o experiment.Observation) bool {
		return o.Type == experiment.Added && o.Object.GetKind() == "PodChaos" && o.Object.GetName() == "checkout-pod-kill-abc"
	})
	u.Object["status"] = map[string]any{"experiment": map[string]any{"desiredPhase": "Stop"}}
	if _, err := podchaos.Update(ctx, u, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	got.waitFor(t, "PodChaos updated with its status", func(o experiment.Observation) bool {
		phase, _, _ := unstructured.NestedString(o.Object.Object, "status", "experiment", "desiredPhase")
		return o.Type == experiment.Updated && phase == "Stop"
	})
	if err := podchaos.Delete(ctx, u.GetName(), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deleted := got.waitFor(t, "PodChaos deleted", func(o experiment.Observation) bool { return o.Type == experiment.Deleted })
	if phase, _, _ := unstructured.NestedString(deleted.Object.Object, "status", "experiment", "desiredPhase"); phase != "Stop" {
		t.Errorf("a deletion does not carry the object's last state: %v", deleted.Object.Object)
	}

	fresh := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "fresh", Namespace: "otel-demo"}, Type: "Warning", Reason: "Failed",
		Message: "Failed to apply chaos", InvolvedObject: corev1.ObjectReference{Kind: "PodChaos", Name: "checkout-pod-kill-abc"},
		LastTimestamp: metav1.NewTime(time.Now())}
	if _, err := client.CoreV1().Events("otel-demo").Create(ctx, fresh, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	got.waitFor(t, "fresh event", func(o experiment.Observation) bool { return o.Type == experiment.Event && o.Event.Name == "fresh" })
	got.mu.Lock()
	defer got.mu.Unlock()
	for _, o := range got.list {
		if o.Type == experiment.Event && o.Event.Name == "old" {
			t.Errorf("an event from before the watch was sent: it belongs to an earlier object of that name")
		}
	}
}

func TestRestConfigTakesAPathOrTheContentsOfAKubeconfig(t *testing.T) {
	contents := `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "https://a.example:6443"}
- name: b
  cluster: {server: "https://b.example:6443"}
contexts:
- name: a
  context: {cluster: a, user: u}
- name: b
  context: {cluster: b, user: u}
current-context: a
users:
- name: u
  user: {token: t}
`
	cfg, err := restConfig(contents, "b")
	if err != nil || cfg.Host != "https://b.example:6443" {
		t.Fatalf("contents with context b: %v %v", cfg, err)
	}
	path := t.TempDir() + "/kubeconfig"
	if err := writeFile(path, contents); err != nil {
		t.Fatal(err)
	}
	cfg, err = restConfig(path, "")
	if err != nil || cfg.Host != "https://a.example:6443" {
		t.Fatalf("path with the current context: %v %v", cfg, err)
	}
	if _, err := restConfig(path, "nope"); err == nil {
		t.Errorf("an unknown context is accepted")
	}
}
