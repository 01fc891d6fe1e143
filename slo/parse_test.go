package slo

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
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

// The defaults follow the app: its SLO services, each with an availability and a latency SLO.
func TestDefaultsFollowTheApp(t *testing.T) {
	boutique, errs := ValidateFor(apps.OnlineBoutique, nil, apps.OnlineBoutique.Deploy().ServiceNames())
	if errs != nil {
		t.Fatal(errs)
	}
	want := "frontend-availability,frontend-latency,checkoutservice-availability,checkoutservice-latency,productcatalogservice-availability,productcatalogservice-latency"
	if got := strings.Join(Names(boutique), ","); got != want {
		t.Errorf("boutique defaults %s, want %s", got, want)
	}
	if got := strings.Join(Names(Defaults()), ","); !strings.HasPrefix(got, "frontend-proxy-availability,frontend-proxy-latency,checkout-availability") {
		t.Errorf("shop defaults %s", got)
	}
	for _, s := range boutique {
		if (s.Kind == Latency) != (s.ThresholdMs == 500) || s.Window != DefaultWindow {
			t.Errorf("%s: %+v", s.Name, s)
		}
	}
}

// Encode writes what Parse reads back as the same SLOs, so that a program can hand resolved SLOs on.
func TestEncodeRoundTrips(t *testing.T) {
	in := append(DefaultsFor(apps.OnlineBoutique), SLO{Name: "x", Service: "frontend", Kind: Latency, Objective: 0.9, ThresholdMs: 250, Window: 7 * time.Hour})
	raw, err := Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Parse([]byte(raw), nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip changed the SLOs:\n%+v\n%+v\n%s", in, out, raw)
	}
}
