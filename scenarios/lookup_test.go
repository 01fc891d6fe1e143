package scenarios

import "testing"

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
