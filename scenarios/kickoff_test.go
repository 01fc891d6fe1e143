package scenarios

import (
	"strings"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation"
)

func TestKickOffRunsTheSchedulesChaosOnce(t *testing.T) {
	p, errs := Build([]byte(`{"checkout-pod-kill":{"enabled":true}}`), testOpts())
	if errs != nil {
		t.Fatal(errs)
	}
	if len(p.Objects) != 2 || len(p.Enabled) != 1 {
		t.Fatalf("want the Schedule and its kick-off for one enabled scenario, got %d objects, %d enabled", len(p.Objects), len(p.Enabled))
	}
	sch := object(t, p, "checkout-pod-kill").Typed.(*v1alpha1.Schedule)
	ko := object(t, p, "checkout-pod-kill-first")
	wantEq(t, "kick-off kind", ko.Kind, KindWorkflow)
	wf := ko.Typed.(*v1alpha1.Workflow)
	wantEq(t, "scenario label", wf.Labels[ScenarioLabel], "checkout-pod-kill")
	wantEq(t, "kick-off label", wf.Labels[KickOffLabel], "checkout-pod-kill")
	wantEq(t, "part-of label", wf.Labels["app.kubernetes.io/part-of"], "chaos-mesh-otel")
	wantEq(t, "namespace", wf.Namespace, sch.Namespace)
	if _, ok := sch.Labels[KickOffLabel]; ok {
		t.Error("the Schedule itself must not carry the kick-off label")
	}
	ec, kind, deadline := chaosOf(t, ko)
	wantEq(t, "step type", kind, string(v1alpha1.TypePodChaos))
	wantEq(t, "step deadline = the Schedule's duration", deadline, str(sch.Spec.PodChaos.Duration))
	wantEq(t, "step name (what Chaos Mesh creates is named <scenario>-…)", wf.Spec.Templates[1].Name, "checkout-pod-kill")
	// The same chaos as the Schedule's, whose spec carries the duration instead of a deadline.
	scheduled := sch.Spec.PodChaos.DeepCopy()
	scheduled.Duration = nil
	if !equality.Semantic.DeepEqual(scheduled, ec.PodChaos) {
		t.Errorf("kick-off chaos differs from the Schedule's:\n%+v\n%+v", ec.PodChaos, scheduled)
	}
}

func TestKickOffOfAScheduledGameDayIsTheGameDayOnce(t *testing.T) {
	cfg := `{"nightly":{"enabled":true,"schedule":"0 3 * * *","steps":["frontend-catalog-latency","checkout-pod-kill"]}}`
	p, errs := Build([]byte(cfg), testOpts())
	if errs != nil {
		t.Fatal(errs)
	}
	sch := object(t, p, "nightly").Typed.(*v1alpha1.Schedule)
	wf := object(t, p, "nightly-first").Typed.(*v1alpha1.Workflow)
	if !equality.Semantic.DeepEqual(*sch.Spec.Workflow, wf.Spec) {
		t.Errorf("kick-off spec differs from the scheduled game day's:\n%+v\n%+v", wf.Spec, *sch.Spec.Workflow)
	}
	wantEq(t, "scenario label", wf.Labels[ScenarioLabel], "nightly")
	golden(t, "kickoff-nightly-gameday.yaml", renderAll(t, p))
}

func TestStartNowFalseLeavesTheKickOffOut(t *testing.T) {
	for _, cfg := range []string{
		`{"checkout-pod-kill":{"enabled":true,"startNow":false}}`,
		`{"checkout-pod-kill":{"enabled":true,"startNow":"false"}}`,
		`{"nightly":{"enabled":true,"schedule":"0 3 * * *","startNow":false,"steps":["checkout-pod-kill"]}}`,
	} {
		p, errs := Build([]byte(cfg), testOpts())
		if errs != nil {
			t.Fatalf("%s: %v", cfg, errs)
		}
		if len(p.Objects) != 1 || p.Objects[0].Kind != KindSchedule {
			t.Errorf("%s: want the Schedule alone, got %v", cfg, objectNamesOf(p))
		}
	}
	p, errs := Build([]byte(`{"checkout-pod-kill":{"enabled":true,"startNow":true}}`), testOpts())
	if errs != nil || len(p.Objects) != 2 {
		t.Errorf("startNow: true: want the Schedule and its kick-off, got %v (%v)", objectNamesOf(p), errs)
	}
}

func TestKickOffIsAbortedByHalt(t *testing.T) {
	opts := testOpts()
	opts.Halt = true
	p, errs := Build([]byte(`{"checkout-pod-kill":{"enabled":true}}`), opts)
	if errs != nil {
		t.Fatal(errs)
	}
	ko := object(t, p, "checkout-pod-kill-first")
	wantEq(t, "abort", ko.Typed.GetAnnotations()[AbortAnnotation], "true")
	meta := ko.Manifest["metadata"].(map[string]any)
	wantEq(t, "manifest abort", meta["annotations"].(map[string]any)[AbortAnnotation], any("true"))
}

func TestKickOffNameFitsALabelValue(t *testing.T) {
	long := strings.Repeat("a", 70) // truncated to the object name limit
	p, errs := Build([]byte(`{"`+long+`":{"enabled":true,"fault":"pod-kill","target":"cart","schedule":"@every 5m"}}`), testOpts())
	if errs != nil {
		t.Fatal(errs)
	}
	sch, ko := p.Objects[0], p.Objects[1]
	wantEq(t, "kick-off name", ko.Name, sch.Name+"-first")
	// Chaos Mesh labels what the Workflow creates with its name (chaos-mesh.org/workflow).
	if problems := validation.IsValidLabelValue(ko.Name); len(problems) > 0 {
		t.Errorf("kick-off name %q (%d characters) is no label value: %v", ko.Name, len(ko.Name), problems)
	}
	if problems := validation.IsDNS1123Subdomain(ko.Name); len(problems) > 0 {
		t.Errorf("kick-off name %q is no object name: %v", ko.Name, problems)
	}
	wantEq(t, "scenario label", ko.Typed.GetLabels()[ScenarioLabel], sch.Name)
}

func TestOneShotScenarioHasNoKickOff(t *testing.T) {
	p := one(t, m{"enabled": true, "fault": "pod-kill", "target": "cart"}, testOpts())
	if len(p.Objects) != 1 || p.Objects[0].Name != "s" {
		t.Errorf("a scenario without a schedule is its own Workflow alone, got %v", objectNamesOf(p))
	}
}

func TestKickOffValidation(t *testing.T) {
	cases := []struct {
		name, cfg, path, want string
	}{
		{"startNow without a schedule", `{"s":{"enabled":true,"fault":"pod-kill","target":"cart","startNow":false}}`,
			"scenarios.s.startNow", "applies only to a scenario with a schedule"},
		{"startNow on a game day without a schedule", `{"g":{"enabled":true,"steps":["checkout-pod-kill"],"startNow":true}}`,
			"scenarios.g.startNow", "applies only to a scenario with a schedule"},
		{"startNow not a boolean", `{"checkout-pod-kill":{"enabled":true,"startNow":"soon"}}`,
			"scenarios.checkout-pod-kill.startNow", "expected true or false"},
		{"a scenario named like a kick-off", `{"checkout-pod-kill":{"enabled":true},"checkout-pod-kill-first":{"enabled":true,"fault":"pod-kill","target":"cart"}}`,
			"scenarios.checkout-pod-kill-first", "kick-off Workflow of scheduled scenario checkout-pod-kill"},
		{"a scheduled scenario named like a kick-off", `{"x":{"enabled":true,"fault":"pod-kill","target":"cart","schedule":"@every 1m"},"X_first":{"enabled":true,"fault":"pod-kill","target":"ad","schedule":"@every 2m","startNow":false}}`,
			"scenarios.X_first", "set scenarios.x.startNow: false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := Build([]byte(tc.cfg), testOpts())
			for _, e := range errs {
				if e.Field == tc.path && strings.Contains(e.Error(), tc.want) {
					return
				}
			}
			t.Errorf("want an error at %s containing %q, got %v", tc.path, tc.want, errs)
		})
	}
	// No collision when either side is off, or the scheduled one does not start now.
	for _, cfg := range []string{
		`{"checkout-pod-kill":{"enabled":false},"checkout-pod-kill-first":{"enabled":true,"fault":"pod-kill","target":"cart"}}`,
		`{"checkout-pod-kill":{"enabled":true},"checkout-pod-kill-first":{"enabled":false,"fault":"pod-kill","target":"cart"}}`,
		`{"checkout-pod-kill":{"enabled":true,"startNow":false},"checkout-pod-kill-first":{"enabled":true,"fault":"pod-kill","target":"cart"}}`,
	} {
		if _, errs := Build([]byte(cfg), testOpts()); errs != nil {
			t.Errorf("%s: %v", cfg, errs)
		}
	}
}

func objectNamesOf(p *Plan) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, o := range p.Objects {
		out = append(out, o.Kind+"/"+o.Name)
	}
	return out
}
