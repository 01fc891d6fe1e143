package suggest

import "testing"

func TestClosest(t *testing.T) {
	keys := []string{"scenarios", "slos", "halt", "sloGate", "sloGateURL", "llmComponents"}
	for in, want := range map[string]string{
		"scenarioz":     "scenarios",
		"hlat":          "halt",
		"HALT":          "halt",
		"sloGateUrl":    "sloGateURL",
		"llmcomponent":  "llmComponents",
		"kubernetes":    "",
		"x":             "",
		"scenarios":     "scenarios",
		"slo-gate-url":  "sloGateURL",
		"prometheusUrl": "",
	} {
		if got := Closest(in, keys); got != want {
			t.Errorf("Closest(%q) = %q, want %q", in, got, want)
		}
	}
	if Closest("a", nil) != "" {
		t.Error("no candidates, no suggestion")
	}
}
