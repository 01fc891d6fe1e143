package components

import (
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/pulumimock"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// fakeChaosMesh stands in for the ChaosMesh component.
type fakeChaosMesh struct {
	pulumi.ResourceState
	Parts
}

func runScenarios(t *testing.T, raw string, halt bool) (*pulumimock.Monitor, []string) {
	t.Helper()
	opts := scenarios.Options{Deployment: apps.AstronomyShop.Deploy(), Gate: scenarios.Gate{URL: "http://slo-gate", SLOs: slo.Names(slo.Defaults())}, Halt: halt}
	plan, errs := scenarios.Build([]byte(raw), opts)
	if errs != nil {
		t.Fatal(errs)
	}
	m := pulumimock.New("chaos-mesh-otel", "test")
	var names []string
	done := make(chan []string, 1)
	err := m.Run(func(ctx *pulumi.Context) error {
		cm := &fakeChaosMesh{}
		if err := ctx.RegisterComponentResource("chaos-mesh-otel:chaos:ChaosMesh", "chaos-mesh", cm); err != nil {
			return err
		}
		// A child standing in for the Chaos Mesh release, which the scenarios wait on.
		var release pulumi.CustomResourceState
		if err := ctx.RegisterResource("kubernetes:helm.sh/v3:Release", "chaos-mesh-release", pulumi.Map{}, &release, pulumi.Parent(cm)); err != nil {
			return err
		}
		cm.own(&release)
		c, err := NewChaosScenarios(ctx, "scenarios", &ChaosScenariosArgs{Objects: plan.Objects}, After(cm))
		if err != nil {
			return err
		}
		c.Names.ApplyT(func(n []string) error { done <- n; return nil })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case names = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("names output never resolved")
	}
	return m, names
}

// chaosObjects are the registered Chaos Mesh objects by logical name.
func chaosObjects(m *pulumimock.Monitor) map[string]pulumimock.Resource {
	out := map[string]pulumimock.Resource{}
	for _, r := range m.Resources() {
		if strings.HasPrefix(r.Type, "kubernetes:chaos-mesh.org/v1alpha1:") && !strings.HasSuffix(r.Type, "Patch") {
			out[r.Name] = r
		}
	}
	return out
}

func keysOf(m map[string]pulumimock.Resource) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestChaosScenariosResources(t *testing.T) {
	m, names := runScenarios(t, `{"checkout-pod-kill":{"enabled":true},"frontend-catalog-latency":{"enabled":true},"ad-failure":{"enabled":true}}`, false)
	crs := chaosObjects(m)
	// The Schedule comes with its kick-off Workflow.
	if got := strings.Join(keysOf(crs), ","); got != "scenarios-schedule-checkout-pod-kill,scenarios-workflow-checkout-pod-kill-first,scenarios-workflow-frontend-catalog-latency" {
		t.Fatalf("custom resources = %s", got)
	}
	if strings.Join(names, ",") != "Schedule/checkout-pod-kill,Workflow/checkout-pod-kill-first,Workflow/frontend-catalog-latency" {
		t.Errorf("names output = %v", names)
	}
	sch := crs["scenarios-schedule-checkout-pod-kill"]
	if sch.Type != "kubernetes:chaos-mesh.org/v1alpha1:Schedule" || !sch.Custom {
		t.Errorf("type = %s custom=%t", sch.Type, sch.Custom)
	}
	in := sch.Inputs
	if in["apiVersion"].StringValue() != "chaos-mesh.org/v1alpha1" || in["kind"].StringValue() != "Schedule" {
		t.Errorf("apiVersion/kind = %v/%v", in["apiVersion"], in["kind"])
	}
	meta := in["metadata"].ObjectValue()
	if meta["name"].StringValue() != "checkout-pod-kill" || meta["namespace"].StringValue() != "otel-demo" {
		t.Errorf("metadata = %v", meta)
	}
	if meta["labels"].ObjectValue()["chaos-mesh-otel.io/scenario"].StringValue() != "checkout-pod-kill" {
		t.Errorf("labels = %v", meta["labels"])
	}
	spec := in["spec"].ObjectValue()
	if spec["schedule"].StringValue() != "@every 10m" || spec["type"].StringValue() != "PodChaos" {
		t.Errorf("spec = %v", spec)
	}
	pod := spec["podChaos"].ObjectValue()
	if pod["action"].StringValue() != "pod-kill" || pod["selector"].ObjectValue()["labelSelectors"].ObjectValue()["app.kubernetes.io/component"].StringValue() != "checkout" {
		t.Errorf("podChaos = %v", pod)
	}
	if spec["historyLimit"].NumberValue() != 5 {
		t.Errorf("historyLimit = %v", spec["historyLimit"])
	}
	// Parented to the component, and depending on Chaos Mesh.
	for n, a := range crs {
		if !strings.HasSuffix(a.Parent, "chaos-mesh-otel:chaos:Scenarios::scenarios") {
			t.Errorf("%s: parent = %s", n, a.Parent)
		}
		deps := strings.Join(a.Deps, ",")
		if !strings.Contains(deps, "::chaos-mesh-release") {
			t.Errorf("%s: dependencies %s do not include Chaos Mesh", n, deps)
		}
	}
	wf := crs["scenarios-workflow-frontend-catalog-latency"].Inputs["spec"].ObjectValue()
	if wf["entry"].StringValue() != "entry" || len(wf["templates"].ArrayValue()) != 2 {
		t.Errorf("workflow spec = %v", wf)
	}
	tpl := wf["templates"].ArrayValue()[1].ObjectValue()
	if tpl["deadline"].StringValue() != "5m" || tpl["networkChaos"].ObjectValue()["delay"].ObjectValue()["latency"].StringValue() != "1000ms" {
		t.Errorf("chaos template = %v", tpl)
	}
	if _, ok := m.Named(ChaosScenariosType, "scenarios"); !ok {
		t.Errorf("component not registered as %s", ChaosScenariosType)
	}
}

// TestChaosScenariosToggle: switching one scenario on adds exactly its resource, and nothing else changes.
func TestChaosScenariosToggle(t *testing.T) {
	off, _ := runScenarios(t, `{"checkout-pod-kill":{"enabled":true},"recommendation-cpu-stress":{"enabled":false}}`, false)
	on, _ := runScenarios(t, `{"checkout-pod-kill":{"enabled":true},"recommendation-cpu-stress":{"enabled":true}}`, false)
	a, b := keysOf(chaosObjects(off)), keysOf(chaosObjects(on))
	if strings.Join(a, ",") != "scenarios-schedule-checkout-pod-kill,scenarios-workflow-checkout-pod-kill-first" {
		t.Fatalf("off = %v", a)
	}
	if strings.Join(b, ",") != "scenarios-schedule-checkout-pod-kill,scenarios-workflow-checkout-pod-kill-first,scenarios-workflow-recommendation-cpu-stress" {
		t.Fatalf("on = %v", b)
	}
	if !reflect.DeepEqual(chaosObjects(off)["scenarios-schedule-checkout-pod-kill"].Inputs.Mappable(), chaosObjects(on)["scenarios-schedule-checkout-pod-kill"].Inputs.Mappable()) {
		t.Error("toggling another scenario changed checkout-pod-kill's inputs")
	}
}

// TestChaosScenariosHalt: halt pauses each Schedule and aborts each Workflow, deleting nothing.
func TestChaosScenariosHalt(t *testing.T) {
	cfg := `{"checkout-pod-kill":{"enabled":true},"frontend-catalog-latency":{"enabled":true},"checkout-gameday":{"enabled":true}}`
	running, _ := runScenarios(t, cfg, false)
	halted, _ := runScenarios(t, cfg, true)
	if strings.Join(keysOf(chaosObjects(running)), ",") != strings.Join(keysOf(chaosObjects(halted)), ",") {
		t.Fatal("halt must not add or delete resources")
	}
	// Each halted Workflow gets a Patch that keeps it aborted after resume, and only a Workflow.
	patches := map[string]pulumimock.Resource{}
	for _, r := range halted.Resources() {
		if r.Type == "kubernetes:chaos-mesh.org/v1alpha1:WorkflowPatch" {
			patches[r.Name] = r
		}
	}
	workflows := 0
	for n, a := range chaosObjects(halted) {
		if a.Inputs["kind"].StringValue() != "Workflow" {
			continue
		}
		workflows++
		p, ok := patches[n+"-halt"]
		if !ok {
			t.Errorf("%s: no halt Patch (have %v)", n, keysOf(patches))
			continue
		}
		ann := p.Inputs["metadata"].ObjectValue()["annotations"].ObjectValue()
		if ann["workflow.chaos-mesh.org/abort"].StringValue() != "true" || ann["pulumi.com/patchFieldManager"].StringValue() != HaltFieldManager {
			t.Errorf("%s: halt Patch annotations %v", n, ann)
		}
		if !p.RetainOnDelete || !slices.Contains(p.Deps, a.URN) {
			t.Errorf("%s: halt Patch must be retained on delete (%v) and depend on its Workflow (deps %v)", n, p.RetainOnDelete, p.Deps)
		}
	}
	if workflows == 0 || len(patches) != workflows {
		t.Errorf("%d halt Patches for %d Workflows", len(patches), workflows)
	}
	for _, r := range running.Resources() {
		if strings.HasSuffix(r.Type, "Patch") {
			t.Errorf("a halt Patch without halt: %s", r.Name)
		}
	}
	for n, a := range chaosObjects(halted) {
		ann := a.Inputs["metadata"].ObjectValue()["annotations"]
		if !ann.IsObject() {
			t.Fatalf("%s: no annotations", n)
		}
		switch a.Inputs["kind"].StringValue() {
		case "Schedule":
			if ann.ObjectValue()["experiment.chaos-mesh.org/pause"].StringValue() != "true" {
				t.Errorf("%s: not paused: %v", n, ann)
			}
		case "Workflow":
			if ann.ObjectValue()["workflow.chaos-mesh.org/abort"].StringValue() != "true" {
				t.Errorf("%s: not aborted: %v", n, ann)
			}
		}
	}
	for n, a := range chaosObjects(running) {
		ann := a.Inputs["metadata"].ObjectValue()["annotations"]
		var got map[string]string
		if ann.IsObject() {
			got = map[string]string{}
			for k, v := range ann.ObjectValue() {
				got[string(k)] = v.StringValue()
			}
		}
		// Without halt: no pause or abort; a Workflow is deleted in the background (see newChaosObject), and a
		// gated game day keeps its steady-state mark.
		want := map[string]string(nil)
		if a.Inputs["kind"].StringValue() == "Workflow" {
			want = map[string]string{"pulumi.com/deletionPropagationPolicy": "background"}
			if strings.Contains(n, "checkout-gameday") {
				want[scenarios.SteadyStateAnnotation] = "true"
			}
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: annotations without halt %v, want %v", n, got, want)
		}
	}
}
