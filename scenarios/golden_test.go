package scenarios

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func renderAll(t *testing.T, p *Plan) string {
	t.Helper()
	var b strings.Builder
	for _, o := range p.Objects {
		y, err := yaml.Marshal(o.Manifest)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return b.String()
}

func golden(t *testing.T, file, got string) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./scenarios -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the rendered output (run go test ./scenarios -update if intended)\n--- got ---\n%s", path, got)
	}
}

// TestPresetsGolden renders each preset enabled on its own, on each app (with Istio for a mesh fault), and
// compares with testdata: the shop's in testdata/, another app's in testdata/<app>/. A preset that cannot
// apply to an app is golden too: its refusal.
func TestPresetsGolden(t *testing.T) {
	for _, app := range apps.All() {
		for _, name := range PresetNames() {
			t.Run(app.Name+"/"+name, func(t *testing.T) {
				opts := meshOpts(app, presets[name]["fault"] == string(MeshFault))
				p, errs := Build([]byte(`{"`+name+`":{"enabled":true}}`), opts)
				var out string
				if errs != nil {
					out = "# refused\n"
					for _, e := range errs {
						out += "# " + e.Error() + "\n"
					}
				} else {
					out = renderAll(t, p)
					if len(p.FlagOverrides) > 0 && string(p.FlagOverrides) != `{"flags":{}}` {
						out += "# flag overrides\n# " + string(p.FlagOverrides) + "\n"
					}
				}
				file := "preset-" + name + ".yaml"
				if app.Name != apps.AstronomyShop.Name {
					file = filepath.Join(app.Name, file)
				}
				golden(t, file, out)
			})
		}
	}
}

// TestPresetCatalog checks the case-study presets field by field.
func TestPresetCatalog(t *testing.T) {
	enable := `{"checkout-pod-kill":{"enabled":true},"frontend-catalog-latency":{"enabled":true},"recommendation-cpu-stress":{"enabled":true},"shipping-http-faults":{"enabled":true},"ad-failure":{"enabled":true},"checkout-gameday":{"enabled":true}}`
	p, err := Build([]byte(enable), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	// 1. checkout-pod-kill: a Schedule killing one checkout pod.
	sch := object(t, p, "checkout-pod-kill").Typed.(*v1alpha1.Schedule)
	wantEq(t, "checkout-pod-kill type", sch.Spec.Type, v1alpha1.ScheduleTypePodChaos)
	wantEq(t, "checkout-pod-kill schedule", sch.Spec.Schedule, "@every 10m")
	wantEq(t, "checkout-pod-kill action", sch.Spec.PodChaos.Action, v1alpha1.PodKillAction)
	checkSelector(t, sch.Spec.PodChaos.PodSelector, "checkout", "one", "")

	// 2. frontend-catalog-latency: 1000 ms from frontend to product-catalog.
	ec, kind, deadline := chaosOf(t, object(t, p, "frontend-catalog-latency"))
	wantEq(t, "latency kind", kind, "NetworkChaos")
	wantEq(t, "latency", ec.NetworkChaos.Delay.Latency, "1000ms")
	wantEq(t, "latency direction", ec.NetworkChaos.Direction, v1alpha1.To)
	checkSelector(t, ec.NetworkChaos.PodSelector, "frontend", "one", "")
	checkSelector(t, *ec.NetworkChaos.Target, "product-catalog", "all", "")
	wantEq(t, "latency deadline", deadline, "5m")

	// 3. recommendation-cpu-stress: all cores for 60 s.
	ec, kind, deadline = chaosOf(t, object(t, p, "recommendation-cpu-stress"))
	wantEq(t, "stress kind", kind, "StressChaos")
	wantEq(t, "stress-ng", ec.StressChaos.StressngStressors, "--cpu 0 --cpu-load 100")
	wantEq(t, "stress deadline", deadline, "60s")

	// 4. 500 ms delay plus HTTP 500 on a plain-HTTP hop.
	ec, kind, _ = chaosOf(t, object(t, p, "shipping-http-faults"))
	wantEq(t, "http kind", kind, "HTTPChaos")
	wantEq(t, "http delay", str(ec.HTTPChaos.Delay), "500ms")
	wantEq(t, "http code", *ec.HTTPChaos.Replace.Code, int32(500))
	wantEq(t, "http port", ec.HTTPChaos.Port, int32(8080))
	svc, _ := apps.AstronomyShop.Service("shipping")
	if len(svc.HTTPPorts()) == 0 {
		t.Error("the HTTP preset must target a plain-HTTP service")
	}

	// ad-failure: the demo's adFailure flag.
	wantEq(t, "ad-failure", string(p.FlagOverrides), `{"flags":{"adFailure":{"state":"ENABLED","defaultVariant":"on","variants":{"off":false,"on":true}}}}`)

	// The game day: steps in order, a parallel group, and the SLO steady state.
	wf := object(t, p, "checkout-gameday").Typed.(*v1alpha1.Workflow)
	tm := map[string]v1alpha1.Template{}
	for _, tpl := range wf.Spec.Templates {
		tm[tpl.Name] = tpl
	}
	entry := tm[wf.Spec.Entry]
	wantEq(t, "entry type", entry.Type, v1alpha1.TypeParallel)
	wantEq(t, "entry children", strings.Join(entry.Children, ","), "entry-steps,entry-steady-state")
	steps := tm["entry-steps"]
	wantEq(t, "steps type", steps.Type, v1alpha1.TypeSerial)
	wantEq(t, "steps children", strings.Join(steps.Children, ","), "frontend-catalog-latency,parallel,checkout-pod-kill")
	wantEq(t, "steps deadline", str(steps.Deadline), "7m30s")
	par := tm["parallel"]
	wantEq(t, "parallel type", par.Type, v1alpha1.TypeParallel)
	wantEq(t, "parallel children", strings.Join(par.Children, ","), "recommendation-cpu-stress,shipping-http-faults")
	wantEq(t, "parallel deadline", str(par.Deadline), "2m0s")
	chk := tm["entry-steady-state"]
	wantEq(t, "check type", chk.Type, v1alpha1.TypeStatusCheck)
	wantEq(t, "abortWithStatusCheck", chk.AbortWithStatusCheck, true)
	// Chaos Mesh's StatusCheck abort panics on a Workflow without annotations: a gated one always has one.
	wantEq(t, "steady-state annotation", wf.Annotations[SteadyStateAnnotation], "true")
	wantEq(t, "check url", chk.StatusCheck.HTTPStatusCheck.RequestUrl, "http://slo-gate.observability.svc:8080/slo/frontend-proxy-availability")
	wantEq(t, "check status", chk.StatusCheck.HTTPStatusCheck.Criteria.StatusCode, "200")
	wantEq(t, "check mode", chk.StatusCheck.Mode, v1alpha1.StatusCheckContinuous)
	wantEq(t, "check interval", chk.StatusCheck.IntervalSeconds, 10)
	wantEq(t, "check failureThreshold", chk.StatusCheck.FailureThreshold, 3)
	for _, name := range []string{"frontend-catalog-latency", "recommendation-cpu-stress", "shipping-http-faults", "checkout-pod-kill"} {
		tpl := tm[name]
		if tpl.EmbedChaos == nil || tpl.Deadline == nil {
			t.Errorf("template %s: missing chaos or deadline", name)
		}
	}
	wantEq(t, "pod-kill step deadline", str(tm["checkout-pod-kill"].Deadline), "30s")
	if tm["checkout-pod-kill"].PodChaos.Duration != nil {
		t.Error("workflow templates must not carry duration")
	}
}

func TestUserKeysOverridePreset(t *testing.T) {
	p, err := Build([]byte(`{"frontend-catalog-latency":{"enabled":true,"latency":"250ms","duration":"1m"}}`), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	ec, _, deadline := chaosOf(t, object(t, p, "frontend-catalog-latency"))
	wantEq(t, "latency", ec.NetworkChaos.Delay.Latency, "250ms")
	wantEq(t, "deadline", deadline, "1m")
	checkSelector(t, *ec.NetworkChaos.Target, "product-catalog", "all", "") // kept from the preset
}

func TestPresetsOffByDefault(t *testing.T) {
	p, err := Build(nil, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Objects) != 0 || len(p.Enabled) != 0 {
		t.Fatalf("presets must be disabled until enabled: %+v", p.Enabled)
	}
	for _, want := range []string{"checkout-pod-kill", "frontend-catalog-latency", "recommendation-cpu-stress", "shipping-http-faults", "ad-failure", "checkout-gameday"} {
		if _, ok := presets[want]; !ok {
			t.Errorf("missing preset %s", want)
		}
	}
}
