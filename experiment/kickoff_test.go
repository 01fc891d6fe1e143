package experiment

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

// kicksOff plays Chaos Mesh for a Schedule whose scenario starts now: the kick-off Workflow, which the update
// creates beside the Schedule, kills a pod 1 s later and finishes when the kill's 30 s are over; the
// Schedule's own first run would come only after its 10 minutes.
func kicksOff(h *harness) func(*fakeCluster, *unstructured.Unstructured) {
	return func(c *fakeCluster, top *unstructured.Unstructured) {
		if top.GetKind() != KindSchedule {
			return
		}
		now := h.clock.Now()
		name := top.GetName()
		kick := chaosObject(KindWorkflow, name+"-first", map[string]string{scenarioLabel: name, kickOffLabel: name})
		c.put(kick)
		chaos := chaosObject("PodChaos", name+"-w8c2d-q9z7x", map[string]string{workflowLabel: kick.GetName()})
		chaos.Object["spec"] = map[string]any{"action": "pod-kill",
			"selector": map[string]any{"labelSelectors": map[string]any{"app.kubernetes.io/component": "cart"}}}
		c.put(withStatus(chaos, fmt.Sprintf(`{"experiment":{"desiredPhase":"Stop","containerRecords":[{"id":"otel-demo/cart-5d8f-zz9kq","phase":"Not Injected",
			"events":[{"type":"Succeeded","operation":"Apply","timestamp":%q},{"type":"Succeeded","operation":"Recover","timestamp":%q}]}]},
			"conditions":[{"type":"AllRecovered","status":"True"}]}`, ts(now.Add(time.Second)), ts(now.Add(31*time.Second)))))
		c.put(withStatus(kick, `{"conditions":[{"type":"Accomplished","status":"True"}]}`))
	}
}

func TestAKickOffIsTheFirstRunOfItsSchedule(t *testing.T) {
	h := newHarness(t)
	h.engine.values["scenarios"] = `{"kick-kill":{"enabled":false,"fault":"pod-kill","target":"cart","schedule":"@every 10m"}}`
	h.cluster.controller = kicksOff(h)
	h.judgeCode = ExitOK
	if code := h.run("--scenario", "kick-kill", "--after", "0s"); code != ExitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, h.stdout, h.stderr)
	}
	h.assertNothingLeft()
	out := h.stdout.String()
	assertInOrder(t, out,
		"scenario kick-kill: pod-kill on cart, Schedule kick-kill (@every 10m), whose first run is Workflow kick-kill-first at switch-on",
		"kick-kill: run 1: kick-off Workflow kick-kill-first created (the Schedule's first run follows one interval later)",
		"kick-kill: PodChaos kick-kill-w8c2d-q9z7x: injected into otel-demo/cart-5d8f-zz9kq",
		"kick-kill: run 1 finished (Workflow kick-kill-first)",
		"kick-kill: ended: 1 run(s) finished",
		"watching: the experiment ends when Schedule kick-kill has run 1 time(s)",
		"seen: 1 run(s), 1 injection(s), 0 failure(s) to inject or recover, 1 fault window(s)",
	)
	if strings.Contains(out, "run 2") {
		t.Errorf("the kick-off's chaos counted as a run of its own:\n%s", out)
	}
	if len(h.judged) != 1 {
		t.Fatalf("judged %d times, want once", len(h.judged))
	}
	want := report.Window{Scenario: "kick-kill", Start: t0.Add(time.Second), End: t0.Add(31 * time.Second), Target: "cart",
		Source: "PodChaos/otel-demo/kick-kill-w8c2d-q9z7x"}
	if w := h.judged[0].Windows; len(w) != 1 || w[0] != want {
		t.Errorf("windows judged %+v, want [%+v]", w, want)
	}
}
