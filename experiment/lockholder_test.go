package experiment

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/clock"
)

func lockError(host string, pid int) error {
	return fmt.Errorf("switch-off update: failed to run update: exit status 1\nstderr: error: the stack is currently locked by 1 lock(s). "+
		"Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n"+
		"  file:///tmp/backend/.pulumi/locks/organization/p/s/ac8c.json?no_tmp_dir=true: created by root@%s (pid %d) at 2026-12-07T01:41:35Z", host, pid)
}

// A lock is waited for only when its holder is a process of this machine that still runs.
func TestLiveLockHolder(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
		pid  int
		live bool
	}{
		{"this process", lockError(host, os.Getpid()), os.Getpid(), true},
		{"a process that has ended", lockError(host, dead.Process.Pid), 0, false},
		{"another machine", lockError(host+"-other", os.Getpid()), 0, false},
		{"not a lock", errors.New("exit status 1: created by root@" + host + " (pid 1)"), 0, false},
		{"no owner in the message", errors.New("the stack is currently locked"), 0, false},
	} {
		pid, live := liveLockHolder(tc.err)
		if pid != tc.pid || live != tc.live {
			t.Errorf("%s: liveLockHolder = %d, %v; want %d, %v", tc.name, pid, live, tc.pid, tc.live)
		}
	}
}

// The switch-off waits for a live lock holder to end, and gives up after lockHolderWait.
func TestAwaitLockHolder(t *testing.T) {
	var out strings.Builder
	r := &run{w: Wiring{Clock: clock.RealClock{}}}
	r.out = &progress{w: &out, now: time.Now}
	holder := exec.Command("sleep", "1")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = holder.Wait() }() // reaped, so that the pid is gone once it ends
	start := time.Now()
	if !r.awaitLockHolder(holder.Process.Pid) {
		t.Fatalf("gave up on a holder that ends after 1 s:\n%s", out.String())
	}
	if took := time.Since(start); took < 500*time.Millisecond {
		t.Errorf("returned after %s, before the holder ended", took)
	}
	if !strings.Contains(out.String(), "has ended; updating again") {
		t.Errorf("output: %s", out.String())
	}
}

// A lock left by a Pulumi CLI of this machine that has ended after its update succeeded (it died on its
// closed output pipe before removing the lock: TestRun saw it) is cleared, and the switch-off goes on.
func TestRecoverClearsTheLockOfAnEndedCLI(t *testing.T) {
	host, err := os.Hostname()
	must(t, err)
	gone := exec.Command("true")
	must(t, gone.Run())
	h := newHarness(t)
	killedDuring(t, h, "succeeded")
	h.engine.updateErr = func(int) error {
		if h.engine.unlocked() {
			return nil
		}
		return lockError(host, gone.Process.Pid)
	}
	if code := h.run("--recover"); code != ExitOK {
		t.Fatalf("exit %d, want 0\n%s%s", code, h.stdout, h.stderr)
	}
	assertInOrder(t, h.stdout.String(), fmt.Sprintf("the stack's lock was left by pid %d of this machine, which has ended", gone.Process.Pid),
		"recovered: the scenarios are off")
	h.assertNothingLeft()
}

// An update still marked in progress keeps its lock: it may have left pending operations, which the user
// clears (TestRecoverOnALockedStackSaysHowToClearIt covers the message).
func TestRecoverKeepsTheLockOfAnUpdateInProgress(t *testing.T) {
	host, err := os.Hostname()
	must(t, err)
	gone := exec.Command("true")
	must(t, gone.Run())
	h := newHarness(t)
	killedDuring(t, h, "succeeded")
	h.engine.updateErr = func(int) error {
		h.engine.info.LastResult = "in-progress" // what Inspect says from now on
		return lockError(host, gone.Process.Pid)
	}
	if code := h.run("--recover"); code != ExitChaosLeft {
		t.Fatalf("exit %d, want 4\n%s%s", code, h.stdout, h.stderr)
	}
	if h.engine.unlocked() {
		t.Error("cleared the lock of an update in progress")
	}
}
