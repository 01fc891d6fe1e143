package scenarios

import "sort"

// presets are named scenarios that need only `enabled: true`. A user's keys override a preset's keys.
// Values are written the way they arrive from Pulumi config JSON (strings, not typed values).
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
	// All cores of one recommendation pod at 100% for 60 s.
	"recommendation-cpu-stress": {
		"fault": string(CPUStress), "target": "recommendation", "workers": "all", "load": "100", "duration": "60s",
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
	// A game day: latency first, then CPU stress and HTTP faults together, then a pod kill; aborted by
	// Chaos Mesh as soon as the frontend-proxy availability SLO breaks.
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
