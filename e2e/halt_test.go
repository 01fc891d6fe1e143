//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// Scenarios of every kind that a halt must keep from striking, each a pod-kill (which Chaos Mesh's
// controller does itself, so a strike shows on kwok as a deleted pod and an Apply record): a Schedule with
// its kick-off, a one-shot Workflow, and a game day.
const (
	haltedOneShot = "e2e-halted-one-shot"
	haltedGameday = "e2e-halted-gameday"
	haltedStepA   = "e2e-halted-step-a"
	haltedStepB   = "e2e-halted-step-b"
)

// haltedScenarios are switched on at the first up, with halt already true.
func haltedScenarios() map[string]any {
	return map[string]any{
		killScenario:   killConfig(),
		haltedOneShot:  map[string]any{"enabled": true, "fault": "pod-kill", "target": "cart", "duration": "5s"},
		haltedGameday:  map[string]any{"enabled": true, "steps": []any{haltedStepA, haltedStepB}},
		haltedStepA:    map[string]any{"fault": "pod-kill", "target": "ad", "duration": "5s"},
		haltedStepB:    map[string]any{"fault": "pod-kill", "target": "currency", "duration": "5s"},
		"quote-kill":   map[string]any{"enabled": false, "fault": "pod-kill", "target": "quote", "duration": "5s"},
		"payment-kill": map[string]any{"enabled": false, "fault": "pod-kill", "target": "payment", "schedule": "@every 15s", "duration": "5s"},
	}
}

// TestHaltedLab shows the kill switch with Chaos Mesh's real controller: while halt is true nothing of the
// lab strikes, whatever is switched on, created or brought up.
//  1. halted-from-the-start: the whole lab's first up has halt: true and a Schedule (with its kick-off), a
//     one-shot Workflow and a game day on; the controller then finds them all. For two intervals and more,
//     no pod of the app is deleted and no experiment applies anything.
//  2. switched-on-while-halted: with the controller running, one more one-shot and one more Schedule are
//     switched on while still halted (Chaos Mesh 2.8.3 starts a Workflow created aborted, which is where a
//     kill switch resting on annotations alone leaked): again nothing strikes for two intervals.
//  3. resume: halt: false. Only the Schedules strike again (at their next tick): no Workflow created while
//     halted (the one-shots, the kick-offs, the game day) runs by surprise.
func TestHaltedLab(t *testing.T) {
	ctx := context.Background()
	c, e, before := labCluster(t, []string{ChaosControllerBinary})
	s := e.RepoStack(ctx, t, stacks.Lab)
	config := LabConfig(c)
	config[Key("halt")] = auto.ConfigValue{Value: "true"}
	if err := s.SetAllConfig(ctx, config); err != nil {
		t.Fatal(err)
	}
	r := &chaosRun{ctx: ctx, c: c, s: s}
	setScenariosMap(t, r, haltedScenarios())
	step := steps(t)
	// The first up, the pod watch and the controller belong to the whole test (a subtest's cleanup would
	// stop them when it ends).
	if _, d, err := Up(ctx, t, s); err != nil {
		t.Fatalf("up: %v", err)
	} else {
		t.Logf("first up of the whole lab, halted, with scenarios on: %s", d.Round(time.Millisecond))
	}
	pods := WatchPods(t, c, apps.AstronomyShop.Namespace)
	r.cc = StartChaosController(ctx, t, c)
	controllerUp := time.Now()

	step("halted-from-the-start", func(t *testing.T) {
		assertAppNamespaceClosed(ctx, t, c, true)
		objs, err := c.ChaosObjects(ctx, apps.AstronomyShop.Namespace)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("chaos objects of the halted lab: %v", objs)
		r.assertNothingStrikes(t, pods, controllerUp, 2*killInterval+15*time.Second, nil)
	})

	step("switched-on-while-halted", func(t *testing.T) {
		more := haltedScenarios()
		more["quote-kill"].(map[string]any)["enabled"] = true
		more["payment-kill"].(map[string]any)["enabled"] = true
		setScenariosMap(t, r, more)
		on := time.Now()
		if _, _, err := Up(ctx, t, s); err != nil {
			t.Fatalf("up: %v", err)
		}
		for _, wf := range []string{"quote-kill", scenarios.KickOffName("payment-kill")} {
			run, err := c.Workflow(ctx, apps.AstronomyShop.Namespace, wf)
			if err != nil || run.Annotations[AbortAnnotation] != "true" {
				t.Errorf("Workflow %s switched on while halted: %v (%v); want it created aborted", wf, run.Annotations, err)
			}
		}
		r.assertNothingStrikes(t, pods, on, 2*killInterval+15*time.Second, nil)
		// Evidence that the layer that matters was exercised: Chaos Mesh started a step of a Workflow that was
		// created aborted, and its selector found no pod in the closed namespace.
		events, err := c.Client.CoreV1().Events(apps.AstronomyShop.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events.Items {
			if ev.Type == "Warning" && strings.Contains(ev.Message, "no pod is selected") {
				t.Logf("closed namespace at work: %s %s: %s: %s", ev.InvolvedObject.Kind, ev.InvolvedObject.Name, ev.Reason, ev.Message)
			}
		}
	})

	step("resume", func(t *testing.T) {
		resumed := r.setHalt(t, false)
		assertAppNamespaceClosed(ctx, t, c, false)
		// The Schedules' targets may die now; the Workflows' targets (one-shots, kick-offs, game day) must not.
		scheduled := map[string]bool{killTarget: true, "payment": true}
		r.assertNothingStrikes(t, pods, resumed, killInterval+15*time.Second, scheduled)
		err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, killInterval+time.Minute, true, func(ctx context.Context) (bool, error) {
			return len(pods.Deleted(killTarget, resumed)) > 0, nil
		})
		if err != nil {
			sch, _ := c.Dynamic.Resource(scheduleGVR).Namespace(apps.AstronomyShop.Namespace).Get(ctx, killScenario, metav1.GetOptions{})
			kids, _ := c.ScheduleChildren(ctx, apps.AstronomyShop.Namespace, killScenario)
			var states []string
			for _, k := range kids {
				states = append(states, k.State())
			}
			t.Fatalf("the Schedule %s did not strike within %s of halt=false: %v\nits annotations %v, status %v\nits children: %v\ncontroller log:\n%s",
				killScenario, killInterval+time.Minute, err, sch.GetAnnotations(), sch.Object["status"], states, r.cc.Tail(6000))
		}
		t.Logf("the Schedule struck %s after halt=false; no Workflow created while halted ran", time.Since(resumed).Round(time.Second))
	})

	step("teardown", func(t *testing.T) {
		setScenariosMap(t, r, map[string]any{})
		if _, err := Destroy(ctx, t, s); err != nil {
			t.Fatalf("destroy: %v", err)
		}
		assertLabGone(ctx, t, c, before)
	})
}

// setScenariosMap sets the scenarios config key to the map, as JSON.
func setScenariosMap(t *testing.T, r *chaosRun, m map[string]any) {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	setScenarios(r.ctx, t, r.s, string(raw))
}

// assertAppNamespaceClosed checks the app's namespace against halt: closed to chaos while halted.
func assertAppNamespaceClosed(ctx context.Context, t *testing.T, c *Cluster, halted bool) {
	t.Helper()
	ns, err := c.Client.CoreV1().Namespaces().Get(ctx, apps.AstronomyShop.Namespace, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := components.AppNamespaceAnnotations(halted)
	for k, v := range want {
		if ns.Annotations[k] != v {
			t.Errorf("halt %v: namespace %s has %s=%q, want %q", halted, ns.Name, k, ns.Annotations[k], v)
		}
	}
}

// assertNothingStrikes watches for d that no pod of the app is deleted (except those of the components
// allowed) and that no experiment applies a fault to a pod of another component.
func (r *chaosRun) assertNothingStrikes(t *testing.T, pods *PodWatch, since time.Time, d time.Duration, allowed map[string]bool) {
	t.Helper()
	r.observe(t, d, "nothing strikes", func(ctx context.Context) string {
		for _, svc := range apps.AstronomyShop.Deploy().ServiceNames() {
			if allowed[svc] {
				continue
			}
			if killed := pods.Deleted(svc, since); len(killed) > 0 {
				return fmt.Sprintf("pod %s of %s deleted at %s", killed[0].Name, svc, killed[0].Deleted.Format("15:04:05.000"))
			}
		}
		exps, err := r.c.Experiments(ctx, apps.AstronomyShop.Namespace, "")
		if err != nil {
			return err.Error()
		}
		for _, e := range exps {
			if len(e.Applied) > 0 && e.Applied[len(e.Applied)-1].After(since) && !allowedTarget(pods, e, allowed) {
				return fmt.Sprintf("%s applied its fault at %s (targets %v)", e.Name, e.Applied[len(e.Applied)-1].Format("15:04:05"), e.Targets)
			}
		}
		return ""
	})
	if !r.cc.Running() {
		t.Fatalf("the chaos controller is not running: nothing striking proves nothing\n%s", r.cc.Tail(3000))
	}
	t.Logf("nothing struck for %s from %s, with the controller running", d.Round(time.Second), since.Format("15:04:05"))
}

// allowedTarget says whether every target of an experiment (namespace/pod) is a pod of an allowed component.
func allowedTarget(pods *PodWatch, e Experiment, allowed map[string]bool) bool {
	for _, id := range e.Targets {
		_, name, _ := strings.Cut(id, "/")
		if !allowed[pods.ComponentOf(name)] {
			return false
		}
	}
	return len(e.Targets) > 0
}
