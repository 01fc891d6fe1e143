package scenarios

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// presets are named scenarios that need only `enabled: true`. A user's keys override a preset's keys.
// Values are written the way they arrive from Pulumi config JSON (strings, not typed values), with the
// Astronomy Shop's service names: presetFor resolves them for the app under test.
var presets = map[string]map[string]any{
	// Kills one checkout pod every 10 minutes: checkout restarts, orders fail while it is gone.
	"checkout-pod-kill": {
		"fault": string(PodKill), "target": "checkout", "mode": "one",
		"schedule": "@every 10m", "duration": "30s",
	},
	// 1000 ms added to every packet from frontend to product-catalog, for 5 minutes.
	"frontend-catalog-latency": {
		"fault": string(NetworkDelay), "target": "frontend", "to": "product-catalog", "direction": "to",
		"latency": "1000ms", "jitter": "0ms", "duration": "5m",
	},
	// All cores of one recommendation pod at 100% for 60 s, in its main container only (not a sidecar's).
	"recommendation-cpu-stress": {
		"fault": string(CPUStress), "target": "recommendation", "container": "recommendation",
		"workers": "all", "load": "100", "duration": "60s",
	},
	// 500 ms delay plus HTTP 500 answers on shipping, which frontend and checkout call over plain HTTP
	// (ad speaks gRPC, which HTTPChaos cannot touch).
	"shipping-http-faults": {
		"fault": string(HTTPReplace), "target": "shipping", "port": "8080", "delay": "500ms", "code": "500", "duration": "2m",
	},
	// The demo's own adFailure flag: about one ad request in ten fails.
	"ad-failure": {
		"fault": string(FlagFault), "flag": "adFailure", "variant": "on",
	},
	// The case study's fourth scenario, on the gRPC ad service through Istio: every request 500 ms late, one
	// in ten answered UNAVAILABLE.
	"ad-mesh-faults": {
		"fault": string(MeshFault), "target": "ad", "delay": "500ms", "delayPercent": "100",
		"abort": "UNAVAILABLE", "abortPercent": "10",
	},
	// A game day: latency first, then CPU stress and HTTP faults together, then a pod kill; aborted by
	// Chaos Mesh as soon as the entry's availability SLO breaks.
	"checkout-gameday": {
		"steps": []any{
			"frontend-catalog-latency",
			map[string]any{"parallel": []any{"recommendation-cpu-stress", "shipping-http-faults"}},
			"checkout-pod-kill",
		},
		"steadyState": map[string]any{"slo": "frontend-proxy-availability", "interval": "10s", "failureThreshold": "3"},
	},
}

// PresetNames returns the names of the presets, sorted.
func PresetNames() []string {
	out := make([]string, 0, len(presets))
	for n := range presets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// presetFor returns a preset's keys for the app under test, its services renamed through the app's
// FromShop, or why the preset cannot apply to the app.
func presetFor(app apps.App, name string) (map[string]any, string) {
	keys := cloneMap(presets[name])
	fault := Fault(fmt.Sprint(keys["fault"]))
	if fault == FlagFault && len(app.Flags) == 0 {
		return nil, fmt.Sprintf("flag faults exist only in %s, whose flagd serves them; %s has no feature flags", apps.AstronomyShop.Title, app.Name)
	}
	if app.FromShop == nil {
		return keys, ""
	}
	for _, key := range []string{"target", "to"} {
		shop, ok := keys[key].(string)
		if !ok {
			continue
		}
		theirs, ok := app.FromShop[shop]
		if !ok {
			return nil, fmt.Sprintf("%s has no counterpart of %s's %s", app.Name, apps.AstronomyShop.Title, shop)
		}
		keys[key] = theirs
	}
	target, _ := app.Service(fmt.Sprint(keys["target"]))
	if _, ok := keys["container"]; ok {
		keys["container"] = target.ContainerName()
	}
	if isHTTPFault(fault) {
		if len(target.HTTPPorts()) == 0 {
			return nil, httpRefusal(app, target, fault)
		}
		delete(keys, "port") // the shop's port: the service's first HTTP port is the default
	}
	if ss, ok := keys["steadyState"].(map[string]any); ok {
		ss = cloneMap(ss)
		if slo, ok := ss["slo"].(string); ok {
			ss["slo"] = renameSLO(app, slo)
		}
		keys["steadyState"] = ss
	}
	return keys, ""
}

// httpRefusal says why an HTTP fault cannot apply to a service without a plain-HTTP port.
func httpRefusal(app apps.App, svc apps.Service, fault Fault) string {
	var http []string
	for _, s := range app.Deploy().Services() {
		if len(s.HTTPPorts()) > 0 {
			http = append(http, s.Name)
		}
	}
	return fmt.Sprintf("%s %s: HTTPChaos (%s) cannot inject into gRPC or raw TCP, and %s serves plain HTTP on %s only; use fault: %s with chaos-mesh-otel:istio: true",
		svc.Name, protocolsOf(svc), fault, app.Name, strings.Join(http, ", "), MeshFault)
}

// renameSLO renames an SLO of the shop's defaults (<service>-<kind>) for the app: frontend-proxy-availability
// is the Boutique's frontend-availability.
func renameSLO(app apps.App, name string) string {
	shopServices := apps.AstronomyShop.ServiceNames()
	// The longest service name first, so that frontend-proxy-... is not read as frontend + proxy-....
	slices.SortFunc(shopServices, func(a, b string) int { return len(b) - len(a) })
	for _, shop := range shopServices {
		if rest, ok := strings.CutPrefix(name, shop+"-"); ok {
			if theirs, ok := app.FromShop[shop]; ok {
				return theirs + "-" + rest
			}
		}
	}
	return name
}

func isHTTPFault(f Fault) bool { return faults[f].kind == v1alpha1.TypeHTTPChaos }

// PresetTarget is the service that a preset scenario targets in the Astronomy Shop, for tools that know a
// scenario only by its name (a report's windows file); see PresetTargetIn.
func PresetTarget(name string) (string, bool) { return PresetTargetIn(apps.AstronomyShop, name) }

// PresetTargetIn is the service that a preset scenario targets in an app. False for names that are not
// presets, for presets without one target (game days, flags), and for presets that do not apply to the app.
func PresetTargetIn(app apps.App, name string) (string, bool) {
	if _, ok := presets[name]; !ok {
		return "", false
	}
	keys, refusal := presetFor(app, name)
	target, ok := keys["target"].(string)
	return target, refusal == "" && ok && target != ""
}

// ApplicablePresets lists, sorted, the presets that a stack with these options accepts when each is enabled
// on its own: those of its app, with Istio for a mesh fault and without HTTPChaos behind a sidecar. Enabling
// all of them at once is valid too (tests and demos do).
func ApplicablePresets(opts Options) []string {
	var out []string
	for _, name := range PresetNames() {
		if _, errs := Build([]byte(`{"`+name+`":{"enabled":true}}`), opts); errs == nil {
			out = append(out, name)
		}
	}
	return out
}
