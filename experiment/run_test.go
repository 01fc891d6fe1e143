package experiment

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	if code := h.run("--scenario", "checkout-pod-kill"); code != ExitUnknown {
		t.Fatalf("exit %d, want 3\n%s%s", code, h.stdout, h.stderr)
	}
	h.assertNothingLeft()
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

func TestEveryInterruptionPointRestoresTheConfigAndLeavesNoFault(t *testing.T) {
	cases := []struct {
		name      string
		setup     func(h *harness)
		wantCode  int
		wantCalls []string
		wantLines []string
		notLines  []string
	}{{
		name: "during preflight",
		setup: func(h *harness) {
			h.cluster.onCall = func(m string) {
				if m == "Unready" {
					h.interruptNow()
				}
			}
		},
		wantCode:  ExitUnknown,
		wantCalls: nil,
		wantLines: []string{"terminated: stopping before any change"},
		notLines:  []string{"switch-on"},
	}, {
		name: "during the switch-on update",
		setup: func(h *harness) {
			h.cluster.controller = killsOnePod(h)
			h.engine.onUpdate = func(n int) {
				if n == 1 {
					h.interruptNow()
				}
			}
		},
		wantCode:  ExitOK,
		wantCalls: switchCycle,
		wantLines: []string{"terminated: the update that switches the scenarios on finishes first; then they are switched off again",
			"switch-on: update done", "switch-off: delete Schedule checkout-pod-kill", "restored Pulumi.dev.yaml"},
		notLines: []string{"watching:", "waiting"},
	}, {
		name: "while watching",
		setup: func(h *harness) {
			h.cluster.controller = func(c *fakeCluster, top *unstructured.Unstructured) {
				u := chaosObject("PodChaos", "checkout-pod-kill-aa", map[string]string{managedBy: top.GetName()})
				c.put(withStatus(u, fmt.Sprintf(`{"experiment":{"desiredPhase":"Run","containerRecords":[{"id":"otel-demo/checkout-1","phase":"Injected",
					"events":[{"type":"Succeeded","operation":"Apply","timestamp":%q}]}]}}`, ts(h.clock.Now()))))
			}
			h.interruptOn("watching:")
		},
		wantCode:  ExitOK,
		wantCalls: switchCycle,
		wantLines: []string{"terminated: ending the experiment: switching the scenarios off", "experiment over: interrupted",
			"switch-off: delete Schedule checkout-pod-kill", "restored Pulumi.dev.yaml", "1 fault window(s)", "fake report: 1 window(s)"},
		notLines: []string{"waiting"},
	}, {
		name: "during the switch-off update",
		setup: func(h *harness) {
			h.cluster.controller = killsOnePod(h)
			h.engine.onUpdate = func(n int) {
				if n == 2 {
					h.interruptNow()
				}
			}
		},
		wantCode:  ExitOK,
		wantCalls: switchCycle,
		wantLines: []string{"terminated: already switching the scenarios off and restoring Pulumi.dev.yaml; this finishes by itself",
			"switch-off: update done", "restored Pulumi.dev.yaml", "fake report: 1 window(s)"},
	}, {
		name: "while waiting for recovery",
		setup: func(h *harness) {
			h.cluster.controller = killsOnePod(h)
			h.interruptOn("for recovery")
		},
		wantCode:  ExitOK,
		wantCalls: switchCycle,
		wantLines: []string{"terminated: judging now, without the rest of the recovery period", "fake report: 1 window(s)"},
	}, {
		name: "during the report",
		setup: func(h *harness) {
			h.cluster.controller = killsOnePod(h)
			h.judge = func(ctx context.Context, _ report.Options, _, _ io.Writer) int {
				h.intr <- os.Interrupt
				<-ctx.Done()
				return ExitOK
			}
		},
		wantCode:  ExitUnknown,
		wantCalls: switchCycle,
		wantLines: []string{"interrupt: stopping the report", "verdict: could not judge (exit 3)"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			h.judgeCode = ExitOK
			c.setup(h)
			code := h.run("--scenario", "checkout-pod-kill", "--after", "1h")
			if code != c.wantCode {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.wantCode, h.stdout, h.stderr)
			}
			h.assertNothingLeft()
			if got := h.engine.callList(); !slices.Equal(got, c.wantCalls) {
				t.Errorf("engine calls %v, want %v", got, c.wantCalls)
			}
			assertInOrder(t, h.stdout.String(), c.wantLines...)
			for _, l := range c.notLines {
				if strings.Contains(h.stdout.String(), l) {
					t.Errorf("output has %q:\n%s", l, h.stdout)
				}
			}
		})
	}
}

func TestAFailedSwitchOnIsSwitchedOffAndIsASetupError(t *testing.T) {
	h := newHarness(t)
	h.engine.updateErr = func(n int) error {
		if n == 1 {
			return errors.New("kubernetes:chaos-mesh.org/v1alpha1:Schedule (checkout-pod-kill): admission webhook denied the request")
		}
		return nil
	}
	if code := h.run("--scenario", "checkout-pod-kill"); code != ExitSetup {
		t.Fatalf("exit %d, want 1\n%s%s", code, h.stdout, h.stderr)
	}
	h.assertNothingLeft()
	if got := h.engine.callList(); !slices.Equal(got, switchCycle) {
		t.Errorf("engine calls %v, want %v", got, switchCycle)
	}
	if !strings.Contains(h.stderr.String(), "switching the scenarios on failed (they are off again): switch-on update: kubernetes:chaos-mesh.org/v1alpha1:Schedule (checkout-pod-kill): admission webhook denied") {
		t.Errorf("stderr:\n%s", h.stderr)
	}
	if len(h.judged) != 0 {
		t.Errorf("judged after a failed switch-on")
	}
}

func TestASwitchOffThatFailsOnceIsRetried(t *testing.T) {
	h := newHarness(t)
	h.cluster.controller = killsOnePod(h)
	h.judgeCode = ExitOK
	h.engine.updateErr = func(n int) error {
		if n == 2 {
			return errors.New("the stack is currently locked by 1 lock(s)")
		}
		return nil
	}
	if code := h.run("--scenario", "checkout-pod-kill", "--after", "0s"); code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, h.stdout, h.stderr)
	}
	h.assertNothingLeft()
	assertInOrder(t, h.stdout.String(), "switch-off: update failed after 0s: the stack is currently locked",
		"switch-off: trying again in 10s (attempt 2 of 3)", "switch-off: update done", "restored Pulumi.dev.yaml")
}

func TestASwitchOffThatKeepsFailingSaysWhatIsLeftAndRecoverFinishesIt(t *testing.T) {
	h := newHarness(t)
	h.cluster.controller = killsOnePod(h)
	h.engine.updateErr = func(n int) error {
		if n >= 2 {
			return errors.New("connection refused")
		}
		return nil
	}
	if code := h.run("--scenario", "checkout-pod-kill"); code != ExitSetup {
		t.Fatalf("exit %d, want 1\n%s%s", code, h.stdout, h.stderr)
	}
	if got, _ := os.ReadFile(h.engine.info.ConfigFile); string(got) != userStackFile {
		t.Errorf("config not restored after a failed switch-off:\n%s", got)
	}
	assertInOrder(t, h.stdout.String(), "attempt 2 of 3", "attempt 3 of 3", "restored Pulumi.dev.yaml")
	assertInOrder(t, h.stderr.String(),
		"the scenarios could not be switched off: ",
		"Left on the cluster:\n  PodChaos/otel-demo/checkout-pod-kill-x7k2p\n  Schedule/otel-demo/checkout-pod-kill",
		"Pulumi.dev.yaml is restored as it was before the run",
		"chaoslab run --stack dev --recover",
		"kubectl -n otel-demo delete schedule checkout-pod-kill",
		"pulumi refresh --stack dev --yes",
	)

	// The next run refuses, before it changes anything.
	calls := len(h.engine.callList())
	h.stderr = &lines{}
	if code := h.run("--scenario", "checkout-pod-kill"); code != ExitSetup {
		t.Fatalf("a run after an unfinished one: exit %d, want 1", code)
	}
	if !strings.Contains(h.stderr.String(), "did not finish") || !strings.Contains(h.stderr.String(), "chaoslab run --stack dev --recover") {
		t.Errorf("stderr:\n%s", h.stderr)
	}
	if len(h.engine.callList()) != calls {
		t.Errorf("a refused run called the engine: %v", h.engine.callList()[calls:])
	}

	// --recover switches it off.
	h.engine.updateErr = nil
	if code := h.run("--recover"); code != ExitOK {
		t.Fatalf("--recover: exit %d\n%s%s", code, h.stdout, h.stderr)
	}
	h.assertNothingLeft()
	assertInOrder(t, h.stdout.String(), "recovering the run of pid", "switch-off: delete Schedule checkout-pod-kill",
		"recovered: the scenarios are off and Pulumi.dev.yaml is as it was")
	if code := h.run("--recover"); code != ExitOK || !strings.Contains(h.stdout.String(), "nothing to recover") {
		t.Errorf("a second --recover: exit %d\n%s", code, h.stdout)
	}
}

func TestChaosThatChaosMeshDoesNotRemoveIsReported(t *testing.T) {
	h := newHarness(t)
	h.cluster.controller = killsOnePod(h)
	h.cluster.stuck = true
	if code := h.run("--scenario", "checkout-pod-kill"); code != ExitSetup {
		t.Fatalf("exit %d, want 1\n%s%s", code, h.stdout, h.stderr)
	}
	if got, _ := os.ReadFile(h.engine.info.ConfigFile); string(got) != userStackFile {
		t.Errorf("config not restored")
	}
	assertInOrder(t, h.stderr.String(), "still on the cluster 2m0s after the switch-off", "Schedule/otel-demo/checkout-pod-kill")
}

func TestASecondRunIsRefusedBeforeItTouchesTheConfig(t *testing.T) {
	h := newHarness(t)
	h.cluster.controller = killsOnePod(h)
	h.judgeCode = ExitOK
	second := newHarness(t)
	second.dir, second.engine.info.ConfigFile = h.dir, h.engine.info.ConfigFile
	var secondCode int
	var fileDuringFirst []byte
	h.engine.onUpdate = func(n int) {
		if n == 1 {
			secondCode = second.run("--scenario", "checkout-pod-kill")
			fileDuringFirst, _ = os.ReadFile(h.engine.info.ConfigFile)
		}
	}
	if code := h.run("--scenario", "checkout-pod-kill", "--after", "0s"); code != ExitOK {
		t.Fatalf("first run: exit %d\n%s%s", code, h.stdout, h.stderr)
	}
	if secondCode != ExitSetup {
		t.Errorf("second run: exit %d, want 1", secondCode)
	}
	if !strings.Contains(second.stderr.String(), "another chaoslab run (pid ") || !strings.Contains(second.stderr.String(), "is in progress on stack dev") {
		t.Errorf("second run's message:\n%s", second.stderr)
	}
	if calls := second.engine.callList(); len(calls) != 0 {
		t.Errorf("the refused run changed the stack: %v", calls)
	}
	if !strings.Contains(string(fileDuringFirst), "fake-switch checkout-pod-kill=on") {
		t.Errorf("the refused run restored an older config over the first run's edits:\n%s", fileDuringFirst)
	}
	h.assertNothingLeft()
}

func TestRefusalsBeforeAnyChange(t *testing.T) {
	cases := []struct {
		name  string
		setup func(h *harness)
		args  []string
		code  int
		want  string
	}{
		{"never deployed", func(h *harness) { h.engine.info.LastKind = "" }, nil, ExitSetup,
			"stack dev has never been deployed: bring the lab up first (make up STACK=dev)"},
		{"destroyed", func(h *harness) { h.engine.info.LastKind = "destroy" }, nil, ExitSetup, "stack dev was destroyed at"},
		{"last update failed", func(h *harness) { h.engine.info.LastResult = "failed" }, nil, ExitSetup,
			"the last update of stack dev failed"},
		{"halted", func(h *harness) { h.engine.values["halt"] = "true" }, nil, ExitSetup,
			"chaos-mesh-otel:halt is true in Pulumi.dev.yaml"},
		{"another scenario on", func(h *harness) { h.engine.values["scenarios"] = `{"frontend-catalog-latency":{"enabled":true}}` }, nil, ExitSetup,
			"Pulumi.dev.yaml also enables frontend-catalog-latency"},
		{"unknown scenario", nil, []string{"--scenario", "chekout-pod-kill"}, ExitSetup,
			"--scenario chekout-pod-kill: no such scenario: not a preset and not a key of chaos-mesh-otel:scenarios in Pulumi.dev.yaml (did you mean checkout-pod-kill?)"},
		{"flag without --for", nil, []string{"--scenario", "ad-failure"}, ExitSetup,
			"--scenario ad-failure is a flag fault, which does not end by itself: give --for"},
		{"invalid config", func(h *harness) { delete(h.engine.values, "grafanaAdminPassword") }, nil, ExitSetup,
			"chaos-mesh-otel:grafanaAdminPassword: required"},
		{"workloads not ready", func(h *harness) { h.cluster.unready = []string{"Deployment otel-demo/checkout: 0 of 1 available"} }, nil, ExitSetup,
			"the lab is not ready (1 of 27 workloads), so a verdict would judge the wrong thing:\n  Deployment otel-demo/checkout: 0 of 1 available"},
		{"chaos already running", func(h *harness) { h.cluster.put(chaosObject("Schedule", "someone-elses", nil)) }, nil, ExitSetup,
			"chaos is already on the cluster; it would spoil the baseline and the verdict:\n  Schedule/otel-demo/someone-elses"},
		{"Prometheus unreachable", func(h *harness) {
			h.cluster.promErr = errors.New("no Ready pod behind Service observability/prometheus-server")
		}, nil, ExitUnknown,
			"cannot judge, so not starting: Prometheus: no Ready pod behind Service observability/prometheus-server"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			if c.setup != nil {
				c.setup(h)
			}
			args := c.args
			if args == nil {
				args = []string{"--scenario", "checkout-pod-kill"}
			}
			if code := h.run(args...); code != c.code {
				t.Errorf("exit %d, want %d", code, c.code)
			}
			if !strings.Contains(h.stderr.String(), c.want) {
				t.Errorf("stderr lacks %q:\n%s", c.want, h.stderr)
			}
			if calls := h.engine.callList(); len(calls) != 0 {
				t.Errorf("a refused run changed the stack: %v", calls)
			}
			if got, _ := os.ReadFile(h.engine.info.ConfigFile); string(got) != userStackFile {
				t.Errorf("a refused run touched the config")
			}
		})
	}
}

func TestARunWaitsAWhileForALabThatIsStillStarting(t *testing.T) {
	h := newHarness(t)
	h.cluster.controller = killsOnePod(h)
	h.judgeCode = ExitOK
	h.cluster.unready = []string{"DaemonSet chaos-mesh/chaos-daemon: 0 of 1 available"}
	h.cluster.onCall = func(m string) {
		if m == "Unready" && h.clock.Now().After(t0.Add(20*time.Second)) {
			h.cluster.unready = nil
		}
	}
	if code := h.run("--scenario", "checkout-pod-kill", "--after", "0s"); code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, h.stdout, h.stderr)
	}
	assertInOrder(t, h.stdout.String(),
		"waiting up to 2m0s for 1 workload(s) to be ready: DaemonSet chaos-mesh/chaos-daemon: 0 of 1 available",
		"lab ready: 27 workloads ready")
	if strings.Count(h.stdout.String(), "waiting up to") != 1 {
		t.Errorf("the wait is announced more than once:\n%s", h.stdout)
	}
}

func TestAPanicAfterTheFirstEditStillRestoresTheConfig(t *testing.T) {
	h := newHarness(t)
	h.engine.onUpdate = func(int) { panic("boom") }
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Fatalf("recovered %v, want the panic to go on", p)
			}
		}()
		h.run("--scenario", "checkout-pod-kill")
	}()
	if got, _ := os.ReadFile(h.engine.info.ConfigFile); string(got) != userStackFile {
		t.Errorf("config not restored after a panic:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(h.dir, ".chaoslab", "run-dev.journal.json")); err != nil {
		t.Errorf("the journal is gone, so --recover cannot switch the scenarios off: %v", err)
	}
	if !strings.Contains(h.stderr.String(), "chaoslab run --stack dev --recover") {
		t.Errorf("stderr:\n%s", h.stderr)
	}
}

func warningEvent(kind, name, reason, msg string) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: name + ".1", Namespace: "otel-demo", UID: "ev-1"},
		InvolvedObject: corev1.ObjectReference{Kind: kind, Name: name, Namespace: "otel-demo"},
		Type:           corev1.EventTypeWarning, Reason: reason, Message: msg, Count: 1,
	}
}
