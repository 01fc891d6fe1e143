package wiring

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/testtool"
)

// The wiring proof holds for the other three combinations too: the Boutique with and without Istio, the shop
// with Istio, each with every preset that applies to it.
func TestLabWiringOfEveryCombination(t *testing.T) {
	promtool, _ := testtool.Want(t, testtool.Promtool, "promtool check config of the rendered Prometheus config")
	for _, c := range []struct {
		app   apps.App
		istio bool
	}{{apps.OnlineBoutique, false}, {apps.OnlineBoutique, true}, {apps.AstronomyShop, true}} {
		t.Run(fmt.Sprintf("%s/istio=%v", c.app.Name, c.istio), func(t *testing.T) {
			objs := labOf(t, c.app, c.istio)
			r := checkClean(t, objs, promtool)
			meshRows := 0
			for _, row := range r.Blast {
				if strings.HasPrefix(row.Fault, "VirtualService/") {
					meshRows++
					if row.Pods == 0 {
						t.Errorf("mesh fault blast row %+v", row)
					}
				}
			}
			if want := map[bool]int{false: 0, true: 1}[c.istio]; meshRows != want {
				t.Errorf("%d VirtualServices checked, want %d (ad-mesh-faults)", meshRows, want)
			}
		})
	}
}

// Each way a VirtualService can miss its target is a finding that names the field and the missing peer.
func TestMeshCheckFindsBrokenVirtualServices(t *testing.T) {
	base := labOf(t, apps.OnlineBoutique, true)
	vsOf := func(objs *Objects) *unstructured.Unstructured {
		for _, u := range objs.OfKind("VirtualService") {
			return u
		}
		t.Fatal("no VirtualService rendered")
		return nil
	}
	for _, tc := range []struct {
		name   string
		mutate func(objs *Objects, vs *unstructured.Unstructured)
		want   string
	}{
		{"unknown host", func(_ *Objects, vs *unstructured.Unstructured) {
			unstructured.SetNestedStringSlice(vs.Object, []string{"ads.online-boutique.svc.cluster.local"}, "spec", "hosts")
		}, `spec.hosts[0]: missing Service online-boutique/ads`},
		{"wrong port", func(_ *Objects, vs *unstructured.Unstructured) {
			routes, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
			setRoute(vs, routes, "route", int64(8080))
		}, `spec.http[0].route[0].destination: missing Service online-boutique/adservice exposing port 8080`},
		{"TCP port", func(_ *Objects, vs *unstructured.Unstructured) {
			unstructured.SetNestedStringSlice(vs.Object, []string{"redis-cart"}, "spec", "hosts")
			routes, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
			setRoute(vs, routes, "redis-cart", int64(6379))
		}, `missing an HTTP or gRPC port 6379 on Service online-boutique/redis-cart`},
		{"caller absent", func(_ *Objects, vs *unstructured.Unstructured) {
			routes, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
			routes[0].(map[string]any)["match"] = []any{map[string]any{"sourceLabels": map[string]any{"app": "front"}}}
			unstructured.SetNestedSlice(vs.Object, routes, "spec", "http")
		}, `spec.http[0].match[0].sourceLabels: missing a pod template in online-boutique with labels app=front`},
		{"namespace not injected", func(objs *Objects, _ *unstructured.Unstructured) {
			ns := objs.Get("Namespace", "", apps.OnlineBoutique.Namespace)
			labels := ns.GetLabels()
			delete(labels, components.IstioInjectionLabel)
			ns.SetLabels(labels)
		}, `metadata.namespace: missing label istio-injection=enabled on Namespace online-boutique`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := base.DeepCopy()
			tc.mutate(objs, vsOf(objs))
			var got []string
			for _, f := range CheckScenariosOf(objs).Findings {
				got = append(got, f.String())
			}
			if !strings.Contains(strings.Join(got, "\n"), tc.want) {
				t.Errorf("findings:\n%s\nwant one with: %s", strings.Join(got, "\n"), tc.want)
			}
		})
	}
}

// setRoute points the first route's destination at host:port (a port of "route" keeps the host).
func setRoute(vs *unstructured.Unstructured, routes []any, host string, port int64) {
	dests := routes[0].(map[string]any)["route"].([]any)
	dest := dests[0].(map[string]any)["destination"].(map[string]any)
	if host != "route" {
		dest["host"] = host
		delete(routes[0].(map[string]any), "match")
	}
	dest["port"] = map[string]any{"number": port}
	unstructured.SetNestedSlice(vs.Object, routes, "spec", "http")
}

// Prometheus scrapes the sidecars: Istio's injector (with enablePrometheusMerge, which the lab states) gives
// each meshed pod the prometheus.io annotations of its merged metrics endpoint, port 15020, and the lab's
// Prometheus finds them there with no job of its own. The injection is played here, as on kwok no webhook
// runs.
func TestPrometheusScrapesTheSidecars(t *testing.T) {
	objs := labOf(t, apps.OnlineBoutique, true).DeepCopy()
	injected := 0
	for _, u := range objs.OfKind("Deployment") {
		if u.GetNamespace() != apps.OnlineBoutique.Namespace {
			continue
		}
		svc, _ := apps.OnlineBoutique.Service(u.GetName())
		if !svc.Meshed() {
			continue
		}
		injected++
		playSidecarInjection(u)
	}
	if injected != 11 {
		t.Fatalf("played the injection on %d Deployments, want the Boutique's 11 meshed ones", injected)
	}
	prom := CheckPrometheusOf(objs, Options{SkipPromtool: true})
	for _, u := range objs.OfKind("Deployment") {
		svc, _ := apps.OnlineBoutique.Service(u.GetName())
		if u.GetNamespace() != apps.OnlineBoutique.Namespace || !svc.Meshed() {
			continue
		}
		if !prom.scrapedOn(ref(u), 15020) {
			t.Errorf("no scrape job finds %s's sidecar on port 15020", ref(u))
		}
	}
}
