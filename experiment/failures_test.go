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

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

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
		wantCode:  ExitUnknown, // an interrupted run never passes
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
		wantCode:  ExitUnknown, // an interrupted run never passes
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
		wantCode:  ExitUnknown, // an interrupted run never passes
		wantCalls: switchCycle,
		wantLines: []string{"terminated: already switching the scenarios off and restoring Pulumi.dev.yaml; this finishes by itself",
			"switch-off: update done", "restored Pulumi.dev.yaml", "fake report: 1 window(s)"},
	}, {
		name: "while waiting for recovery",
		setup: func(h *harness) {
			h.cluster.controller = killsOnePod(h)
			h.interruptOn("for recovery")
		},
		wantCode:  ExitUnknown, // an interrupted run never passes
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
			if c.wantCode == ExitUnknown && len(h.judged) > 0 && !strings.Contains(h.stderr.String(), "interrupted") {
				t.Errorf("the judged run does not say that it was cut short:\n%s", h.stderr)
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
	if code := h.run("--scenario", "checkout-pod-kill"); code != ExitChaosLeft {
		t.Fatalf("exit %d, want 4 (chaos left on the cluster)\n%s%s", code, h.stdout, h.stderr)
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
	if code := h.run("--scenario", "checkout-pod-kill"); code != ExitChaosLeft {
		t.Fatalf("exit %d, want 4 (chaos left on the cluster)\n%s%s", code, h.stdout, h.stderr)
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
