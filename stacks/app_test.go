package stacks

import (
	"strings"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

func TestAppAndIstioDefaults(t *testing.T) {
	cfg, err := ParseConfig(lookupOf(map[string]string{KeyGrafanaAdminPassword: "long-enough"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Deployment.App.Name != apps.AstronomyShop.Name || cfg.Istio {
		t.Errorf("defaults: app %s, istio %v; want astronomy-shop without Istio", cfg.Deployment.App.Name, cfg.Istio)
	}
}

// With app: online-boutique the stack deploys the Boutique: its services, its namespace, its default SLOs.
func TestOnlineBoutiqueIsTheAppUnderTest(t *testing.T) {
	cfg, err := ParseConfig(lookupOf(map[string]string{KeyGrafanaAdminPassword: "long-enough", KeyApp: "online-boutique", KeyIstio: "true"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Deployment.App.Namespace != "online-boutique" || !cfg.Deployment.Has("checkoutservice") || cfg.Deployment.Has("checkout") || !cfg.Istio {
		t.Errorf("deployment %v in %s, istio %v", cfg.Deployment.ServiceNames(), cfg.Deployment.App.Namespace, cfg.Istio)
	}
	if got, want := strings.Join(slo.Names(cfg.SLOs), ","), strings.Join(slo.Names(slo.DefaultsFor(apps.OnlineBoutique)), ","); got != want {
		t.Errorf("SLOs %s, want the Boutique's defaults %s", got, want)
	}
	if cfg.SLOs[0].Service != "frontend" {
		t.Errorf("first SLO on %s, want the Boutique's entry", cfg.SLOs[0].Service)
	}
}

// The app's keys fail with the key's full name and the reason; the shop's own keys are refused with the
// Boutique only when they would do something.
func TestAppKeyErrors(t *testing.T) {
	boutique := map[string]string{KeyApp: "online-boutique"}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{KeyApp: "online-boutique"}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		values map[string]string
		want   string // "" when valid
	}{
		{"unknown app", map[string]string{KeyApp: "boutique"}, `chaos-mesh-otel:app: Unsupported value: "boutique": supported values: "astronomy-shop", "online-boutique"`},
		{"app typo", map[string]string{KeyApp: "online-botique"}, `chaos-mesh-otel:app: Unsupported value: "online-botique": did you mean "online-boutique"?`},
		{"app case", map[string]string{KeyApp: "Astronomy-Shop"}, `chaos-mesh-otel:app: Unsupported value: "Astronomy-Shop": did you mean "astronomy-shop"?`},
		{"istio not a bool", map[string]string{KeyIstio: "enabled"}, `chaos-mesh-otel:istio: Invalid value: "enabled": expected true or false`},
		{"boutique users", with(map[string]string{KeyLoadGeneratorUsers: "20"}), "chaos-mesh-otel:loadGeneratorUsers: Forbidden: online-boutique's load generator runs a fixed number of users that its chart hard-codes"},
		// Pulumi passes Pulumi.yaml's default for every key, so the default must not be refused.
		{"boutique users at Pulumi.yaml's default", with(map[string]string{KeyLoadGeneratorUsers: "5"}), ""},
		{"boutique llm", with(map[string]string{KeyLLMComponents: "true"}), "chaos-mesh-otel:llmComponents: Forbidden: the LLM components (agent, chatbot, mcp) are services of the Astronomy Shop; online-boutique has none"},
		{"boutique browser", with(map[string]string{KeyLoadGeneratorBrowser: "true"}), "chaos-mesh-otel:loadGeneratorBrowser: Forbidden: the headless-browser scenarios belong to the Astronomy Shop's k6 load generator"},
		{"boutique llm off", with(map[string]string{KeyLLMComponents: "false", KeyLoadGeneratorBrowser: "false"}), ""},
		{"boutique users empty", with(map[string]string{KeyLoadGeneratorUsers: ""}), ""},
		{"shop users", map[string]string{KeyLoadGeneratorUsers: "20"}, ""},
		{"boutique slo on a shop service", with(map[string]string{KeySLOs: `[{"name":"x","service":"checkout","kind":"availability","objective":0.9}]`}),
			`chaos-mesh-otel:slos[0].service: Unsupported value: "checkout": the Astronomy Shop's name; did you mean "checkoutservice"?`},
		{"boutique slo on an untraced service", with(map[string]string{KeySLOs: `[{"name":"x","service":"frontend","kind":"availability","objective":0.9}]`}), ""},
		{"boutique", boutique, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			values := map[string]string{KeyGrafanaAdminPassword: "long-enough"}
			for k, v := range tc.values {
				values[k] = v
			}
			_, err := ParseConfig(lookupOf(values))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("valid config refused: %v", err)
			case tc.want == "":
			case err == nil:
				t.Fatalf("accepted; want %s", tc.want)
			case !strings.Contains(err.Error(), tc.want):
				t.Errorf("got:\n%v\nwant a line with:\n%s", err, tc.want)
			}
		})
	}
}
