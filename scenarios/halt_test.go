package scenarios

import (
	"fmt"
	"maps"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
)

const everything = `{
 "checkout-pod-kill":{"enabled":true},
 "frontend-catalog-latency":{"enabled":true},
 "recommendation-cpu-stress":{"enabled":true},
 "shipping-http-faults":{"enabled":true},
 "ad-failure":{"enabled":true},
 "checkout-gameday":{"enabled":true},
 "nightly":{"enabled":true,"schedule":"0 3 * * *","steps":["frontend-catalog-latency"]}
}`

func TestHalt(t *testing.T) {
	opts := testOpts()
	opts.Halt = true
	p, err := Build([]byte(everything), opts)
	if err != nil {
		t.Fatal(err)
	}
	var schedules, workflows int
	for _, o := range p.Objects {
		ann := o.Typed.GetAnnotations()
		manifestAnn := o.Manifest["metadata"].(map[string]any)["annotations"].(map[string]any)
		switch o.Kind {
		case KindSchedule:
			schedules++
			wantEq(t, o.Name+" pause", ann[v1alpha1.PauseAnnotationKey], "true")
			wantEq(t, o.Name+" manifest pause", manifestAnn["experiment.chaos-mesh.org/pause"], any("true"))
			if _, ok := ann[v1alpha1.WorkflowAnnotationAbort]; ok {
				t.Errorf("%s: a Schedule gets pause, not abort", o.Name)
			}
		case KindWorkflow:
			workflows++
			wantEq(t, o.Name+" abort", ann[v1alpha1.WorkflowAnnotationAbort], "true")
			wantEq(t, o.Name+" manifest abort", manifestAnn["workflow.chaos-mesh.org/abort"], any("true"))
			if _, ok := ann[v1alpha1.PauseAnnotationKey]; ok {
				t.Errorf("%s: a Workflow cannot be paused", o.Name)
			}
			selectors := manifestSelectors(o.Manifest["spec"], "spec")
			if len(selectors) == 0 {
				t.Errorf("%s: no selector found in its manifest", o.Name)
			}
			for path, sel := range selectors {
				labels, _ := sel["labelSelectors"].(map[string]any)
				if labels[HaltedSelectorLabel] != "true" {
					t.Errorf("%s %s: labelSelectors %v, want %s=true so that a step started while halted selects no pod", o.Name, path, labels, HaltedSelectorLabel)
				}
			}
		}
	}
	wantEq(t, "schedules", schedules, 2)
	// Four one-shot Workflows, and the kick-offs of checkout-pod-kill and nightly, aborted like the others.
	wantEq(t, "workflows", workflows, 6)
	wantEq(t, "flag overrides", string(p.FlagOverrides), `{"flags":{}}`)
	wantEq(t, "nothing deleted", len(p.Enabled), 7)

	// Without halt: no pause or abort annotation (a gated game day keeps only its steady-state mark), and
	// the flag is back.
	opts.Halt = false
	p, err = Build([]byte(everything), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range p.Objects {
		for path, sel := range manifestSelectors(o.Manifest["spec"], "spec") {
			if labels, _ := sel["labelSelectors"].(map[string]any); labels[HaltedSelectorLabel] != nil {
				t.Errorf("%s %s: the halted label without halt: %v", o.Name, path, labels)
			}
		}
		ann := maps.Clone(o.Typed.GetAnnotations())
		delete(ann, SteadyStateAnnotation)
		if len(ann) != 0 {
			t.Errorf("%s: unexpected annotations %v", o.Name, o.Typed.GetAnnotations())
		}
	}
	if string(p.FlagOverrides) == `{"flags":{}}` {
		t.Error("flag override lost without halt")
	}
}

// manifestSelectors finds every pod selector (a "selector" map) in a manifest, by path.
func manifestSelectors(v any, path string) map[string]map[string]any {
	out := map[string]map[string]any{}
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if sel, ok := e.(map[string]any); ok && k == "selector" {
				out[path+"."+k] = sel
				continue
			}
			maps.Copy(out, manifestSelectors(e, path+"."+k))
		}
	case []any:
		for i, e := range t {
			maps.Copy(out, manifestSelectors(e, fmt.Sprintf("%s[%d]", path, i)))
		}
	}
	return out
}
