package scenarios

import (
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

type m = map[string]any

// ok is a valid base scenario; bad cases change a key or two.
func base(fault string, extra m) m {
	out := m{"enabled": true, "fault": fault, "target": "checkout", "duration": "1m"}
	switch fault {
	case "network-delay":
		out["latency"] = "100ms"
	case "network-loss":
		out["loss"] = "10"
	case "network-duplicate":
		out["duplicate"] = "10"
	case "network-corrupt":
		out["corrupt"] = "10"
	case "network-bandwidth":
		out["rate"] = "1mbps"
	case "network-partition":
		out["to"] = "cart"
	case "memory-stress":
		out["size"] = "64MB"
	case "http-delay":
		out["target"], out["delay"] = "shipping", "1s"
	case "http-abort":
		out["target"] = "shipping"
	case "http-replace":
		out["target"], out["code"] = "shipping", 500
	case "io-latency":
		out["delay"] = "10ms"
	case "io-fault":
		out["errno"] = 5
	case "time-skew":
		out["offset"] = "1h"
	}
	return withKeys(out, extra)
}

// withKeys sets extra's keys on a scenario, where a nil value deletes the key, and returns it.
func withKeys(out, extra m) m {
	for k, v := range extra {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func TestValidation(t *testing.T) {
	cases := []struct {
		name string
		cfg  any    // the whole scenarios value (map) or a raw JSON string
		path string // expected key path
		msg  string // expected part of the message (what was expected)
		opts func(*Options)
	}{
		// Top level and shape.
		{"not json", `{"a":`, "scenarios", "expected a map", nil},
		{"top-level list", `[1,2]`, "scenarios", "expected a map", nil},
		{"top-level string", `"x"`, "scenarios", "expected a map", nil},
		{"scenario is a string", m{"x": "pod-kill"}, "scenarios.x", "expected an object", nil},
		{"scenario is a number", m{"x": 3}, "scenarios.x", "expected an object", nil},
		{"name without letters", m{"---": base("pod-kill", nil)}, "scenarios.---", "letters or digits", nil},
		{"two names, one object", m{"a_b": base("pod-kill", nil), "a-b": base("pod-kill", nil)}, "scenarios.a_b", "same as that of scenario", nil},
		{"no app", m{"x": base("pod-kill", nil)}, "options.deployment", "Required value", func(o *Options) { o.Deployment = apps.Deployment{} }},

		// Fault.
		{"missing fault", m{"x": base("pod-kill", m{"fault": nil})}, "scenarios.x.fault", "Required value", nil},
		{"unknown fault", m{"x": base("pod-kill", m{"fault": "pod-explode"})}, "scenarios.x.fault", `Unsupported value: "pod-explode"`, nil},
		{"fault typo suggests", m{"x": base("pod-kill", m{"fault": "pod-kil"})}, "scenarios.x.fault", `did you mean "pod-kill"`, nil},
		{"fault not a string", m{"x": base("pod-kill", m{"fault": true})}, "scenarios.x.fault", "expected a string", nil},
		{"fault is a list", m{"x": base("pod-kill", m{"fault": []any{"a"}})}, "scenarios.x.fault", "expected a string", nil},

		// Unknown keys.
		{"typo latncy", m{"x": base("network-delay", m{"latncy": "1s"})}, "scenarios.x.latncy", `did you mean "latency"`, nil},
		{"typo enabeld", m{"x": base("pod-kill", m{"enabeld": true})}, "scenarios.x.enabeld", `did you mean "enabled"`, nil},
		{"typo targt", m{"x": base("pod-kill", m{"targt": "cart"})}, "scenarios.x.targt", `did you mean "target"`, nil},
		{"typo schedul", m{"x": base("pod-kill", m{"schedul": "@every 1h"})}, "scenarios.x.schedul", `did you mean "schedule"`, nil},
		{"typo duraton", m{"x": base("pod-kill", m{"duraton": "1m"})}, "scenarios.x.duraton", `did you mean "duration"`, nil},
		{"key of another fault", m{"x": base("pod-kill", m{"latency": "1s"})}, "scenarios.x.latency", "unknown key for fault pod-kill (it is a key of network-delay)", nil},
		{"http key on network", m{"x": base("network-loss", m{"port": 80})}, "scenarios.x.port", "unknown key for fault network-loss", nil},
		{"network key on stress", m{"x": base("cpu-stress", m{"to": "cart"})}, "scenarios.x.to", "unknown key for fault cpu-stress", nil},
		{"container on pod-kill", m{"x": base("pod-kill", m{"container": "checkout"})}, "scenarios.x.container", "unknown key for fault pod-kill", nil},
		{"garbage key", m{"x": base("pod-kill", m{"zzzzzz": 1})}, "scenarios.x.zzzzzz", "expected one of", nil},
		{"schedule on flag", m{"x": m{"enabled": true, "fault": "flag", "flag": "adFailure", "variant": "on", "schedule": "@every 1h"}}, "scenarios.x.schedule", "unknown key for fault flag", nil},
		{"target on flag", m{"x": m{"enabled": true, "fault": "flag", "flag": "adFailure", "variant": "on", "target": "ad"}}, "scenarios.x.target", "unknown key for fault flag", nil},
		{"fault on gameday", m{"x": m{"enabled": true, "steps": []any{"checkout-pod-kill"}, "fault": "pod-kill"}}, "scenarios.x.fault", "unknown key for a game day", nil},
		{"duration on gameday", m{"x": m{"enabled": true, "steps": []any{"checkout-pod-kill"}, "duration": "1m"}}, "scenarios.x.duration", "unknown key for a game day", nil},
		{"unknown steadyState key", m{"x": m{"enabled": true, "steps": []any{"checkout-pod-kill"}, "steadyState": m{"slo": "checkout-availability", "treshold": 2}}}, "scenarios.x.steadyState.treshold", "unknown key for steadyState", nil},
		{"unknown step key", m{"x": m{"enabled": true, "steps": []any{m{"paralel": []any{"checkout-pod-kill"}}}}}, "scenarios.x.steps[0].paralel", `did you mean "parallel"`, nil},
		{"preset typo", m{"checkout-pod-kill": m{"enabled": true, "shedule": "@every 1h"}}, "scenarios.checkout-pod-kill.shedule", `did you mean "schedule"`, nil},

		// Enabled / allowAll types.
		{"enabled not bool", m{"x": base("pod-kill", m{"enabled": "yes"})}, "scenarios.x.enabled", "expected true or false", nil},
		{"enabled number", m{"x": base("pod-kill", m{"enabled": 1})}, "scenarios.x.enabled", "expected true or false", nil},
		{"allowAll not bool", m{"x": base("pod-kill", m{"allowAll": "sure"})}, "scenarios.x.allowAll", "expected true or false", nil},

		// Targets.
		{"missing target", m{"x": base("pod-kill", m{"target": nil})}, "scenarios.x.target", "Required value", nil},
		{"unknown target", m{"x": base("pod-kill", m{"target": "billing"})}, "scenarios.x.target", "not a service of", nil},
		{"target typo", m{"x": base("pod-kill", m{"target": "chekout"})}, "scenarios.x.target", `did you mean "checkout"`, nil},
		{"target in another namespace", m{"x": base("pod-kill", m{"target": "prometheus-server"})}, "scenarios.x.target", "namespace otel-demo", nil},
		{"target chaos-mesh", m{"x": base("pod-kill", m{"target": "chaos-controller-manager"})}, "scenarios.x.target", "not a service of", nil},
		{"target otel-collector", m{"x": base("pod-kill", m{"target": "otel-collector"})}, "scenarios.x.target", "not a service of", nil},
		{"target disabled LLM", m{"x": base("pod-kill", m{"target": "agent"})}, "scenarios.x.target", "llmComponents", nil},
		{"target disabled chatbot", m{"x": base("pod-kill", m{"target": "chatbot"})}, "scenarios.x.target", "not deployed", nil},
		{"target not a string", m{"x": base("pod-kill", m{"target": 42})}, "scenarios.x.target", "not a service of", nil},
		{"target list", m{"x": base("pod-kill", m{"target": []any{"cart"}})}, "scenarios.x.target", "expected a string", nil},

		// Network peer and direction.
		{"unknown to", m{"x": base("network-delay", m{"to": "billing"})}, "scenarios.x.to", "not a service of", nil},
		{"to typo", m{"x": base("network-delay", m{"to": "product-catalogue"})}, "scenarios.x.to", `did you mean "product-catalog"`, nil},
		{"to disabled", m{"x": base("network-loss", m{"to": "mcp"})}, "scenarios.x.to", "not deployed", nil},
		{"bad direction", m{"x": base("network-delay", m{"to": "cart", "direction": "sideways"})}, "scenarios.x.direction", `supported values: "to", "from", "both"`, nil},
		{"direction without to", m{"x": base("network-delay", m{"direction": "both"})}, "scenarios.x.direction", "needs `to`", nil},
		{"partition without to", m{"x": base("network-partition", m{"to": nil})}, "scenarios.x.to", "Required value: network-partition needs", nil},

		// Network parameters.
		{"missing latency", m{"x": base("network-delay", m{"latency": nil})}, "scenarios.x.latency", "Required value", nil},
		{"bad latency", m{"x": base("network-delay", m{"latency": "1000"})}, "scenarios.x.latency", "Go duration", nil},
		{"negative latency", m{"x": base("network-delay", m{"latency": "-5ms"})}, "scenarios.x.latency", "positive Go duration", nil},
		{"bad jitter", m{"x": base("network-delay", m{"jitter": "lots"})}, "scenarios.x.jitter", "Go duration", nil},
		{"bad correlation", m{"x": base("network-delay", m{"correlation": "150"})}, "scenarios.x.correlation", "percent from 0 to 100", nil},
		{"correlation text", m{"x": base("network-loss", m{"correlation": "high"})}, "scenarios.x.correlation", "percent from 0 to 100", nil},
		{"missing loss", m{"x": base("network-loss", m{"loss": nil})}, "scenarios.x.loss", "Required value", nil},
		{"loss over 100", m{"x": base("network-loss", m{"loss": 120})}, "scenarios.x.loss", "at most 100", nil},
		{"loss zero", m{"x": base("network-loss", m{"loss": 0})}, "scenarios.x.loss", "greater than 0", nil},
		{"loss negative", m{"x": base("network-loss", m{"loss": -1})}, "scenarios.x.loss", "percent", nil},
		{"loss text", m{"x": base("network-loss", m{"loss": "half"})}, "scenarios.x.loss", "percent", nil},
		{"missing duplicate", m{"x": base("network-duplicate", m{"duplicate": nil})}, "scenarios.x.duplicate", "Required value", nil},
		{"bad duplicate", m{"x": base("network-duplicate", m{"duplicate": "101%"})}, "scenarios.x.duplicate", "at most 100", nil},
		{"missing corrupt", m{"x": base("network-corrupt", m{"corrupt": nil})}, "scenarios.x.corrupt", "Required value", nil},
		{"bad corrupt", m{"x": base("network-corrupt", m{"corrupt": "x"})}, "scenarios.x.corrupt", "percent", nil},
		{"missing rate", m{"x": base("network-bandwidth", m{"rate": nil})}, "scenarios.x.rate", "Required value", nil},
		{"bad rate unit", m{"x": base("network-bandwidth", m{"rate": "10 parsecs"})}, "scenarios.x.rate", "mbps", nil},
		{"bad limit", m{"x": base("network-bandwidth", m{"limit": 0})}, "scenarios.x.limit", "at least 1", nil},
		{"limit text", m{"x": base("network-bandwidth", m{"limit": "many"})}, "scenarios.x.limit", "whole number", nil},
		{"bad buffer", m{"x": base("network-bandwidth", m{"buffer": -3})}, "scenarios.x.buffer", "at least 1", nil},
		{"buffer float", m{"x": base("network-bandwidth", m{"buffer": 1.5})}, "scenarios.x.buffer", "whole number", nil},

		// Mode and value.
		{"bad mode", m{"x": base("pod-kill", m{"mode": "some"})}, "scenarios.x.mode", `supported values: "one", "all", "fixed", "fixed-percent", "random-max-percent"`, nil},
		{"value with one", m{"x": base("pod-kill", m{"mode": "one", "value": "2"})}, "scenarios.x.value", "must be empty with mode one", nil},
		{"value with all", m{"x": base("pod-kill", m{"mode": "all", "value": "2"})}, "scenarios.x.value", "must be empty with mode all", nil},
		{"fixed without value", m{"x": base("pod-kill", m{"mode": "fixed"})}, "scenarios.x.value", "whole number of pods", nil},
		{"fixed zero", m{"x": base("pod-kill", m{"mode": "fixed", "value": "0"})}, "scenarios.x.value", "at least 1", nil},
		{"fixed text", m{"x": base("pod-kill", m{"mode": "fixed", "value": "two"})}, "scenarios.x.value", "whole number", nil},
		{"fixed-percent missing", m{"x": base("pod-kill", m{"mode": "fixed-percent"})}, "scenarios.x.value", "from 1 to 100", nil},
		{"fixed-percent 150", m{"x": base("pod-kill", m{"mode": "fixed-percent", "value": "150"})}, "scenarios.x.value", "from 1 to 100", nil},
		{"random-max-percent 0", m{"x": base("pod-kill", m{"mode": "random-max-percent", "value": "0"})}, "scenarios.x.value", "from 1 to 100", nil},
		{"value not string", m{"x": base("pod-kill", m{"mode": "fixed", "value": true})}, "scenarios.x.value", "expected a string", nil},

		// Blast radius on stateful services.
		{"all on kafka", m{"x": base("pod-kill", m{"target": "kafka", "mode": "all"})}, "scenarios.x.allowAll", "allowAll: true", nil},
		{"all on astronomy-db", m{"x": base("pod-failure", m{"target": "astronomy-db", "mode": "all"})}, "scenarios.x.allowAll", "stateful service astronomy-db", nil},
		{"all on valkey-cart", m{"x": base("network-loss", m{"target": "valkey-cart", "mode": "all"})}, "scenarios.x.allowAll", "allowAll", nil},
		{"100 percent on kafka", m{"x": base("pod-kill", m{"target": "kafka", "mode": "fixed-percent", "value": "100"})}, "scenarios.x.allowAll", "allowAll", nil},
		{"allowAll false on valkey", m{"x": base("pod-kill", m{"target": "valkey-cart", "mode": "all", "allowAll": false})}, "scenarios.x.allowAll", "allowAll", nil},

		// Durations and schedules.
		{"missing duration", m{"x": base("network-delay", m{"duration": nil})}, "scenarios.x.duration", "Required value", nil},
		{"bad duration", m{"x": base("pod-kill", m{"duration": "thirty seconds"})}, "scenarios.x.duration", "Go duration", nil},
		{"duration without unit", m{"x": base("cpu-stress", m{"duration": "30"})}, "scenarios.x.duration", "Go duration", nil},
		{"zero duration", m{"x": base("cpu-stress", m{"duration": "0s"})}, "scenarios.x.duration", "positive", nil},
		{"negative duration", m{"x": base("cpu-stress", m{"duration": "-1m"})}, "scenarios.x.duration", "positive", nil},
		{"duration number", m{"x": base("cpu-stress", m{"duration": 30})}, "scenarios.x.duration", "Go duration", nil},
		{"bad cron", m{"x": base("pod-kill", m{"schedule": "every ten minutes"})}, "scenarios.x.schedule", "cron expression", nil},
		{"cron too many fields", m{"x": base("pod-kill", m{"schedule": "* * * * * * *"})}, "scenarios.x.schedule", "cron", nil},
		{"cron minute 61", m{"x": base("pod-kill", m{"schedule": "61 * * * *"})}, "scenarios.x.schedule", "cron", nil},
		{"bad @every", m{"x": base("pod-kill", m{"schedule": "@every often"})}, "scenarios.x.schedule", "@every", nil},
		{"unknown descriptor", m{"x": base("pod-kill", m{"schedule": "@sometimes"})}, "scenarios.x.schedule", "cron", nil},
		{"duration over @every", m{"x": base("cpu-stress", m{"duration": "20m", "schedule": "@every 10m"})}, "scenarios.x.duration", "longer than the schedule's interval", nil},
		{"duration over cron", m{"x": base("cpu-stress", m{"duration": "10m", "schedule": "*/5 * * * *"})}, "scenarios.x.duration", "at most 5m0s", nil},
		{"duration over irregular cron", m{"x": base("cpu-stress", m{"duration": "30m", "schedule": "0,10 * * * *"})}, "scenarios.x.duration", "at most 10m0s", nil},
		{"duration of a century", m{"x": base("network-delay", m{"duration": "876000h"})}, "scenarios.x.duration", "at most 24h0m0s", nil},
		{"duration over a day", m{"x": base("pod-kill", m{"duration": "25h"})}, "scenarios.x.duration", `"25h": expected a fault of at most 24h0m0s`, nil},
		{"cron step over the minutes", m{"x": base("pod-kill", m{"schedule": "*/61 * * * *"})}, "scenarios.x.schedule", `fires only at minute 0`, nil},
		{"cron step over the hours", m{"x": base("pod-kill", m{"schedule": "0 */25 * * *"})}, "scenarios.x.schedule", "at most 24", nil},
		{"cron step over the seconds", m{"x": base("pod-kill", m{"schedule": "*/90 * * * * *"})}, "scenarios.x.schedule", "second field", nil},
		{"cron step over a range", m{"x": base("pod-kill", m{"schedule": "10-20/15 * * * *"})}, "scenarios.x.schedule", "range 10-20", nil},
		{"cron step on a game day", m{"g": m{"enabled": true, "schedule": "0 0 */40 * *", "steps": []any{"checkout-pod-kill"}}}, "scenarios.g.schedule", "day-of-month", nil},
		{"cron that never fires", m{"x": base("pod-kill", m{"schedule": "0 0 31 2 *"})}, "scenarios.x.schedule", "never fires", nil},
		{"explicit pod-kill duration over @every", m{"x": base("pod-kill", m{"duration": "30s", "schedule": "@every 1s"})}, "scenarios.x.duration", `"30s": longer than the schedule's interval (1s)`, nil},
		{"preset duration over user schedule", m{"recommendation-cpu-stress": m{"enabled": true, "schedule": "@every 30s"}}, "scenarios.recommendation-cpu-stress.duration", "interval", nil},

		// Stress.
		{"bad workers", m{"x": base("cpu-stress", m{"workers": 0})}, "scenarios.x.workers", "from 1 to 64", nil},
		{"workers text", m{"x": base("cpu-stress", m{"workers": "many"})}, "scenarios.x.workers", `or "all"`, nil},
		{"bad load", m{"x": base("cpu-stress", m{"load": 150})}, "scenarios.x.load", "from 1 to 100", nil},
		{"load text", m{"x": base("cpu-stress", m{"load": "max"})}, "scenarios.x.load", "whole number", nil},
		{"missing size", m{"x": base("memory-stress", m{"size": nil})}, "scenarios.x.size", "Required value", nil},
		{"bad size", m{"x": base("memory-stress", m{"size": "lots"})}, "scenarios.x.size", "256MB", nil},
		{"size over 100%", m{"x": base("memory-stress", m{"size": "150%"})}, "scenarios.x.size", "256MB", nil},
		{"workers all on memory", m{"x": base("memory-stress", m{"workers": "all"})}, "scenarios.x.workers", "only for cpu-stress", nil},

		// HTTP.
		{"http on gRPC ad", m{"x": base("http-delay", m{"target": "ad"})}, "scenarios.x.target", "speaks gRPC", nil},
		{"http on gRPC checkout", m{"x": base("http-abort", m{"target": "checkout"})}, "scenarios.x.target", "plain-HTTP service", nil},
		{"http on gRPC product-catalog", m{"x": base("http-replace", m{"target": "product-catalog"})}, "scenarios.x.target", "gRPC", nil},
		{"http on kafka", m{"x": base("http-delay", m{"target": "kafka"})}, "scenarios.x.target", "TCP", nil},
		{"http on portless worker", m{"x": base("http-delay", m{"target": "accounting"})}, "scenarios.x.target", "serves no port", nil},
		{"http on gRPC port of flagd", m{"x": base("http-delay", m{"target": "flagd", "port": 8013})}, "scenarios.x.port", "not a plain-HTTP port of flagd", nil},
		{"http wrong port", m{"x": base("http-delay", m{"port": 9999})}, "scenarios.x.port", "expected one of: 8080", nil},
		{"http port text", m{"x": base("http-delay", m{"port": "http"})}, "scenarios.x.port", "whole number", nil},
		{"http missing delay", m{"x": base("http-delay", m{"delay": nil})}, "scenarios.x.delay", "Required value", nil},
		{"http bad delay", m{"x": base("http-delay", m{"delay": "slow"})}, "scenarios.x.delay", "Go duration", nil},
		{"http bad path", m{"x": base("http-delay", m{"path": "api/*"})}, "scenarios.x.path", "starting with /", nil},
		{"http bad method", m{"x": base("http-delay", m{"method": "FETCH"})}, "scenarios.x.method", `Unsupported value: "FETCH": supported values: "GET"`, nil},
		{"http missing code", m{"x": base("http-replace", m{"code": nil})}, "scenarios.x.code", "Required value", nil},
		{"http bad code", m{"x": base("http-replace", m{"code": 700})}, "scenarios.x.code", "100 to 599", nil},
		{"http code text", m{"x": base("http-replace", m{"code": "error"})}, "scenarios.x.code", "whole number", nil},
		{"code on abort", m{"x": base("http-abort", m{"code": 500})}, "scenarios.x.code", "unknown key for fault http-abort (it is a key of http-replace)", nil},

		// DNS.
		{"dns patterns not list", m{"x": base("dns-error", m{"patterns": 5})}, "scenarios.x.patterns", "list of strings", nil},
		{"dns pattern not string", m{"x": base("dns-error", m{"patterns": []any{"ok", 3}})}, "scenarios.x.patterns[1]", "expected a string", nil},
		{"dns pattern url", m{"x": base("dns-random", m{"patterns": []any{"http://payment"}})}, "scenarios.x.patterns[0]", "domain pattern", nil},
		{"dns pattern empty", m{"x": base("dns-error", m{"patterns": []any{""}})}, "scenarios.x.patterns[0]", "domain pattern", nil},

		// IO.
		{"io missing delay", m{"x": base("io-latency", m{"delay": nil})}, "scenarios.x.delay", "Required value", nil},
		{"io bad delay", m{"x": base("io-latency", m{"delay": "10"})}, "scenarios.x.delay", "Go duration", nil},
		{"io missing errno", m{"x": base("io-fault", m{"errno": nil})}, "scenarios.x.errno", "Required value", nil},
		{"io errno zero", m{"x": base("io-fault", m{"errno": 0})}, "scenarios.x.errno", "from 1 to 133", nil},
		{"io bad percent", m{"x": base("io-latency", m{"percent": 0})}, "scenarios.x.percent", "from 1 to 100", nil},
		{"io percent text", m{"x": base("io-fault", m{"percent": "most"})}, "scenarios.x.percent", "from 1 to 100", nil},
		{"io no volume", m{"x": base("io-latency", m{"target": "cart"})}, "scenarios.x.volumePath", "no known writable volume", nil},
		{"io relative volume", m{"x": base("io-latency", m{"volumePath": "tmp"})}, "scenarios.x.volumePath", "absolute mount path", nil},
		{"io relative path", m{"x": base("io-fault", m{"path": "data/*"})}, "scenarios.x.path", "absolute file path", nil},
		{"io errno on latency", m{"x": base("io-latency", m{"errno": 5})}, "scenarios.x.errno", "unknown key for fault io-latency", nil},

		// Time.
		{"missing offset", m{"x": base("time-skew", m{"offset": nil})}, "scenarios.x.offset", "Required value", nil},
		{"bad offset", m{"x": base("time-skew", m{"offset": "yesterday"})}, "scenarios.x.offset", "Go duration", nil},

		// Flags.
		{"flag missing name", m{"x": m{"enabled": true, "fault": "flag", "variant": "on"}}, "scenarios.x.flag", "Required value", nil},
		{"flag unknown", m{"x": m{"enabled": true, "fault": "flag", "flag": "adExplode", "variant": "on"}}, "scenarios.x.flag", `Unsupported value: "adExplode"`, nil},
		{"flag typo", m{"x": m{"enabled": true, "fault": "flag", "flag": "adFailur", "variant": "on"}}, "scenarios.x.flag", `did you mean "adFailure"`, nil},
		{"flag missing variant", m{"x": m{"enabled": true, "fault": "flag", "flag": "cartFailure"}}, "scenarios.x.variant", "Required value: a variant of cartFailure", nil},
		{"flag unknown variant", m{"x": m{"enabled": true, "fault": "flag", "flag": "cartFailure", "variant": "33%"}}, "scenarios.x.variant", `supported values: "10%", "100%"`, nil},
		{"flag twice", m{"a": m{"enabled": true, "fault": "flag", "flag": "adFailure", "variant": "on"}, "b": m{"enabled": true, "fault": "flag", "flag": "adFailure", "variant": "off"}}, "scenarios.b.flag", "already set", nil},
		{"preset flag bad variant", m{"ad-failure": m{"enabled": true, "variant": "maybe"}}, "scenarios.ad-failure.variant", `supported values: "off", "on"`, nil},

		// Game days.
		{"steps not a list", m{"g": m{"enabled": true, "steps": "checkout-pod-kill"}}, "scenarios.g.steps", "expected a list", nil},
		{"steps empty", m{"g": m{"enabled": true, "steps": []any{}}}, "scenarios.g.steps", "at least one step", nil},
		{"step unknown", m{"g": m{"enabled": true, "steps": []any{"nope"}}}, "scenarios.g.steps[0]", "not a preset or a scenario of this config", nil},
		{"step typo", m{"g": m{"enabled": true, "steps": []any{"checkout-pod-kil"}}}, "scenarios.g.steps[0]", `did you mean "checkout-pod-kill"`, nil},
		{"parallel unknown", m{"g": m{"enabled": true, "steps": []any{"checkout-pod-kill", m{"parallel": []any{"frontend-catalog-latency", "ghost"}}}}}, "scenarios.g.steps[1].parallel[1]", "not a preset or a scenario of this config", nil},
		{"parallel not list", m{"g": m{"enabled": true, "steps": []any{m{"parallel": "x"}}}}, "scenarios.g.steps[0].parallel", "non-empty list", nil},
		{"parallel empty", m{"g": m{"enabled": true, "steps": []any{m{"parallel": []any{}}}}}, "scenarios.g.steps[0].parallel", "non-empty list", nil},
		{"parallel item not string", m{"g": m{"enabled": true, "steps": []any{m{"parallel": []any{1}}}}}, "scenarios.g.steps[0].parallel[0]", "scenario name", nil},
		{"step object without parallel", m{"g": m{"enabled": true, "steps": []any{m{}}}}, "scenarios.g.steps[0].parallel", "Required value", nil},
		{"step number", m{"g": m{"enabled": true, "steps": []any{7}}}, "scenarios.g.steps[0]", "scenario name", nil},
		{"self cycle", m{"g": m{"enabled": true, "steps": []any{"g"}}}, "scenarios.g.steps[0]", "cycle", nil},
		{"two-step cycle", m{"a": m{"enabled": true, "steps": []any{"b"}}, "b": m{"steps": []any{"checkout-pod-kill", "a"}}}, "scenarios.b.steps[1]", "cycle: a → b → a", nil},
		{"three-step cycle", m{"a": m{"steps": []any{"b"}}, "b": m{"steps": []any{"c"}}, "c": m{"steps": []any{m{"parallel": []any{"a"}}}}}, "scenarios.c.steps[0].parallel[0]", "cycle", nil},
		{"flag as step", m{"g": m{"enabled": true, "steps": []any{"ad-failure"}}}, "scenarios.g.steps[0]", "flag scenario", nil},
		{"step on disabled service", m{"k": base("pod-kill", m{"enabled": false, "target": "agent"}), "g": m{"enabled": true, "steps": []any{"k"}}}, "scenarios.g.steps[0]", "not deployed", nil},
		{"@every on gameday", m{"g": m{"enabled": true, "schedule": "@every 1h", "steps": []any{"checkout-pod-kill"}}}, "scenarios.g.schedule", "chaos-mesh#4624", nil},
		{"bad cron on gameday", m{"g": m{"enabled": true, "schedule": "0 25 * * *", "steps": []any{"checkout-pod-kill"}}}, "scenarios.g.schedule", "cron", nil},
		{"gameday longer than cron", m{"g": m{"enabled": true, "schedule": "*/5 * * * *", "steps": []any{"frontend-catalog-latency", "recommendation-cpu-stress"}}}, "scenarios.g.schedule", "longer than the schedule's interval", nil},
		{"steadyState not object", m{"g": m{"enabled": true, "steps": []any{"checkout-pod-kill"}, "steadyState": "ok"}}, "scenarios.g.steadyState", "expected an object", nil},
		{"steadyState empty", m{"g": m{"enabled": true, "steps": []any{"checkout-pod-kill"}, "steadyState": m{}}}, "scenarios.g.steadyState", "Required value: url", nil},
		{"steadyState both", m{"g": m{"enabled": true, "steps": []any{"checkout-pod-kill"}, "steadyState": m{"url": "http://x/", "slo": "checkout-availability"}}}, "scenarios.g.steadyState", "url and slo together", nil},
		{"steadyState unknown slo", m{"g": m{"enabled": true, "steps": []any{"checkout-pod-kill"}, "steadyState": m{"slo": "happiness"}}}, "scenarios.g.steadyState.slo", "checkout-availability", nil},
		{"steadyState slo without gate", m{"g": m{"enabled": true, "steps": []any{"checkout-pod-kill"}, "steadyState": m{"slo": "checkout-availability"}}}, "scenarios.g.steadyState.slo", "no SLO gate", func(o *Options) { o.Gate.URL = "" }},
		{"steadyState bad url", m{"g": m{"enabled": true, "steps": []any{"checkout-pod-kill"}, "steadyState": m{"url": "frontend:8080"}}}, "scenarios.g.steadyState.url", "absolute http(s) URL", nil},
		{"steadyState bad status", m{"g": m{"enabled": true, "steps": []any{"checkout-pod-kill"}, "steadyState": m{"url": "http://frontend:8080/", "statusCode": "2xx"}}}, "scenarios.g.steadyState.statusCode", "200-399", nil},
		{"steadyState status 999", m{"g": m{"enabled": true, "steps": []any{"checkout-pod-kill"}, "steadyState": m{"url": "http://frontend:8080/", "statusCode": "999"}}}, "scenarios.g.steadyState.statusCode", "status code", nil},
		{"steadyState status with slo", m{"g": m{"enabled": true, "steps": []any{"checkout-pod-kill"}, "steadyState": m{"slo": "checkout-availability", "statusCode": "200"}}}, "scenarios.g.steadyState.statusCode", "not allowed with slo", nil},
		{"steadyState bad interval", m{"g": m{"enabled": true, "steps": []any{"checkout-pod-kill"}, "steadyState": m{"slo": "checkout-availability", "interval": "500ms"}}}, "scenarios.g.steadyState.interval", "whole seconds", nil},
		{"steadyState bad threshold", m{"g": m{"enabled": true, "steps": []any{"checkout-pod-kill"}, "steadyState": m{"slo": "checkout-availability", "failureThreshold": 0}}}, "scenarios.g.steadyState.failureThreshold", "at least 1", nil},
		{"steadyState threshold text", m{"g": m{"enabled": true, "steps": []any{"checkout-pod-kill"}, "steadyState": m{"slo": "checkout-availability", "failureThreshold": "few"}}}, "scenarios.g.steadyState.failureThreshold", "whole number", nil},
		{"steadyState timeout over interval", m{"g": m{"enabled": true, "steps": []any{"checkout-pod-kill"}, "steadyState": m{"slo": "checkout-availability", "interval": "5s", "timeout": "10s"}}}, "scenarios.g.steadyState.timeout", "at most the interval", nil},
		{"step invalid scenario", m{"k": base("pod-kill", m{"enabled": false, "target": "nowhere"}), "g": m{"enabled": true, "steps": []any{"k"}}}, "scenarios.k.target", "not a service of", nil},
	}
	if len(cases) < 100 {
		t.Fatalf("only %d cases; the issue asks for at least 100", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var raw []byte
			if s, ok := tc.cfg.(string); ok {
				raw = []byte(s)
			} else {
				var err error
				if raw, err = json.Marshal(tc.cfg); err != nil {
					t.Fatal(err)
				}
			}
			opts := testOpts()
			if tc.opts != nil {
				tc.opts(&opts)
			}
			wantFieldError(t, raw, opts, tc.path, tc.msg)
		})
	}
}

// wantFieldError asserts that Build refuses the config with an error at path whose text contains msg.
func wantFieldError(t *testing.T, raw []byte, opts Options, path, msg string) {
	t.Helper()
	p, errs := Build(raw, opts)
	if errs == nil {
		t.Fatalf("want an error at %s, got a valid plan with %d objects", path, len(p.Objects))
	}
	for _, fe := range errs {
		if fe.Field == path && strings.Contains(fe.Error(), msg) {
			return
		}
	}
	t.Errorf("no error at %s containing %q; got:\n%s", path, msg, lines(errs))
}

// TestAllErrorsAtOnce checks that problems in several scenarios and keys come back together.
func TestAllErrorsAtOnce(t *testing.T) {
	raw := `{
	  "a": {"enabled": true, "fault": "network-delay", "target": "frontend", "latency": "soon", "duration": "1m"},
	  "b": {"enabled": true, "fault": "http-delay", "target": "ad", "delay": "1s", "duration": "1m"},
	  "c": {"enabled": true, "fault": "pod-kill", "target": "kafka", "mode": "all"},
	  "d": {"enabled": true, "steps": ["ghost"]}
	}`
	_, errs := Build([]byte(raw), testOpts())
	want := []string{"scenarios.a.latency", "scenarios.b.target", "scenarios.c.allowAll", "scenarios.d.steps[0]"}
	got := map[string]bool{}
	for _, fe := range errs {
		got[fe.Field] = true
		if strings.Contains(fe.Error(), "\n") {
			t.Errorf("a problem must fit on one line: %q", fe.Error())
		}
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing error at %s in:\n%s", w, lines(errs))
		}
	}
}

// TestDisabledScenarioOnDisabledServiceIsFine: only enabled scenarios must target deployed services.
func TestDisabledScenarioOnDisabledServiceIsFine(t *testing.T) {
	raw := `{"llm-kill": {"enabled": false, "fault": "pod-kill", "target": "agent"}}`
	if _, err := Build([]byte(raw), testOpts()); err != nil {
		t.Fatal(err)
	}
	opts := testOpts()
	opts.Deployment = apps.AstronomyShop.Deploy(apps.LLM) // llmComponents: true
	raw = `{"llm-kill": {"enabled": true, "fault": "pod-kill", "target": "agent"}}`
	if _, err := Build([]byte(raw), opts); err != nil {
		t.Fatalf("with llmComponents the LLM services are targets: %v", err)
	}
}

func TestValidEdgeCases(t *testing.T) {
	for name, raw := range map[string]string{
		"allowAll on kafka":           `{"x":{"enabled":true,"fault":"pod-kill","target":"kafka","mode":"all","allowAll":true}}`,
		"all on stateless":            `{"x":{"enabled":true,"fault":"pod-kill","target":"cart","mode":"all"}}`,
		"duration equals interval":    `{"x":{"enabled":true,"fault":"cpu-stress","target":"cart","duration":"10m","schedule":"@every 10m"}}`,
		"cron with seconds":           `{"x":{"enabled":true,"fault":"pod-kill","target":"cart","schedule":"0 */10 * * * *"}}`,
		"cron descriptor on gameday":  `{"g":{"enabled":true,"schedule":"@daily","steps":["checkout-pod-kill"]}}`,
		"step names disabled":         `{"k":{"enabled":false,"fault":"pod-kill","target":"cart"},"g":{"enabled":true,"steps":["k","k"]}}`,
		"booleans as strings":         `{"x":{"enabled":"true","fault":"pod-kill","target":"cart"}}`,
		"null scenario is a preset":   `{"checkout-pod-kill":null}`,
		"percent with sign":           `{"x":{"enabled":true,"fault":"network-loss","target":"cart","loss":"12.5%","duration":"1m"}}`,
		"cron step of a whole range":  `{"x":{"enabled":true,"fault":"pod-kill","target":"cart","schedule":"*/60 * * * *"}}`,
		"a day-long fault":            `{"x":{"enabled":true,"fault":"cpu-stress","target":"cart","duration":"24h"}}`,
		"disabled gameday with cycle": `{"a":{"steps":["checkout-pod-kill"]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Build([]byte(raw), testOpts()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestUntouchedPresetNotCheckedAgainstSLOs: a stack with its own SLOs does not trip over the preset game
// day's SLO until that game day is used.
func TestUntouchedPresetNotCheckedAgainstSLOs(t *testing.T) {
	opts := testOpts()
	opts.Gate.SLOs = []string{"cart-availability"}
	if _, err := Build(nil, opts); err != nil {
		t.Fatalf("untouched presets: %v", err)
	}
	_, err := Build([]byte(`{"checkout-gameday":{"enabled":true}}`), opts)
	if err == nil || !strings.Contains(lines(err), "scenarios.checkout-gameday.steadyState.slo") {
		t.Fatalf("enabled preset game day must resolve its SLO, got %v", err)
	}
	_, err = Build([]byte(`{"outer":{"enabled":true,"steps":["checkout-gameday"]}}`), opts)
	if err == nil || !strings.Contains(lines(err), "scenarios.checkout-gameday.steadyState.slo") {
		t.Fatalf("a game day used as a step must resolve its SLO, got %v", err)
	}
}

// Regression: an empty list of SLOs used to switch the check of steadyState.slo off instead of refusing
// every name.
func TestSteadyStateSLOWithNoSLOsIsRefused(t *testing.T) {
	opts := testOpts()
	opts.Gate.SLOs = nil
	_, err := Build([]byte(`{"checkout-gameday":{"enabled":true}}`), opts)
	if err == nil || !strings.Contains(lines(err), "scenarios.checkout-gameday.steadyState.slo") {
		t.Fatalf("steadyState.slo with no SLO to check against must be refused, got %v", err)
	}
}

// Regression: telemetry-docs and opamp-server are in the chart but the lab never deploys them.
func TestServicesTheLabDropsAreNotTargets(t *testing.T) {
	for _, svc := range []string{"telemetry-docs", "opamp-server"} {
		_, err := Build([]byte(`{"x":{"enabled":true,"fault":"pod-kill","target":"`+svc+`"}}`), testOpts())
		if err == nil || !strings.Contains(lines(err), "scenarios.x.target") || !strings.Contains(lines(err), "not deployed") {
			t.Errorf("target %s: want an error at scenarios.x.target saying it is not deployed, got %v", svc, err)
		}
	}
}

// A left-out duration never leaks a number the user did not write: pod-kill's default of 30s shrinks to a
// shorter schedule's interval.
func TestPodKillDefaultDurationFitsTheSchedule(t *testing.T) {
	for schedule, want := range map[string]string{"@every 1s": "1s", "@every 10s": "10s", "*/20 * * * * *": "20s", "@every 10m": "30s", "": "30s"} {
		keys := m{"enabled": true, "fault": "pod-kill", "target": "cart"}
		if schedule != "" {
			keys["schedule"] = schedule
		}
		p := one(t, keys, testOpts())
		ec, _, deadline := chaosOf(t, object(t, p, "s"))
		got := deadline
		if schedule != "" {
			got = str(ec.PodChaos.Duration)
		}
		if got != want {
			t.Errorf("schedule %q: duration %s, want %s", schedule, got, want)
		}
	}
}

// lines prints a list of problems one per line.
func lines(errs field.ErrorList) string {
	var b strings.Builder
	for _, fe := range errs {
		b.WriteString(fe.Error() + "\n")
	}
	return b.String()
}
