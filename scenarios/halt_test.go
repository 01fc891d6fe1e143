package scenarios

import (
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
