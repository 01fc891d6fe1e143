package stacks

import (
	"errors"
	"strings"
	"testing"
)

// meshCase is a bad stack config: the app, Istio and scenarios (JSON, as Pulumi hands structured values over)
// plus any other key, refused at a full key path with a message.
type meshCase struct {
	name      string
	app       string // "" for the default, the Astronomy Shop
	istio     bool
	scenarios string
	extra     map[string]string
	path      string // the full key path, e.g. chaos-mesh-otel:scenarios.x.abort
	msg       string
}

// boutiqueMesh is a mesh fault on the Boutique's adservice with keys added to the valid base.
func boutiqueMesh(keys string) string {
	return `{"x":{"enabled":true,"fault":"mesh-fault","target":"adservice","delay":"500ms"` + keys + `}}`
}

// meshOn is a mesh fault on a target with the given keys and nothing else.
func meshOn(target, keys string) string {
	return `{"x":{"enabled":true,"fault":"mesh-fault","target":"` + target + `"` + keys + `}}`
}

const boutique = "online-boutique"

var meshConfigCases = []meshCase{
	// The app and Istio keys.
	{"app unknown", "boutique", false, "", nil, "chaos-mesh-otel:app", `Unsupported value: "boutique": supported values: "astronomy-shop", "online-boutique"`},
	{"app typo", "online-botique", false, "", nil, "chaos-mesh-otel:app", `did you mean "online-boutique"?`},
	{"istio not a bool", "", false, "", map[string]string{KeyIstio: "enabled"}, "chaos-mesh-otel:istio", `Invalid value: "enabled": expected true or false`},
	// What Chaos Mesh cannot do with a mesh fault.
	{"mesh fault, istio false", boutique, false, boutiqueMesh(""), nil, "chaos-mesh-otel:scenarios.x.fault", "needs chaos-mesh-otel:istio: true"},
	{"preset, istio false", "", false, `{"ad-mesh-faults":{"enabled":true}}`, nil, "chaos-mesh-otel:scenarios.ad-mesh-faults.fault", "needs chaos-mesh-otel:istio: true"},
	{"schedule", boutique, true, boutiqueMesh(`,"schedule":"@every 10m"`), nil, "chaos-mesh-otel:scenarios.x.schedule", "Forbidden: a mesh fault is an Istio VirtualService, in force for as long as its scenario is enabled; Chaos Mesh cannot schedule it"},
	{"duration", boutique, true, boutiqueMesh(`,"duration":"5m"`), nil, "chaos-mesh-otel:scenarios.x.duration", "it has no duration"},
	{"mode", boutique, true, boutiqueMesh(`,"mode":"all"`), nil, "chaos-mesh-otel:scenarios.x.mode", "acts on requests, not pods"},
	{"game-day step", boutique, true, `{"x":{"fault":"mesh-fault","target":"adservice","delay":"1s"},"g":{"enabled":true,"steps":["x"]}}`, nil,
		"chaos-mesh-otel:scenarios.g.steps[0]", "Chaos Mesh cannot run it as a workflow step"},
	{"preset as a parallel step", "", true, `{"g":{"enabled":true,"steps":[{"parallel":["checkout-pod-kill","ad-mesh-faults"]}]}}`, nil,
		"chaos-mesh-otel:scenarios.g.steps[0].parallel[1]", "Chaos Mesh cannot run it as a workflow step"},
	// What the fault does.
	{"no delay and no abort", boutique, true, meshOn("adservice", ""), nil, "chaos-mesh-otel:scenarios.x.delay", "Required value: a mesh fault needs delay, abort or both"},
	{"delay 0", boutique, true, meshOn("adservice", `,"delay":"0"`), nil, "chaos-mesh-otel:scenarios.x.delay", `Invalid value: "0": expected a Go duration of whole milliseconds, at least 1ms`},
	{"delay 1.5ms", boutique, true, meshOn("adservice", `,"delay":"1.5ms"`), nil, "chaos-mesh-otel:scenarios.x.delay", "whole milliseconds"},
	{"delay abc", boutique, true, meshOn("adservice", `,"delay":"abc"`), nil, "chaos-mesh-otel:scenarios.x.delay", `Invalid value: "abc": expected a Go duration`},
	{"delayPercent -1", boutique, true, boutiqueMesh(`,"delayPercent":-1`), nil, "chaos-mesh-otel:scenarios.x.delayPercent", `Invalid value: "-1": expected a percent of requests from 0 to 100`},
	{"delayPercent 101", boutique, true, boutiqueMesh(`,"delayPercent":101`), nil, "chaos-mesh-otel:scenarios.x.delayPercent", `"101": expected a percent of requests from 0 to 100`},
	{"abortPercent ten", boutique, true, boutiqueMesh(`,"abort":"UNAVAILABLE","abortPercent":"ten"`), nil, "chaos-mesh-otel:scenarios.x.abortPercent", `"ten": expected a percent of requests from 0 to 100`},
	{"abort 200", boutique, true, meshOn("frontend", `,"abort":200`), nil, "chaos-mesh-otel:scenarios.x.abort", `Invalid value: "200": frontend speaks HTTP on port 80: expected an HTTP status from 400 to 599`},
	{"abort 600", boutique, true, meshOn("frontend", `,"abort":600`), nil, "chaos-mesh-otel:scenarios.x.abort", `"600": frontend speaks HTTP on port 80`},
	{"abort misspelt", boutique, true, boutiqueMesh(`,"abort":"UNAVALABLE"`), nil, "chaos-mesh-otel:scenarios.x.abort", `Invalid value: "UNAVALABLE": did you mean "UNAVAILABLE"? adservice speaks gRPC`},
	{"abort OK", boutique, true, boutiqueMesh(`,"abort":"OK"`), nil, "chaos-mesh-otel:scenarios.x.abort", "OK is no error"},
	{"abort 503 on gRPC", boutique, true, boutiqueMesh(`,"abort":503`), nil, "chaos-mesh-otel:scenarios.x.abort", `"503": adservice speaks gRPC: expected a gRPC status name`},
	{"abort UNAVAILABLE on HTTP", boutique, true, meshOn("frontend", `,"abort":"UNAVAILABLE"`), nil, "chaos-mesh-otel:scenarios.x.abort", "frontend speaks HTTP on port 80: expected an HTTP status"},
	{"abort 503 on the shop's gRPC ad", "", true, meshOn("ad", `,"abort":503`), nil, "chaos-mesh-otel:scenarios.x.abort", "ad speaks gRPC"},
	// Where it applies.
	{"from unknown", boutique, true, boutiqueMesh(`,"from":"billing"`), nil, "chaos-mesh-otel:scenarios.x.from", `Unsupported value: "billing": not a service of online-boutique`},
	{"from not meshed", boutique, true, meshOn("cartservice", `,"delay":"1s","from":"redis-cart"`), nil, "chaos-mesh-otel:scenarios.x.from", "redis-cart gets no Istio sidecar"},
	{"from the target", boutique, true, boutiqueMesh(`,"from":"adservice"`), nil, "chaos-mesh-otel:scenarios.x.from", "the target itself; expected a service that calls adservice: frontend"},
	{"from not a caller", boutique, true, meshOn("emailservice", `,"delay":"1s","from":"frontend"`), nil, "chaos-mesh-otel:scenarios.x.from", "frontend does not call emailservice; its callers: checkoutservice"},
	{"target TCP", boutique, true, meshOn("redis-cart", `,"delay":"1s"`), nil, "chaos-mesh-otel:scenarios.x.target", "redis-cart speaks TCP only"},
	{"target without Service", boutique, true, meshOn("loadgenerator", `,"delay":"1s"`), nil, "chaos-mesh-otel:scenarios.x.target", "loadgenerator has no Kubernetes Service"},
	{"container port", boutique, true, meshOn("frontend", `,"delay":"1s","port":8080`), nil, "chaos-mesh-otel:scenarios.x.port", "8080 is frontend's container port; a VirtualService names the Service's port: 80"},
	{"ports Istio reads as TCP", "", true, meshOn("flagd", `,"delay":"1s"`), nil, "chaos-mesh-otel:scenarios.x.target", "flagd's Service names its HTTP and gRPC ports rpc, ofrep, ui, which Istio reads as plain TCP"},
	// The other app's names.
	{"shop target on the Boutique", boutique, false, `{"x":{"enabled":true,"fault":"pod-kill","target":"checkout"}}`, nil, "chaos-mesh-otel:scenarios.x.target", `did you mean "checkoutservice"?`},
	{"shop mesh target on the Boutique", boutique, true, meshOn("ad", `,"delay":"1s"`), nil, "chaos-mesh-otel:scenarios.x.target", `did you mean "adservice"?`},
	{"shop caller on the Boutique", boutique, true, boutiqueMesh(`,"from":"frontend-proxy"`), nil, "chaos-mesh-otel:scenarios.x.from", `did you mean "frontend"?`},
	{"shop peer on the Boutique", boutique, false, `{"x":{"enabled":true,"fault":"network-delay","target":"frontend","to":"product-catalog","latency":"10ms","duration":"1m"}}`, nil,
		"chaos-mesh-otel:scenarios.x.to", `did you mean "productcatalogservice"?`},
	{"Boutique target on the shop", "", false, `{"x":{"enabled":true,"fault":"pod-kill","target":"recommendationservice"}}`, nil, "chaos-mesh-otel:scenarios.x.target", `did you mean "recommendation"?`},
	// Faults that the Boutique or the mesh cannot take.
	{"flag fault on the Boutique", boutique, false, `{"x":{"enabled":true,"fault":"flag","flag":"adFailure","variant":"on"}}`, nil, "chaos-mesh-otel:scenarios.x.fault", "online-boutique has no feature flags"},
	{"flag preset on the Boutique", boutique, false, `{"ad-failure":{"enabled":true}}`, nil, "chaos-mesh-otel:scenarios.ad-failure", "flag faults exist only in the Astronomy Shop"},
	{"HTTP preset on the Boutique", boutique, false, `{"shipping-http-faults":{"enabled":true}}`, nil, "chaos-mesh-otel:scenarios.shipping-http-faults", "shippingservice speaks gRPC only"},
	{"HTTP fault with Istio", boutique, true, `{"x":{"enabled":true,"fault":"http-delay","target":"frontend","delay":"1s","duration":"1m"}}`, nil,
		"chaos-mesh-otel:scenarios.x.fault", "HTTPChaos does not work behind an Istio sidecar"},
	{"HTTP preset with Istio on the shop", "", true, `{"shipping-http-faults":{"enabled":true}}`, nil, "chaos-mesh-otel:scenarios.shipping-http-faults.fault", "use fault: mesh-fault"},
	{"IOChaos on a read-only service", boutique, false, `{"x":{"enabled":true,"fault":"io-latency","target":"checkoutservice","delay":"10ms","duration":"1m"}}`, nil,
		"chaos-mesh-otel:scenarios.x.target", "checkoutservice mounts no writable volume"},
	// The shop's own keys with the Boutique.
	{"load generator users", boutique, false, "", map[string]string{KeyLoadGeneratorUsers: "20"}, "chaos-mesh-otel:loadGeneratorUsers", "Forbidden: online-boutique's load generator runs a fixed number of users"},
	{"LLM components", boutique, false, "", map[string]string{KeyLLMComponents: "true"}, "chaos-mesh-otel:llmComponents", "Forbidden: the LLM components"},
	{"browser load", boutique, false, "", map[string]string{KeyLoadGeneratorBrowser: "true"}, "chaos-mesh-otel:loadGeneratorBrowser", "Forbidden"},
	{"shop SLO in a game day", boutique, false, `{"g":{"enabled":true,"steps":["checkout-pod-kill"],"steadyState":{"slo":"checkout-availability"}}}`, nil,
		"chaos-mesh-otel:scenarios.g.steadyState.slo", `"checkout-availability": supported values: "frontend-availability"`},
}

// The bad inputs of the app, Istio and mesh faults fail in ParseConfig (so at pulumi preview and in
// chaoslab validate alike), each on a line that starts with its full key path.
func TestMeshAndAppErrorsNameTheFullKey(t *testing.T) {
	if len(meshConfigCases) < 30 {
		t.Fatalf("%d cases; the issue asks for at least 30", len(meshConfigCases))
	}
	for _, tc := range meshConfigCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(lookupOf(tc.values()))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("want a ConfigError at %s, got %v", tc.path, err)
			}
			for _, line := range ce.Lines() {
				if strings.HasPrefix(line, tc.path+": ") && strings.Contains(line, tc.msg) {
					return
				}
			}
			t.Errorf("no line at %s with %q; got:\n%s", tc.path, tc.msg, strings.Join(ce.Lines(), "\n"))
		})
	}
}

// values are the stack's config values of a case: a valid stack plus the case's keys.
func (tc meshCase) values() map[string]string {
	values := map[string]string{KeyGrafanaAdminPassword: "long-enough"}
	if tc.app != "" {
		values[KeyApp] = tc.app
	}
	if tc.istio {
		values[KeyIstio] = "true"
	}
	if tc.scenarios != "" {
		values[KeyScenarios] = tc.scenarios
	}
	for k, v := range tc.extra {
		values[k] = v
	}
	return values
}

// The same keys are fine where they apply, so the refusals above are about the inputs, not the keys.
func TestMeshConfigsThatApply(t *testing.T) {
	for name, values := range map[string]map[string]string{
		"ad-mesh-faults on the Boutique": {KeyApp: boutique, KeyIstio: "true", KeyScenarios: `{"ad-mesh-faults":{"enabled":true}}`},
		"ad-mesh-faults on the shop":     {KeyIstio: "true", KeyScenarios: `{"ad-mesh-faults":{"enabled":true}}`},
		"from a caller":                  {KeyApp: boutique, KeyIstio: "true", KeyScenarios: boutiqueMesh(`,"from":"frontend","abort":"UNAVAILABLE","abortPercent":10`)},
		"HTTP abort on frontend":         {KeyApp: boutique, KeyIstio: "true", KeyScenarios: meshOn("frontend", `,"abort":503,"abortPercent":"50%"`)},
		"preset tuned, off, no Istio":    {KeyApp: boutique, KeyScenarios: `{"ad-mesh-faults":{"abortPercent":20}}`},
		"Boutique presets":               {KeyApp: boutique, KeyScenarios: `{"checkout-pod-kill":{"enabled":true},"frontend-catalog-latency":{"enabled":true},"recommendation-cpu-stress":{"enabled":true}}`},
	} {
		t.Run(name, func(t *testing.T) {
			values[KeyGrafanaAdminPassword] = "long-enough"
			cfg, err := ParseConfig(lookupOf(values))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Scenarios == nil {
				t.Fatal("no scenario plan")
			}
		})
	}
}
