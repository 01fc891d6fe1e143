package scenarios

import (
	"fmt"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// TestMeshGolden renders ad-mesh-faults on each app, with and without `from`, halted and not.
func TestMeshGolden(t *testing.T) {
	for _, app := range apps.All() {
		for _, from := range []bool{false, true} {
			for _, halt := range []bool{false, true} {
				name := "ad-mesh-faults"
				keys := `{"enabled":true}`
				if from {
					name += "-from"
					keys = `{"enabled":true,"from":"frontend"}`
				}
				if halt {
					name += "-halted"
				}
				t.Run(app.Name+"/"+name, func(t *testing.T) {
					opts := meshOpts(app, true)
					opts.Halt = halt
					p, errs := Build([]byte(`{"ad-mesh-faults":`+keys+`}`), opts)
					if errs != nil {
						t.Fatal(errs)
					}
					golden(t, fmt.Sprintf("mesh/%s-%s.yaml", app.Name, name), renderAll(t, p))
				})
			}
		}
	}
}

// TestMeshFaultObjects checks the VirtualServices of mesh faults field by field.
func TestMeshFaultObjects(t *testing.T) {
	p, errs := Build([]byte(meshConfigs(apps.OnlineBoutique)), meshOpts(apps.OnlineBoutique, true))
	if errs != nil {
		t.Fatal(errs)
	}
	vsOf := func(name string) *VirtualService { return object(t, p, name).Typed.(*VirtualService) }

	// ad-mesh-faults: one route, the Service port, both faults with their percentages.
	ad := vsOf("ad-mesh-faults")
	wantEq(t, "apiVersion", ad.APIVersion, "networking.istio.io/v1")
	wantEq(t, "namespace", ad.Namespace, "online-boutique")
	wantEq(t, "hosts", fmt.Sprint(ad.Spec.Hosts), "[adservice.online-boutique.svc.cluster.local]")
	wantEq(t, "routes", len(ad.Spec.HTTP), 1)
	r := ad.Spec.HTTP[0]
	wantEq(t, "match", len(r.Match), 0)
	wantEq(t, "delay", r.Fault.Delay.FixedDelay, "0.5s")
	wantEq(t, "delay percent", r.Fault.Delay.Percentage.Value, 100.0)
	wantEq(t, "grpcStatus", r.Fault.Abort.GRPCStatus, "UNAVAILABLE")
	wantEq(t, "httpStatus", r.Fault.Abort.HTTPStatus, int32(0))
	wantEq(t, "abort percent", r.Fault.Abort.Percentage.Value, 10.0)
	wantEq(t, "destination", r.Route[0].Destination.Host, "adservice.online-boutique.svc.cluster.local")
	wantEq(t, "destination port", r.Route[0].Destination.Port.Number, uint32(9555))

	// frontend: an HTTP abort on the Service's port 80, not the container's 8080.
	fe := vsOf("frontend-http")
	wantEq(t, "frontend port", fe.Spec.HTTP[0].Route[0].Destination.Port.Number, uint32(80))
	wantEq(t, "frontend httpStatus", fe.Spec.HTTP[0].Fault.Abort.HTTPStatus, int32(503))
	wantEq(t, "frontend abort percent default", fe.Spec.HTTP[0].Fault.Abort.Percentage.Value, 100.0)
	wantEq(t, "frontend delay percent", fe.Spec.HTTP[0].Fault.Delay.Percentage.Value, 50.0)
	wantEq(t, "frontend delay", fe.Spec.HTTP[0].Fault.Delay.FixedDelay, "2s")

	// from: the caller's pod label and the port, then a fault-free default route for everyone else.
	em := vsOf("email-from-checkout")
	wantEq(t, "routes with from", len(em.Spec.HTTP), 2)
	m := em.Spec.HTTP[0].Match
	wantEq(t, "matches", len(m), 1)
	wantEq(t, "sourceLabels", fmt.Sprint(m[0].SourceLabels), "map[app:checkoutservice]")
	wantEq(t, "match port", m[0].Port, uint32(5000))
	wantEq(t, "email Service port", em.Spec.HTTP[0].Route[0].Destination.Port.Number, uint32(5000))
	if em.Spec.HTTP[0].Fault.Abort != nil {
		t.Error("delay only: no abort")
	}
	def := em.Spec.HTTP[1]
	if def.Fault != nil || len(def.Match) != 0 || def.Route[0].Destination.Host != "emailservice.online-boutique.svc.cluster.local" {
		t.Errorf("default route %+v", def)
	}
	wantEq(t, "summary", p.Enabled[2], Summary{Name: "email-from-checkout", Fault: "mesh-fault", Target: "emailservice", Kind: KindVirtualService})

	// On the shop, a caller matches by the shop's selector label; a Service with a metrics port beside its gRPC port gets a port match.
	shop, errs := Build([]byte(meshConfigs(apps.AstronomyShop)), meshOpts(apps.AstronomyShop, true))
	if errs != nil {
		t.Fatal(errs)
	}
	fromFE := object(t, shop, "from-frontend").Typed.(*VirtualService)
	wantEq(t, "shop sourceLabels", fmt.Sprint(fromFE.Spec.HTTP[0].Match[0].SourceLabels), "map[app.kubernetes.io/component:frontend]")
	wantEq(t, "shop port match", fromFE.Spec.HTTP[0].Match[0].Port, uint32(8080))
	shopAd := object(t, shop, "ad-mesh-faults").Typed.(*VirtualService)
	wantEq(t, "ad routes (the gRPC port faulted, the metrics port not)", len(shopAd.Spec.HTTP), 2)
	wantEq(t, "ad match port", shopAd.Spec.HTTP[0].Match[0].Port, uint32(8080))
	proxy := object(t, shop, "proxy-abort").Typed.(*VirtualService)
	wantEq(t, "single-port Service: one route", len(proxy.Spec.HTTP), 1)
	wantEq(t, "proxy delay percent 0", proxy.Spec.HTTP[0].Fault.Delay.Percentage.Value, 0.0)
	wantEq(t, "proxy delay", proxy.Spec.HTTP[0].Fault.Delay.FixedDelay, "0.001s")
	email := object(t, shop, "email-abort").Typed.(*VirtualService)
	wantEq(t, "email abort percent", email.Spec.HTTP[0].Fault.Abort.Percentage.Value, 12.5)
	if email.Spec.HTTP[0].Fault.Delay != nil {
		t.Error("abort only: no delay")
	}
}

// Halt takes the fault out of traffic and keeps everything else: the routes, the object, its name.
func TestMeshHalt(t *testing.T) {
	opts := meshOpts(apps.OnlineBoutique, true)
	live, errs := Build([]byte(meshConfigs(apps.OnlineBoutique)), opts)
	if errs != nil {
		t.Fatal(errs)
	}
	opts.Halt = true
	halted, errs := Build([]byte(meshConfigs(apps.OnlineBoutique)), opts)
	if errs != nil {
		t.Fatal(errs)
	}
	wantEq(t, "objects", len(halted.Objects), len(live.Objects))
	for i, o := range halted.Objects {
		vs := o.Typed.(*VirtualService)
		wantEq(t, o.Name+" halted annotation", vs.Annotations[HaltedAnnotation], "true")
		wantEq(t, o.Name+" manifest annotation", o.Manifest["metadata"].(map[string]any)["annotations"].(map[string]any)[HaltedAnnotation], any("true"))
		lv := live.Objects[i].Typed.(*VirtualService)
		if len(lv.Annotations) != 0 {
			t.Errorf("%s: annotations without halt: %v", o.Name, lv.Annotations)
		}
		wantEq(t, o.Name+" routes", len(vs.Spec.HTTP), len(lv.Spec.HTTP))
		for j, r := range vs.Spec.HTTP {
			if r.Fault != nil {
				t.Errorf("%s: route %d keeps its fault under halt", o.Name, j)
			}
			wantEq(t, fmt.Sprintf("%s route %d", o.Name, j), fmt.Sprint(r.Match, r.Route[0].Destination.Host), fmt.Sprint(lv.Spec.HTTP[j].Match, lv.Spec.HTTP[j].Route[0].Destination.Host))
		}
		// Deterministic: a second halted build is identical, so a repeat up changes nothing.
		again, _ := Build([]byte(meshConfigs(apps.OnlineBoutique)), opts)
		if renderAll(t, again) != renderAll(t, halted) {
			t.Fatal("halted build is not deterministic")
		}
	}
}

// The Boutique's presets, field by field: each resolves to the Boutique's services, or is refused.
func TestBoutiquePresets(t *testing.T) {
	opts := meshOpts(apps.OnlineBoutique, true)
	p, errs := Build([]byte(`{"checkout-pod-kill":{"enabled":true},"frontend-catalog-latency":{"enabled":true},"recommendation-cpu-stress":{"enabled":true},"ad-mesh-faults":{"enabled":true}}`), opts)
	if errs != nil {
		t.Fatal(errs)
	}
	for _, s := range p.Enabled {
		want := map[string]string{"checkout-pod-kill": "checkoutservice", "frontend-catalog-latency": "frontend",
			"recommendation-cpu-stress": "recommendationservice", "ad-mesh-faults": "adservice"}[s.Name]
		wantEq(t, s.Name+" target", s.Target, want)
	}
	ec, _, _ := chaosOf(t, object(t, p, "frontend-catalog-latency"))
	wantEq(t, "latency peer", ec.NetworkChaos.Target.Selector.LabelSelectors["app"], "productcatalogservice")
	ec, _, _ = chaosOf(t, object(t, p, "recommendation-cpu-stress"))
	wantEq(t, "stress container", fmt.Sprint(ec.StressChaos.ContainerNames), "[server]")
	// A preset's keys are still the user's to override, in the app's names.
	p, errs = Build([]byte(`{"checkout-pod-kill":{"enabled":true,"target":"paymentservice"}}`), opts)
	if errs != nil {
		t.Fatal(errs)
	}
	wantEq(t, "override", p.Enabled[0].Target, "paymentservice")
	// container-kill kills the main container, named server in the Boutique.
	ck := one(t, map[string]any{"enabled": true, "fault": "container-kill", "target": "cartservice"}, opts)
	ec, _, _ = chaosOf(t, ck.Objects[0])
	wantEq(t, "container-kill container", fmt.Sprint(ec.PodChaos.ContainerNames), "[server]")
	// The steady state of a game day names the Boutique's SLO.
	keys, refusal := presetFor(apps.OnlineBoutique, "checkout-gameday")
	wantEq(t, "gameday refusal", refusal, "")
	wantEq(t, "gameday slo", keys["steadyState"].(map[string]any)["slo"], any("frontend-availability"))
	if _, still := presets["checkout-gameday"]["steadyState"].(map[string]any)["slo"].(string); !still || presets["checkout-gameday"]["steadyState"].(map[string]any)["slo"] != "frontend-proxy-availability" {
		t.Error("resolving a preset must not change the preset table")
	}
}
