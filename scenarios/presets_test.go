package scenarios

import (
	"strings"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

func TestPresetTarget(t *testing.T) {
	for name, want := range map[string]string{
		"checkout-pod-kill":         "checkout",
		"frontend-catalog-latency":  "frontend",
		"recommendation-cpu-stress": "recommendation",
		"checkout-gameday":          "",
		"ad-failure":                "",
		"not-a-preset":              "",
	} {
		got, ok := PresetTarget(name)
		if got != want || ok != (want != "") {
			t.Errorf("PresetTarget(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
}

func TestPresetTargetIn(t *testing.T) {
	for _, tc := range []struct {
		app        apps.App
		name, want string
	}{
		{apps.OnlineBoutique, "checkout-pod-kill", "checkoutservice"},
		{apps.OnlineBoutique, "recommendation-cpu-stress", "recommendationservice"},
		{apps.OnlineBoutique, "ad-mesh-faults", "adservice"},
		{apps.OnlineBoutique, "shipping-http-faults", ""}, // refused on the Boutique
		{apps.AstronomyShop, "ad-mesh-faults", "ad"},
		{apps.AstronomyShop, "shipping-http-faults", "shipping"},
	} {
		got, ok := PresetTargetIn(tc.app, tc.name)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("PresetTargetIn(%s, %q) = %q, %v; want %q", tc.app.Name, tc.name, got, ok, tc.want)
		}
	}
}

// Which presets a stack can enable depends on its app and on Istio, and all of them together are valid.
func TestApplicablePresets(t *testing.T) {
	for _, tc := range []struct {
		app   apps.App
		istio bool
		want  string
	}{
		{apps.AstronomyShop, false, "ad-failure,checkout-gameday,checkout-pod-kill,frontend-catalog-latency,recommendation-cpu-stress,shipping-http-faults"},
		{apps.AstronomyShop, true, "ad-failure,ad-mesh-faults,checkout-pod-kill,frontend-catalog-latency,recommendation-cpu-stress"},
		{apps.OnlineBoutique, false, "checkout-pod-kill,frontend-catalog-latency,recommendation-cpu-stress"},
		{apps.OnlineBoutique, true, "ad-mesh-faults,checkout-pod-kill,frontend-catalog-latency,recommendation-cpu-stress"},
	} {
		opts := meshOpts(tc.app, tc.istio)
		got := ApplicablePresets(opts)
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%s istio=%v: %v, want %s", tc.app.Name, tc.istio, got, tc.want)
		}
		var parts []string
		for _, n := range got {
			parts = append(parts, `"`+n+`":{"enabled":true}`)
		}
		if p, errs := Build([]byte("{"+strings.Join(parts, ",")+"}"), opts); errs != nil || len(p.Enabled) != len(got) {
			t.Errorf("%s istio=%v: all applicable presets together: %v", tc.app.Name, tc.istio, errs)
		}
	}
}
