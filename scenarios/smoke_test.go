package scenarios

import "testing"

func TestAllPresetsEnabledBuild(t *testing.T) {
	raw := `{"checkout-pod-kill":{"enabled":true},"frontend-catalog-latency":{"enabled":true},"recommendation-cpu-stress":{"enabled":true},"shipping-http-faults":{"enabled":true},"ad-failure":{"enabled":true},"checkout-gameday":{"enabled":true}}`
	p, err := Build([]byte(raw), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, o := range p.Objects {
		kinds[o.Name] = o.Kind
	}
	want := map[string]string{"checkout-gameday": "Workflow", "checkout-pod-kill": "Schedule", "checkout-pod-kill-first": "Workflow", "frontend-catalog-latency": "Workflow", "recommendation-cpu-stress": "Workflow", "shipping-http-faults": "Workflow"}
	if len(kinds) != len(want) {
		t.Fatalf("objects = %v, want %v", kinds, want)
	}
	for n, k := range want {
		if kinds[n] != k {
			t.Errorf("%s: kind %q, want %q", n, kinds[n], k)
		}
	}
	if len(p.Enabled) != 6 {
		t.Errorf("enabled = %+v, want 6 entries", p.Enabled)
	}
}
