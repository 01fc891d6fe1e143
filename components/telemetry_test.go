package components

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/e2e/telemetry"
)

var update = flag.Bool("update", false, "rewrite README.md's generated table of the measured spine")

// measuredBudgets are the parts that `make bench` measures (TestSpineBench), by their name in
// e2e/results/telemetry.json.
var measuredBudgets = map[string]Budget{"collector": collectorBudget, "jaeger": jaegerBudget, "prometheus": prometheusBudget}

const (
	spineTableBegin = "<!-- spine-footprint:begin -->\n"
	spineTableEnd   = "<!-- spine-footprint:end -->"
)

// The spine's budgets come from its measurement: every measured part has a budget here, each budget is at
// least telemetry.Headroom × the part's measured peak, and README.md's table of the spine is the file's
// (go test ./components -update rewrites it). Each part must have been measured with the limit it has now:
// what derives from the limit (GOMEMLIMIT, the memory_limiter) changes how the part uses memory, so a new
// budget needs a new measurement (make bench).
func TestMeasuredFootprintHoldsTheBudgets(t *testing.T) {
	f, err := telemetry.Read("../e2e/results/telemetry.json")
	if err != nil {
		t.Fatal(err)
	}
	limits := map[string]int{}
	for part, b := range measuredBudgets {
		limits[part] = b.MemoryMi
	}
	seen := map[string]bool{}
	for _, p := range f.Parts {
		if _, ok := measuredBudgets[p.Part]; !ok {
			t.Errorf("telemetry.json measures %s, which has no budget here", p.Part)
			continue
		}
		seen[p.Part] = true
		if b := limits[p.Part]; b != p.LimitMiB {
			t.Errorf("%s: measured with a %d Mi limit, its budget is now %d Mi: measure it again (make bench, TestSpineBench)", p.Part, p.LimitMiB, b)
		}
	}
	for part := range measuredBudgets {
		if !seen[part] {
			t.Errorf("telemetry.json has no measurement of %s", part)
		}
	}
	for _, problem := range f.Check(limits) {
		t.Error(problem)
	}

	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	begin, end := strings.Index(text, spineTableBegin), strings.Index(text, spineTableEnd)
	if begin < 0 || end < begin {
		t.Fatalf("README.md lacks the %q ... %q markers", strings.TrimSpace(spineTableBegin), spineTableEnd)
	}
	want := f.Table(limits)
	if got := text[begin+len(spineTableBegin) : end]; got != want {
		if *update {
			text = text[:begin+len(spineTableBegin)] + want + text[end:]
			if err := os.WriteFile("../README.md", []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's table of the measured spine is not e2e/results/telemetry.json's (go test ./components -update):\n%s\nwant\n%s", got, want)
	}
}

// The node keeps room for the control plane as measured beside the lab: its processes' peaks and CoreDNS's
// 170 Mi limit.
func TestControlPlaneReserveHoldsTheMeasurement(t *testing.T) {
	f, err := telemetry.Read("../e2e/results/telemetry.json")
	if err != nil {
		t.Fatal(err)
	}
	const coreDNSMi = 170
	measured := float64(coreDNSMi)
	for _, p := range f.ControlPlane {
		measured += p.PeakMiB
	}
	if len(f.ControlPlane) < 4 || float64(ControlPlaneMi) < measured {
		t.Errorf("ControlPlaneMi %d Mi is below the measured control plane (%d processes) and CoreDNS: %.0f Mi", ControlPlaneMi, len(f.ControlPlane), measured)
	}
}
