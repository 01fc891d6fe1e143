package scenarios

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// meshBase is a valid mesh fault on a service of the app; bad cases change a key or two (nil deletes one).
func meshBase(target string, extra m) m {
	return withKeys(m{"enabled": true, "fault": "mesh-fault", "target": target, "delay": "500ms"}, extra)
}

// flagdNamedForIstio is the shop with flagd's ports named as Istio routes HTTP (as the lab does not name
// them): the one way to reach a service that serves HTTP or gRPC on several Service ports.
func flagdNamedForIstio() apps.App {
	app := apps.AstronomyShop
	app.Services = slices.Clone(app.Services)
	for i, svc := range app.Services {
		if svc.Name == "flagd" {
			svc.Ports = slices.Clone(svc.Ports)
			for j := range svc.Ports {
				svc.Ports[j].Name = map[apps.Protocol]string{apps.GRPC: "grpc", apps.HTTP: "http"}[svc.Ports[j].Protocol] + "-" + svc.Ports[j].Name
			}
			app.Services[i] = svc
		}
	}
	return app
}

// TestMeshAndAppValidation: the bad inputs of mesh faults and of the app under test, each refused at its full
// key path with the reason.
func TestMeshAndAppValidation(t *testing.T) {
	shop, boutique := apps.AstronomyShop, apps.OnlineBoutique
	bo := func(extra m) m { return m{"x": meshBase("adservice", extra)} }
	cases := []struct {
		name  string
		app   apps.App
		istio bool
		cfg   m
		path  string
		msg   string
	}{
		// What a mesh fault does.
		{"no delay nor abort", boutique, true, bo(m{"delay": nil}), "scenarios.x.delay", "Required value: a mesh fault needs delay, abort or both"},
		{"delay 0", boutique, true, bo(m{"delay": "0"}), "scenarios.x.delay", `Invalid value: "0": expected a Go duration of whole milliseconds, at least 1ms`},
		{"delay 1.5ms", boutique, true, bo(m{"delay": "1.5ms"}), "scenarios.x.delay", "whole milliseconds"},
		{"delay 500us", boutique, true, bo(m{"delay": "500us"}), "scenarios.x.delay", "at least 1ms"},
		{"delay abc", boutique, true, bo(m{"delay": "abc"}), "scenarios.x.delay", `Invalid value: "abc": expected a Go duration`},
		{"delay negative", boutique, true, bo(m{"delay": "-5ms"}), "scenarios.x.delay", "at least 1ms"},
		{"delay a number", boutique, true, bo(m{"delay": 500}), "scenarios.x.delay", `"500": expected a Go duration`},
		{"delayPercent -1", boutique, true, bo(m{"delayPercent": -1}), "scenarios.x.delayPercent", `Invalid value: "-1": expected a percent of requests from 0 to 100`},
		{"delayPercent 101", boutique, true, bo(m{"delayPercent": "101"}), "scenarios.x.delayPercent", "from 0 to 100"},
		{"delayPercent ten", boutique, true, bo(m{"delayPercent": "ten"}), "scenarios.x.delayPercent", "from 0 to 100"},
		{"abortPercent NaN", boutique, true, bo(m{"abort": "UNAVAILABLE", "abortPercent": "NaN"}), "scenarios.x.abortPercent", "from 0 to 100"},
		{"abortPercent 150%", boutique, true, bo(m{"abort": "UNAVAILABLE", "abortPercent": "150%"}), "scenarios.x.abortPercent", "from 0 to 100"},
		{"abortPercent a list", boutique, true, bo(m{"abort": "UNAVAILABLE", "abortPercent": []any{10}}), "scenarios.x.abortPercent", "expected a string, got a list"},
		{"delayPercent without delay", boutique, true, bo(m{"delay": nil, "abort": "INTERNAL", "delayPercent": 50}), "scenarios.x.delayPercent", "given without delay"},
		{"abortPercent without abort", boutique, true, bo(m{"abortPercent": 10}), "scenarios.x.abortPercent", "given without abort; expected abort too, such as UNAVAILABLE"},
		{"abort 200 on HTTP", boutique, true, m{"x": meshBase("frontend", m{"abort": 200})}, "scenarios.x.abort", `Invalid value: "200": frontend speaks HTTP on port 80: expected an HTTP status from 400 to 599`},
		{"abort 600 on HTTP", boutique, true, m{"x": meshBase("frontend", m{"abort": "600"})}, "scenarios.x.abort", "from 400 to 599"},
		{"gRPC name on HTTP", boutique, true, m{"x": meshBase("frontend", m{"abort": "UNAVAILABLE"})}, "scenarios.x.abort", "frontend speaks HTTP on port 80"},
		{"abort typo", boutique, true, bo(m{"abort": "UNAVALABLE"}), "scenarios.x.abort", `did you mean "UNAVAILABLE"? adservice speaks gRPC`},
		{"abort lower case", boutique, true, bo(m{"abort": "unavailable"}), "scenarios.x.abort", `did you mean "UNAVAILABLE"?`},
		{"abort OK", boutique, true, bo(m{"abort": "OK"}), "scenarios.x.abort", "OK is no error: expected a failing gRPC status such as UNAVAILABLE"},
		{"HTTP status on gRPC", boutique, true, bo(m{"abort": 503}), "scenarios.x.abort", `Invalid value: "503": adservice speaks gRPC: expected a gRPC status name, one of: ABORTED`},
		{"abort a boolean", boutique, true, bo(m{"abort": true}), "scenarios.x.abort", "expected a string"},
		// Where it applies.
		{"target TCP-only", boutique, true, m{"x": meshBase("redis-cart", nil)}, "scenarios.x.target", "redis-cart speaks TCP only: Istio injects faults into HTTP and gRPC requests only; expected one of: adservice"},
		{"target without Service", boutique, true, m{"x": meshBase("loadgenerator", nil)}, "scenarios.x.target", "loadgenerator has no Kubernetes Service"},
		{"target kafka on the shop", shop, true, m{"x": meshBase("kafka", nil)}, "scenarios.x.target", "kafka speaks TCP only"},
		{"target a shop name", boutique, true, m{"x": meshBase("checkout", nil)}, "scenarios.x.target", `Unsupported value: "checkout": not a service of online-boutique in namespace online-boutique; did you mean "checkoutservice"?`},
		{"target ad on the Boutique", boutique, true, m{"x": meshBase("ad", nil)}, "scenarios.x.target", `did you mean "adservice"?`},
		{"container port", boutique, true, m{"x": meshBase("frontend", m{"port": 8080})}, "scenarios.x.port", "8080 is frontend's container port; a VirtualService names the Service's port: 80"},
		{"port not served", boutique, true, bo(m{"port": 1234}), "scenarios.x.port", "not an HTTP or gRPC port of adservice's Service; expected one of: 9555"},
		{"metrics port", shop, true, m{"x": meshBase("ad", m{"port": 9465})}, "scenarios.x.port", "expected one of: 8080"},
		{"several ports", flagdNamedForIstio(), true, m{"x": meshBase("flagd", nil)}, "scenarios.x.port", "Required value: flagd serves HTTP or gRPC on several Service ports; expected one of: 8013, 8016, 4000"},
		{"ports named as TCP", shop, true, m{"x": meshBase("flagd", m{"port": 8016})}, "scenarios.x.target", `Invalid value: "flagd": flagd's Service names its HTTP and gRPC ports rpc, ofrep, ui, which Istio reads as plain TCP (it routes HTTP only on ports named http, http2, grpc, grpc-web, h2c): a fault there would never apply; expected one of: ad, cart,`},
		// From.
		{"from unknown", boutique, true, bo(m{"from": "billing"}), "scenarios.x.from", "not a service of online-boutique"},
		{"from a shop name", boutique, true, bo(m{"from": "frontend-proxy"}), "scenarios.x.from", `did you mean "frontend"?`},
		{"from not meshed", boutique, true, m{"x": meshBase("cartservice", m{"from": "redis-cart"})}, "scenarios.x.from", "redis-cart gets no Istio sidecar (every port of it speaks raw TCP), and the caller's sidecar is what injects the fault; expected one of: checkoutservice, frontend"},
		{"from not a caller", boutique, true, m{"x": meshBase("emailservice", m{"from": "frontend"})}, "scenarios.x.from", "frontend does not call emailservice; its callers: checkoutservice"},
		{"from the target", boutique, true, bo(m{"from": "adservice"}), "scenarios.x.from", "the target itself; expected a service that calls adservice: frontend"},
		{"from not a caller on the shop", shop, true, m{"x": meshBase("quote", m{"from": "frontend"})}, "scenarios.x.from", "frontend does not call quote; its callers: shipping"},
		{"from not deployed", shop, true, m{"x": meshBase("frontend", m{"from": "agent"})}, "scenarios.x.from", "not deployed in this stack"},
		// What Chaos Mesh cannot do with it.
		{"istio off", boutique, false, bo(nil), "scenarios.x.fault", `Invalid value: "mesh-fault": needs chaos-mesh-otel:istio: true`},
		{"istio off, preset", shop, false, m{"ad-mesh-faults": m{"enabled": true}}, "scenarios.ad-mesh-faults.fault", "needs chaos-mesh-otel:istio: true"},
		{"istio off, in a game day", boutique, false, m{"x": meshBase("adservice", m{"enabled": false}), "g": m{"enabled": true, "steps": []any{"x"}}}, "scenarios.g.steps[0]", "Chaos Mesh cannot run it as a workflow step"},
		{"schedule", boutique, true, bo(m{"schedule": "@every 10m"}), "scenarios.x.schedule", "Forbidden: a mesh fault is an Istio VirtualService, in force for as long as its scenario is enabled; Chaos Mesh cannot schedule it"},
		{"duration", boutique, true, bo(m{"duration": "5m"}), "scenarios.x.duration", "Forbidden: a mesh fault holds for as long as its scenario is enabled"},
		{"mode", boutique, true, bo(m{"mode": "all"}), "scenarios.x.mode", "acts on requests, not pods"},
		{"allowAll", boutique, true, bo(m{"allowAll": true}), "scenarios.x.allowAll", "acts on requests, not pods"},
		{"game-day step", boutique, true, m{"x": meshBase("adservice", nil), "g": m{"enabled": true, "steps": []any{"x"}}}, "scenarios.g.steps[0]", "a mesh fault: an Istio VirtualService, in force while its scenario is enabled; Chaos Mesh cannot run it as a workflow step"},
		{"parallel step", shop, true, m{"g": m{"enabled": true, "steps": []any{m{"parallel": []any{"checkout-pod-kill", "ad-mesh-faults"}}}}}, "scenarios.g.steps[0].parallel[1]", "Chaos Mesh cannot run it as a workflow step"},
		{"key of another fault", boutique, true, bo(m{"latency": "1s"}), "scenarios.x.latency", "unknown key for fault mesh-fault (it is a key of network-delay)"},
		{"key typo", boutique, true, bo(m{"abortPercnt": 10}), "scenarios.x.abortPercnt", `did you mean "abortPercent"`},
		{"mesh key on pod-kill", boutique, true, m{"x": m{"enabled": true, "fault": "pod-kill", "target": "adservice", "abort": "INTERNAL"}}, "scenarios.x.abort", "unknown key for fault pod-kill (it is a key of mesh-fault)"},
		// HTTPChaos behind a sidecar.
		{"http behind a sidecar", boutique, true, m{"x": m{"enabled": true, "fault": "http-delay", "target": "frontend", "delay": "1s", "duration": "1m"}}, "scenarios.x.fault",
			`Invalid value: "http-delay": HTTPChaos does not work behind an Istio sidecar (chaos-mesh#4389, chaos-mesh#3873), and with chaos-mesh-otel:istio: true frontend has one; use fault: mesh-fault`},
		{"http preset behind a sidecar", shop, true, m{"shipping-http-faults": m{"enabled": true}}, "scenarios.shipping-http-faults.fault", "HTTPChaos does not work behind an Istio sidecar"},
		{"http step behind a sidecar", shop, true, m{"checkout-gameday": m{"enabled": true}}, "scenarios.checkout-gameday.steps[1].parallel[1]", "HTTPChaos does not work behind an Istio sidecar"},
		// The other app's names and presets.
		{"shop name on the Boutique", boutique, false, m{"x": m{"enabled": true, "fault": "pod-kill", "target": "product-catalog"}}, "scenarios.x.target", `did you mean "productcatalogservice"? product-catalog is a service of another app`},
		{"Boutique name on the shop", shop, false, m{"x": m{"enabled": true, "fault": "pod-kill", "target": "checkoutservice"}}, "scenarios.x.target", `did you mean "checkout"?`},
		{"network peer from the shop", boutique, false, m{"x": m{"enabled": true, "fault": "network-delay", "target": "frontend", "to": "cart", "latency": "10ms", "duration": "1m"}}, "scenarios.x.to", `did you mean "cartservice"?`},
		{"flag fault on the Boutique", boutique, false, m{"x": m{"enabled": true, "fault": "flag", "flag": "adFailure", "variant": "on"}}, "scenarios.x.fault", "online-boutique has no feature flags"},
		{"flag preset on the Boutique", boutique, false, m{"ad-failure": m{"enabled": true}}, "scenarios.ad-failure", "Forbidden: the preset cannot apply to online-boutique: flag faults exist only in the Astronomy Shop"},
		{"flag preset named, off", boutique, false, m{"ad-failure": m{"enabled": false}}, "scenarios.ad-failure", "flag faults exist only in the Astronomy Shop"},
		{"HTTP preset on the Boutique", boutique, false, m{"shipping-http-faults": m{"enabled": true}}, "scenarios.shipping-http-faults",
			"shippingservice speaks gRPC only: HTTPChaos (http-replace) cannot inject into gRPC or raw TCP, and online-boutique serves plain HTTP on frontend only; use fault: mesh-fault with chaos-mesh-otel:istio: true"},
		{"game day through its step", boutique, false, m{"checkout-gameday": m{"enabled": true}}, "scenarios.checkout-gameday.steps[1].parallel[1]", "the preset cannot apply to online-boutique: shippingservice speaks gRPC only"},
		{"HTTP fault on a gRPC service", boutique, false, m{"x": m{"enabled": true, "fault": "http-abort", "target": "shippingservice", "duration": "1m"}}, "scenarios.x.target", "http-abort needs a plain-HTTP service, but shippingservice speaks gRPC only (HTTPChaos cannot inject into gRPC or raw TCP); expected one of: frontend"},
		{"IOChaos on a read-only service", boutique, false, m{"x": m{"enabled": true, "fault": "io-latency", "target": "checkoutservice", "delay": "10ms", "duration": "1m"}}, "scenarios.x.target",
			"every container of online-boutique has a read-only root filesystem and checkoutservice mounts no writable volume, so IOChaos has no file to fault; expected a service with a writable volume: redis-cart (/data)"},
		{"IOChaos elsewhere than the volume", boutique, false, m{"x": m{"enabled": true, "fault": "io-fault", "target": "redis-cart", "errno": 5, "volumePath": "/tmp", "duration": "1m"}}, "scenarios.x.volumePath", "redis-cart's only writable volume is /data"},
		{"steady state of the shop", boutique, false, m{"g": m{"enabled": true, "steps": []any{"checkout-pod-kill"}, "steadyState": m{"slo": "checkout-availability"}}}, "scenarios.g.steadyState.slo", `"checkout-availability": supported values: "frontend-availability"`},
	}
	if len(cases) < 30 {
		t.Fatalf("only %d cases; the issue asks for at least 30", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := json.Marshal(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			wantFieldError(t, raw, meshOpts(tc.app, tc.istio), tc.path, tc.msg)
		})
	}
}

// The same inputs are fine where they apply: a mesh fault needs Istio only once it is in use, and each app's
// presets stay quiet until enabled.
func TestMeshValidEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		name  string
		app   apps.App
		istio bool
		raw   string
	}{
		{"presets untouched without Istio", apps.OnlineBoutique, false, `{}`},
		{"disabled mesh fault without Istio", apps.AstronomyShop, false, `{"x":{"fault":"mesh-fault","target":"ad","delay":"1s"}}`},
		{"preset tuned, off, without Istio", apps.OnlineBoutique, false, `{"ad-mesh-faults":{"abortPercent":20}}`},
		{"HTTP fault kept off behind a sidecar", apps.AstronomyShop, true, `{"shipping-http-faults":{"delay":"1s"}}`},
		{"HTTP fault on an unmeshed service with Istio", apps.AstronomyShop, true, `{}`},
		{"abort only", apps.OnlineBoutique, true, `{"x":{"enabled":true,"fault":"mesh-fault","target":"cartservice","abort":"DEADLINE_EXCEEDED"}}`},
		{"percent 0 and 100", apps.OnlineBoutique, true, `{"x":{"enabled":true,"fault":"mesh-fault","target":"frontend","abort":599,"abortPercent":0,"delay":"1h","delayPercent":"100%"}}`},
		{"the Service port given", apps.OnlineBoutique, true, `{"x":{"enabled":true,"fault":"mesh-fault","target":"emailservice","port":5000,"delay":"10ms"}}`},
		{"game day of the Boutique", apps.OnlineBoutique, false, `{"g":{"enabled":true,"steps":["checkout-pod-kill","frontend-catalog-latency"],"steadyState":{"slo":"frontend-availability"}}}`},
		{"network chaos behind a sidecar", apps.OnlineBoutique, true, `{"frontend-catalog-latency":{"enabled":true}}`},
		{"IOChaos on redis-cart", apps.OnlineBoutique, false, `{"x":{"enabled":true,"fault":"io-latency","target":"redis-cart","delay":"10ms","duration":"1m"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, errs := Build([]byte(tc.raw), meshOpts(tc.app, tc.istio)); errs != nil {
				t.Fatal(lines(errs))
			}
		})
	}
}
