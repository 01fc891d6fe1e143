//go:build e2e

package e2e

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// BoutiqueNamespaces are the namespaces of a stack with app: online-boutique and istio: true.
var BoutiqueNamespaces = components.LabNamespaces(apps.OnlineBoutique.Namespace, true)

var virtualServiceGVR = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}

// VirtualServices lists every Istio VirtualService in ns ("" = all); a missing CRD counts as none.
func (c *Cluster) VirtualServices(ctx context.Context, ns string) ([]unstructured.Unstructured, error) {
	list, err := c.Dynamic.Resource(virtualServiceGVR).Namespace(ns).List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

// IstioCRDs lists the names of the CRDs of Istio's API groups (*.istio.io).
func (c *Cluster) IstioCRDs(ctx context.Context) ([]string, error) {
	list, err := c.Dynamic.Resource(crdGVR).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, item := range list.Items {
		if strings.HasSuffix(item.GetName(), ".istio.io") {
			out = append(out, item.GetName())
		}
	}
	sort.Strings(out)
	return out, nil
}

// TestAppsWithIstio runs each app with Istio through the real engine on one simulated cluster, the Online
// Boutique first, then the Astronomy Shop on the cluster that the Boutique's destroy left: up, the mesh fault
// ad-mesh-faults switched on (exactly one VirtualService, accepted by the API server against Istio's CRD
// schema and CEL rules) and off, halt, destroy with nothing left, Istio's CRDs included. istiod's admission
// webhooks are never called: the harness's API server runs with admission webhooks off (kwok pods serve
// nothing), so no sidecar is injected here.
func TestAppsWithIstio(t *testing.T) {
	ctx := context.Background()
	c, e, before := labCluster(t, nil)
	for _, app := range []apps.App{apps.OnlineBoutique, apps.AstronomyShop} {
		if !t.Run(app.Name, func(t *testing.T) { runWithIstio(ctx, t, c, e.RepoStack(ctx, t, stacks.Lab), app, before) }) {
			return
		}
	}
}

// runWithIstio is TestAppsWithIstio's steps for one app, on its own stack.
func runWithIstio(ctx context.Context, t *testing.T, c *Cluster, s auto.Stack, app apps.App, before map[string]bool) {
	cfg := LabConfig(c)
	cfg[Key("app")] = auto.ConfigValue{Value: app.Name}
	cfg[Key("istio")] = auto.ConfigValue{Value: "true"}
	if err := s.SetAllConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	ns := app.Namespace
	namespaces := components.LabNamespaces(ns, true)
	step := steps(t)

	step("up", func(t *testing.T) {
		_, d, err := Up(ctx, t, s)
		if err != nil {
			t.Fatalf("up: %v", err)
		}
		t.Logf("full up (%s + Istio): %s", app.Name, d.Round(time.Millisecond))
		assertLabUpIn(ctx, t, c, namespaces)
		crds, err := c.IstioCRDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(crds) != 15 || !contains(crds, "virtualservices.networking.istio.io") {
			t.Errorf("Istio's CRDs: %v, want its 15", crds)
		}
		nsObj, err := c.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil || nsObj.Labels[components.IstioInjectionLabel] != components.IstioInjectionValue {
			t.Errorf("namespace %s must carry %s=%s (%v)", ns, components.IstioInjectionLabel, components.IstioInjectionValue, err)
		}
		for _, other := range []string{components.ChaosNamespace, components.ObservabilityNamespace, components.IstioNamespace} {
			o, err := c.Client.CoreV1().Namespaces().Get(ctx, other, metav1.GetOptions{})
			if err == nil && o.Labels[components.IstioInjectionLabel] != "" {
				t.Errorf("namespace %s must not be labelled for injection", other)
			}
		}
		for _, d := range []string{"istiod"} {
			if _, err := c.Client.AppsV1().Deployments(components.IstioNamespace).Get(ctx, d, metav1.GetOptions{}); err != nil {
				t.Errorf("Deployment %s/%s: %v", components.IstioNamespace, d, err)
			}
		}
	})

	step("idempotent", func(t *testing.T) { assertNoOpPreview(ctx, t, s) })

	step("mesh-fault-on", func(t *testing.T) {
		if vss, err := c.VirtualServices(ctx, ""); err != nil || len(vss) != 0 {
			t.Fatalf("VirtualServices before any mesh fault: %d (%v)", len(vss), err)
		}
		setScenarios(ctx, t, s, `{"ad-mesh-faults":{"enabled":true}}`)
		res, d, err := Up(ctx, t, s)
		if err != nil {
			t.Fatalf("up with ad-mesh-faults: %v", err)
		}
		t.Logf("flip up (mesh fault on): %s (%v)", d.Round(time.Millisecond), res.Summary.ResourceChanges)
		if replaced := derefSummary(res.Summary.ResourceChanges)["replace"]; replaced != 0 {
			t.Errorf("the flip replaced %d resource(s)", replaced)
		}
		vs := oneVirtualService(ctx, t, c, ns)
		if !hasFault(vs) || vs.GetAnnotations()[scenarios.HaltedAnnotation] != "" {
			t.Errorf("ad-mesh-faults must carry its fault and no halt mark: %v", vs.Object["spec"])
		}
		if objs, err := c.ChaosObjects(ctx, ""); err != nil || len(objs) != 0 {
			t.Errorf("a mesh fault is no Chaos Mesh object, got %v (%v)", objs, err)
		}
		assertOneMeshFaultWired(ctx, t, c)
	})

	step("halt", func(t *testing.T) {
		for _, halt := range []string{"true", "false"} {
			if err := s.SetConfig(ctx, Key("halt"), auto.ConfigValue{Value: halt}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := Up(ctx, t, s); err != nil {
				t.Fatalf("up with halt=%s: %v", halt, err)
			}
			vs := oneVirtualService(ctx, t, c, ns)
			halted := halt == "true"
			if hasFault(vs) == halted || (vs.GetAnnotations()[scenarios.HaltedAnnotation] == "true") != halted {
				t.Errorf("halt=%s: fault present=%v, annotations %v", halt, hasFault(vs), vs.GetAnnotations())
			}
		}
	})

	step("mesh-fault-off", func(t *testing.T) {
		setScenarios(ctx, t, s, `{"ad-mesh-faults":{"enabled":false}}`)
		res, d, err := Up(ctx, t, s)
		if err != nil {
			t.Fatalf("up with ad-mesh-faults off: %v", err)
		}
		t.Logf("flip up (mesh fault off): %s (%v)", d.Round(time.Millisecond), res.Summary.ResourceChanges)
		if vss, err := c.VirtualServices(ctx, ""); err != nil || len(vss) != 0 {
			t.Fatalf("switching ad-mesh-faults off left %d VirtualService(s) (%v)", len(vss), err)
		}
	})

	step("destroy", func(t *testing.T) {
		d, err := Destroy(ctx, t, s)
		if err != nil {
			t.Fatalf("destroy: %v", err)
		}
		t.Logf("destroy: %s", d.Round(time.Millisecond))
		assertLabGoneIn(ctx, t, c, before, namespaces)
		if crds, err := c.IstioCRDs(ctx); err != nil || len(crds) != 0 {
			t.Errorf("Istio CRDs left after destroy: %v (%v)", crds, err)
		}
	})
}

// oneVirtualService asserts that the cluster holds exactly the ad-mesh-faults VirtualService, in ns.
func oneVirtualService(ctx context.Context, t *testing.T, c *Cluster, ns string) unstructured.Unstructured {
	t.Helper()
	vss, err := c.VirtualServices(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(vss) != 1 || vss[0].GetNamespace() != ns || vss[0].GetName() != "ad-mesh-faults" {
		var got []string
		for _, v := range vss {
			got = append(got, v.GetNamespace()+"/"+v.GetName())
		}
		t.Fatalf("want exactly VirtualService %s/ad-mesh-faults, got %v", ns, got)
	}
	return vss[0]
}

// hasFault says whether any HTTP route of the VirtualService injects a fault.
func hasFault(vs unstructured.Unstructured) bool {
	routes, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
	for _, r := range routes {
		if m, ok := r.(map[string]any); ok && m["fault"] != nil {
			return true
		}
	}
	return false
}

// assertOneMeshFaultWired runs the live wiring proof, which must find nothing and must have checked the
// one VirtualService.
func assertOneMeshFaultWired(ctx context.Context, t *testing.T, c *Cluster) {
	t.Helper()
	mesh := 0
	for _, b := range assertLiveWiring(ctx, t, c).Blast {
		if strings.HasPrefix(b.Fault, "VirtualService/") {
			mesh++
		}
	}
	if mesh != 1 {
		t.Errorf("the live wiring check saw %d VirtualServices, want 1", mesh)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
