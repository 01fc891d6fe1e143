package experiment

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

// killsOnePod plays Chaos Mesh for checkout-pod-kill: its Schedule spawns one run that kills a pod 2 s later

// and recovers 30 s after that.

func killsOnePod(h *harness) func(*fakeCluster, *unstructured.Unstructured) {
	return func(c *fakeCluster, top *unstructured.Unstructured) {
		if top.GetKind() == KindSchedule {
			now := h.clock.Now()
			podKillRun(c, top.GetName(), top.GetName()+"-x7k2p", "otel-demo/checkout-6c9f8-abcde", now.Add(2*time.Second), now.Add(32*time.Second))
		}
	}
}

var switchCycle = []string{"switch checkout-pod-kill true", "update", "switch checkout-pod-kill false", "update"}

func TestScheduleRunSwitchesOnWatchesOneRunSwitchesOffAndJudgesItsWindow(t *testing.T) {
	h := newHarness(t)
	h.cluster.controller = killsOnePod(h)
	h.judgeCode = ExitOK

	if code := h.run("--scenario", "checkout-pod-kill"); code != ExitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, h.stdout, h.stderr)
	}
	h.assertNothingLeft()
	if got := h.engine.callList(); !slices.Equal(got, switchCycle) {
		t.Errorf("engine calls %v, want %v", got, switchCycle)
	}
	out := h.stdout.String()
	assertInOrder(t, out,
		"10:00:00  chaoslab run on stack dev, 2026-03-02 (times UTC)",
		"stack dev is up: last update succeeded at 2026-03-02T09:00:00Z, 93 resources",
		"scenario checkout-pod-kill: pod-kill on checkout, Schedule checkout-pod-kill (@every 10m)",
		"lab ready: 27 workloads ready, no chaos running",
		"Prometheus answers at http://127.0.0.1:39090",
		"switch-on: checkout-pod-kill in Pulumi.dev.yaml",
		"switch-on: create Schedule checkout-pod-kill",
		"checkout-pod-kill: Schedule otel-demo/checkout-pod-kill is on the cluster (pod-kill on checkout, @every 10m)",
		"checkout-pod-kill: run 1: PodChaos checkout-pod-kill-x7k2p spawned",
		"10:00:02  checkout-pod-kill: PodChaos checkout-pod-kill-x7k2p: injected into otel-demo/checkout-6c9f8-abcde",
		"10:00:32  checkout-pod-kill: PodChaos checkout-pod-kill-x7k2p: recovered otel-demo/checkout-6c9f8-abcde",
		"checkout-pod-kill: run 1 finished (PodChaos checkout-pod-kill-x7k2p)",
		"checkout-pod-kill: ended: 1 run(s) finished",
		"switch-on: update done in 0s (create 1)",
		"watching: the experiment ends when Schedule checkout-pod-kill has run 1 time(s), or on Ctrl-C",
		"experiment over: checkout-pod-kill: 1 run(s) finished",
		"switch-off: delete Schedule checkout-pod-kill",
		"checkout-pod-kill: Schedule checkout-pod-kill deleted",
		"restored Pulumi.dev.yaml: byte-identical to before the run",
		"no chaos object left on the cluster",
		"seen: 1 run(s), 1 injection(s), 0 failure(s) to inject or recover, 1 fault window(s)",
		"window 10:00:02 → 10:00:32  checkout-pod-kill on checkout (PodChaos/otel-demo/checkout-pod-kill-x7k2p)",
		"waiting 5m32s for recovery (--after 5m0s from the last fault's end) before judging",
		"fake report: 1 window(s)",
		"verdict: every SLO held (exit 0)",
	)
	if len(h.judged) != 1 {
		t.Fatalf("judged %d times, want once", len(h.judged))
	}
	o := h.judged[0]
	want := report.Window{Scenario: "checkout-pod-kill", Start: t0.Add(2 * time.Second), End: t0.Add(32 * time.Second),
		Target: "checkout", Source: "PodChaos/otel-demo/checkout-pod-kill-x7k2p"}
	if len(o.Windows) != 1 || o.Windows[0] != want {
		t.Errorf("windows judged %+v, want [%+v]", o.Windows, want)
	}
	if o.Scenario != "checkout-pod-kill" || o.OutDir != h.out || o.Settings.After != 5*time.Minute ||
		o.Settings.Namespace != "otel-demo" || len(o.SLOs) != 6 || o.Prometheus != "http://127.0.0.1:39090" {
		t.Errorf("report options: %+v", o)
	}
	if now := h.clock.Now(); now.Before(t0.Add(32*time.Second + 5*time.Minute)) {
		t.Errorf("judged at %s, before the recovery period after the fault (10:05:32) was over", now)
	}
	logged, err := os.ReadFile(filepath.Join(h.out, "run.log"))
	if err != nil || !strings.Contains(string(logged), "verdict: every SLO held (exit 0)") {
		t.Errorf("run.log lacks the timeline (%v):\n%s", err, logged)
	}
	if _, err := os.Stat(filepath.Join(h.out, "pulumi-switch-on.log")); err != nil {
		t.Errorf("the switch-on update's engine output is not kept: %v", err)
	}
}

func TestTheReportsExitCodeIsTheRunsExitCode(t *testing.T) {
	for _, code := range []int{ExitOK, ExitViolated, ExitUnknown} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			h := newHarness(t)
			h.cluster.controller = killsOnePod(h)
			h.judgeCode = code
			if got := h.run("--scenario", "checkout-pod-kill", "--after", "0s"); got != code {
				t.Fatalf("exit %d, want the report's %d\n%s%s", got, code, h.stdout, h.stderr)
			}
			if !strings.Contains(h.stdout.String(), fmt.Sprintf("(exit %d)", code)) {
				t.Errorf("the last line does not say the exit code:\n%s", h.stdout)
			}
			h.assertNothingLeft()
		})
	}
}

func TestAWorkflowRunEndsWhenTheWorkflowFinishes(t *testing.T) {
	h := newHarness(t)
	h.engine.values["scenarios"] = `{}`
	h.cluster.controller = func(c *fakeCluster, top *unstructured.Unstructured) {
		now := h.clock.Now()
		wf := top.GetName()
		c.put(chaosObject("WorkflowNode", wf+"-entry-1", map[string]string{workflowLabel: wf}))
		node := chaosObject("WorkflowNode", wf+"-step-2", map[string]string{workflowLabel: wf})
		node.Object["spec"] = map[string]any{"templateName": wf, "type": "NetworkChaos"}
		c.put(node)
		chaos := chaosObject("NetworkChaos", wf+"-step-2-abcde", map[string]string{workflowLabel: wf, controlledBy: wf + "-step-2"})
		c.put(withStatus(chaos, fmt.Sprintf(`{"experiment":{"desiredPhase":"Stop","containerRecords":[{"id":"otel-demo/frontend-1","phase":"Not Injected",
			"events":[{"type":"Succeeded","operation":"Apply","timestamp":%q},{"type":"Succeeded","operation":"Recover","timestamp":%q}]}]}}`,
			ts(now.Add(time.Second)), ts(now.Add(5*time.Minute)))))
		c.put(withStatus(node, `{"conditions":[{"type":"Accomplished","status":"True"},{"type":"DeadlineExceed","status":"True"}]}`))
		c.put(withStatus(top, `{"entryNode":"`+wf+`-entry-1","conditions":[{"type":"Accomplished","status":"True"}]}`))
	}
	h.judgeCode = ExitViolated
	if code := h.run("--scenario", "frontend-catalog-latency"); code != ExitViolated {
		t.Fatalf("exit %d, want 2\n%s%s", code, h.stdout, h.stderr)
	}
	h.assertNothingLeft()
	assertInOrder(t, h.stdout.String(),
		"frontend-catalog-latency: Workflow otel-demo/frontend-catalog-latency is on the cluster (network-delay on frontend)",
		"frontend-catalog-latency: step frontend-catalog-latency started (NetworkChaos)",
		"frontend-catalog-latency: NetworkChaos frontend-catalog-latency-step-2-abcde: injected into otel-demo/frontend-1",
		"frontend-catalog-latency: step frontend-catalog-latency finished",
		"frontend-catalog-latency: Workflow frontend-catalog-latency finished",
		"watching: the experiment ends when Workflow frontend-catalog-latency finishes, or on Ctrl-C",
		"experiment over: frontend-catalog-latency: Workflow finished",
		"verdict: an SLO was violated (exit 2)",
	)
	if strings.Contains(h.stdout.String(), "step entry") {
		t.Errorf("the Serial entry node is printed as a step:\n%s", h.stdout)
	}
	if w := h.judged[0].Windows; len(w) != 1 || w[0].End.Sub(w[0].Start) != 5*time.Minute-time.Second {
		t.Errorf("the workflow's window is not its injection: %+v", w)
	}
}

func TestAnAbortedGameDayEndsTheRunAndSaysWhy(t *testing.T) {
	h := newHarness(t)
	h.engine.values["scenarios"] = `{}`
	h.cluster.controller = func(c *fakeCluster, top *unstructured.Unstructured) {
		wf := top.GetName()
		entry := chaosObject("WorkflowNode", wf+"-entry-1", map[string]string{workflowLabel: wf})
		entry.Object["spec"] = map[string]any{"templateName": "entry", "type": "Serial"}
		check := chaosObject("StatusCheck", wf+"-steady-state-1", map[string]string{workflowLabel: wf})
		c.put(entry)
		c.put(check)
		c.put(withStatus(check, `{"conditions":[{"type":"FailureThresholdExceed","status":"True"}]}`))
		c.put(withStatus(entry, `{"conditions":[{"type":"Aborted","status":"True","reason":"WorkflowAborted"}]}`))
		c.put(withStatus(top, `{"entryNode":"`+wf+`-entry-1","conditions":[{"type":"Accomplished","status":"True"}]}`))
	}
	code := h.run("--scenario", "checkout-gameday")
	if code != ExitUnknown {
		t.Fatalf("exit %d, want 3 (no fault was injected)\n%s%s", code, h.stdout, h.stderr)
	}
	h.assertNothingLeft()
	assertInOrder(t, h.stdout.String(),
		"checkout-gameday: steady-state check checkout-gameday-steady-state-1 started",
		"checkout-gameday: steady-state check checkout-gameday-steady-state-1 failed too often: Chaos Mesh aborts the workflow",
		"checkout-gameday: Workflow checkout-gameday aborted: WorkflowAborted",
		"experiment over: checkout-gameday: Workflow aborted: WorkflowAborted",
		"no fault window: nothing was injected while the scenarios were on",
		"verdict: could not judge (exit 3)",
	)
}

func TestAFailureToInjectIsShownAndLeavesNothingToJudge(t *testing.T) {
	h := newHarness(t)
	h.cluster.controller = func(c *fakeCluster, top *unstructured.Unstructured) {
		child := chaosObject("PodChaos", "checkout-pod-kill-q9", map[string]string{managedBy: top.GetName()})
		c.put(child)
		failed := withStatus(child, fmt.Sprintf(`{"experiment":{"desiredPhase":"Stop","containerRecords":[{"id":"otel-demo/checkout-1","phase":"Not Injected",
			"events":[{"type":"Failed","operation":"Apply","message":"rpc error: chaos-daemon unreachable","timestamp":%q}]}]},
			"conditions":[{"type":"AllRecovered","status":"True"}]}`, ts(h.clock.Now())))
		c.put(failed)
		warning := Observation{Time: h.clock.Now(), Type: Event, Event: warningEvent("PodChaos", "checkout-pod-kill-q9", "Failed", "Failed to apply chaos: rpc error")}
		c.event(warning)
		c.event(warning) // the same event again: printed once
	}
	if code := h.run("--scenario", "checkout-pod-kill"); code != ExitNoStrike {
		t.Fatalf("exit %d, want 5 (a failed injection voids the experiment)\n%s%s", code, h.stdout, h.stderr)
	}
	h.assertNothingLeft()
	if !strings.Contains(h.stderr.String(), "checkout-pod-kill: Chaos Mesh failed to inject it 1 time(s): PodChaos checkout-pod-kill-q9: FAILED to inject into otel-demo/checkout-1: rpc error: chaos-daemon unreachable") {
		t.Errorf("stderr lacks Chaos Mesh's reason:\n%s", h.stderr)
	}
	out := h.stdout.String()
	assertInOrder(t, out,
		"checkout-pod-kill: PodChaos checkout-pod-kill-q9: FAILED to inject into otel-demo/checkout-1: rpc error: chaos-daemon unreachable",
		"checkout-pod-kill: warning on PodChaos checkout-pod-kill-q9: Failed: Failed to apply chaos: rpc error",
		"seen: 1 run(s), 0 injection(s), 1 failure(s) to inject or recover, 0 fault window(s)",
		"no fault window: Chaos Mesh failed to inject 1 time(s)",
	)
	if strings.Count(out, "warning on PodChaos") != 1 {
		t.Errorf("a repeated event is printed twice:\n%s", out)
	}
}

func TestAFlagRunsForItsDurationAndItsWindowIsFromSwitchOnToSwitchOff(t *testing.T) {
	h := newHarness(t)
	h.engine.values["scenarios"] = `{}`
	h.judgeCode = ExitOK
	if code := h.run("--scenario", "ad-failure", "--for", "5m"); code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, h.stdout, h.stderr)
	}
	h.assertNothingLeft()
	assertInOrder(t, h.stdout.String(),
		"scenario ad-failure: flag fault on ad",
		"watching: the experiment ends after --for 5m0s at the latest (2026-03-02T10:05:00Z), or on Ctrl-C",
		"experiment over: --for 5m0s is over",
		"window 10:00:00 → 10:05:00  ad-failure on ad (flag (stack config))",
	)
	w := h.judged[0].Windows
	if len(w) != 1 || !w[0].Start.Equal(t0) || !w[0].End.Equal(t0.Add(5*time.Minute)) || w[0].Target != "ad" {
		t.Errorf("flag window %+v", w)
	}
}

func warningEvent(kind, name, reason, msg string) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: name + ".1", Namespace: "otel-demo", UID: "ev-1"},
		InvolvedObject: corev1.ObjectReference{Kind: kind, Name: name, Namespace: "otel-demo"},
		Type:           corev1.EventTypeWarning, Reason: reason, Message: msg, Count: 1,
	}
}
