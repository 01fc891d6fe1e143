package scenarios

import (
	"encoding/json"
	"testing"
)

// limitedOpts are the test options with memory limits: checkout 20 Mi and flagd 75 Mi, on an 8 GiB node; any
// other container is unknown.
func limitedOpts() Options {
	opts := testOpts()
	opts.MemoryLimitMi = func(service, container string) (int, bool) {
		switch {
		case service == "checkout" && (container == "" || container == "checkout"):
			return 20, true
		case service == "flagd" && (container == "" || container == "flagd"):
			return 75, true
		}
		return 0, false
	}
	opts.NodeMemoryMi = 8192
	return opts
}

func TestMemoryStressAboveTheLimitIsRefused(t *testing.T) {
	refused := []struct {
		name  string
		extra m
		msg   string
	}{
		{"64MB over checkout's 20 Mi", m{"size": "64MB"}, "64MB is more than the 20 Mi memory limit of checkout (its main container)"},
		{"21MiB just over", m{"size": "21MiB"}, "more than the 20 Mi memory limit"},
		{"1% of the node", m{"size": "1%"}, "1% of the node's 8192 Mi (81 Mi) is more than the 20 Mi"},
		{"a named container", m{"target": "flagd", "container": "flagd", "size": "100MB"}, "more than the 75 Mi memory limit of flagd (flagd)"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			raw, _ := json.Marshal(m{"x": base("memory-stress", tc.extra)})
			wantFieldError(t, raw, limitedOpts(), "scenarios.x.size", tc.msg)
			wantFieldError(t, raw, limitedOpts(), "scenarios.x.size", "allowOOM: true")
		})
	}
	accepted := []struct {
		name  string
		extra m
	}{
		{"16MB under 20 Mi", m{"size": "16MB"}},
		{"20MiB exactly", m{"size": "20MiB"}},
		{"over, with allowOOM", m{"size": "64MB", "allowOOM": true}},
		{"a named container under its limit", m{"target": "flagd", "container": "flagd", "size": "70MB"}},
		{"a container of unknown limit", m{"target": "email", "size": "1GB"}},
	}
	for _, tc := range accepted {
		t.Run(tc.name, func(t *testing.T) {
			raw, _ := json.Marshal(m{"x": base("memory-stress", tc.extra)})
			if _, errs := Build(raw, limitedOpts()); errs != nil {
				t.Errorf("refused: %s", lines(errs))
			}
		})
	}
	// Without limits (an Options that gives none) nothing is checked; allowOOM belongs to memory-stress only.
	raw, _ := json.Marshal(m{"x": base("memory-stress", m{"size": "1GB"})})
	if _, errs := Build(raw, testOpts()); errs != nil {
		t.Errorf("without limits: %s", lines(errs))
	}
	raw, _ = json.Marshal(m{"x": base("cpu-stress", m{"allowOOM": true})})
	wantFieldError(t, raw, limitedOpts(), "scenarios.x.allowOOM", "unknown")
}

func TestStressSizeReadsAsMemStress(t *testing.T) {
	for in, want := range map[string]int64{"256MB": 256e6, "256mb": 256e6, "1GB": 1e9, "64MiB": 64 << 20, "1gib": 1 << 30,
		"512": 512, "1.5GB": 1.5e9, "10kB": 10e3} {
		got, pct, ok := stressSize(in)
		if !ok || got != want || pct != 0 {
			t.Errorf("%s: %d %v %v, want %d bytes", in, got, pct, ok, want)
		}
	}
	if _, pct, ok := stressSize("50%"); !ok || pct != 50 {
		t.Errorf("50%%: %v %v", pct, ok)
	}
	for _, bad := range []string{"lots", "5XB", "%"} {
		if _, _, ok := stressSize(bad); ok {
			t.Errorf("%s: read as a size", bad)
		}
	}
}
