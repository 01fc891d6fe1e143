package stacks

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseConfig: no value of the app, istio and scenarios keys makes ParseConfig panic; it returns either a
// config whose app and Istio switch are what the keys say, or a ConfigError whose every line starts with a
// key of the stack.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range meshConfigCases {
		v := seed.values()
		f.Add(v[KeyApp], v[KeyIstio], v[KeyScenarios])
	}
	f.Add("online-boutique", "true", `{"ad-mesh-faults":{"enabled":true}}`)
	f.Add("astronomy-shop", "false", `{"ad-mesh-faults":{"abortPercent":20}}`)
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, app, istio, scenarios string) {
		values := map[string]string{KeyGrafanaAdminPassword: "long-enough"}
		for key, v := range map[string]string{KeyApp: app, KeyIstio: istio, KeyScenarios: scenarios} {
			if v != "" {
				values[key] = v
			}
		}
		cfg, err := ParseConfig(lookupOf(values))
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || len(ce.Errors) == 0 {
				t.Fatalf("not a ConfigError with problems: %v", err)
			}
			for _, line := range ce.Lines() {
				if !strings.HasPrefix(line, ConfigNamespace+":") {
					t.Fatalf("a problem without its key: %s", line)
				}
			}
			return
		}
		if app != "" && cfg.Deployment.App.Name != app {
			t.Fatalf("app %q deployed %s", app, cfg.Deployment.App.Name)
		}
		if want, _ := strconv.ParseBool(strings.TrimSpace(istio)); cfg.Istio != want {
			t.Fatalf("istio %q read as %v", istio, cfg.Istio)
		}
		for _, o := range cfg.Scenarios.Objects {
			if o.IsMesh() && !cfg.Istio {
				t.Fatalf("VirtualService %s without Istio", o.Name)
			}
		}
	})
}
