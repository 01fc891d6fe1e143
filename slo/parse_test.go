package slo

import (
	"strings"
	"testing"
)

// Every problem of the slos config comes back at once, each at its key path with what was expected.
func TestValidateNamesEveryProblem(t *testing.T) {
	raw := `[
	  {"name": "a", "service": "checkout", "kind": "availability", "objective": 0.99},
	  {"name": "a", "service": "nowhere", "kind": "throughput", "objective": 1.5, "thresholdMs": 500},
	  {"service": "checkout", "kind": "latency", "objective": 0.95, "thresholdMs": 400, "window": "fortnight"},
	  {"name": "c", "service": "", "kind": "latency", "window": "7d"}
	]`
	_, errs := Validate([]byte(raw), []string{"checkout", "cart"})
	want := []string{
		`slos[1].name: Duplicate value: "a"`,
		`slos[1].service: Unsupported value: "nowhere": supported values: "checkout", "cart"`,
		`slos[1].kind: Unsupported value: "throughput": supported values: "availability", "latency"`,
		`slos[1].objective: Invalid value: 1.5: expected a ratio strictly between 0 and 1`,
		`slos[1].thresholdMs: Forbidden: only latency SLOs take a threshold`,
		`slos[2].name: Required value`,
		`slos[2].thresholdMs: Invalid value: 400: expected one of the histogram bounds`,
		`slos[2].window: Invalid value: "fortnight": expected a duration such as 30d`,
		`slos[3].service: Required value`,
		`slos[3].objective: Required value`,
		`slos[3].thresholdMs: Required value: for latency`,
	}
	if len(errs) != len(want) {
		t.Fatalf("want %d problems, got %d:\n%v", len(want), len(errs), errs)
	}
	for i, w := range want {
		if !strings.HasPrefix(errs[i].Error(), w) {
			t.Errorf("problem %d = %q, want it to start with %q", i, errs[i].Error(), w)
		}
	}
	_, err := Parse([]byte(raw), []string{"checkout", "cart"})
	if err == nil || strings.Count(err.Error(), "\n") != len(want)-1 {
		t.Errorf("Parse must give one line per problem, got:\n%v", err)
	}
}

func TestValidateShapeAndDefaults(t *testing.T) {
	for _, raw := range []string{"", "null", "  "} {
		if slos, errs := Validate([]byte(raw), nil); errs != nil || len(slos) != len(Defaults()) {
			t.Errorf("%q: want the defaults, got %v %v", raw, slos, errs)
		}
	}
	for _, raw := range []string{`{"name":"x"}`, `[{"name":"x","colour":"red"}]`, `[1]`} {
		if _, errs := Validate([]byte(raw), nil); len(errs) != 1 || errs[0].Field != "slos" {
			t.Errorf("%s: want one error at slos, got %v", raw, errs)
		}
	}
	slos, errs := Validate([]byte(`[{"name":"p","service":"x","kind":"latency","objective":0.9,"thresholdMs":250,"window":"7d"}]`), nil)
	if errs != nil || slos[0].ThresholdMs != 250 || slos[0].Window.Hours() != 168 {
		t.Errorf("a valid latency SLO: %+v %v", slos, errs)
	}
}
