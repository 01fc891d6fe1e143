package experiment

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The run's promises that a verdict can be trusted (issue 20): a fault must land, a run cut short never
// passes, a run is recorded on the cluster for every checkout, and a recovery works from anywhere, whatever
// state the killed run left the stack in.

// A Schedule whose runs never inject ends the experiment at its deadline, with exit 5 and Chaos Mesh's words.
func TestAScenarioThatNeverStrikesEndsTheRunAtItsDeadline(t *testing.T) {
	h := newHarness(t)
	h.cluster.controller = func(c *fakeCluster, top *unstructured.Unstructured) {
		child := chaosObject("PodChaos", top.GetName()+"-q9", map[string]string{managedBy: top.GetName()})
		c.put(child)
		c.put(withStatus(child, `{"conditions":[{"type":"Selected","status":"False","reason":"no pod is selected"}]}`))
	}
	code := h.run("--scenario", "checkout-pod-kill", "--strike-within", "30s", "--for", "1h")
	if code != ExitNoStrike {
		t.Fatalf("exit %d, want 5\n%s%s", code, h.stdout, h.stderr)
	}
	h.assertNothingLeft()
	assertInOrder(t, h.stdout.String(),
		"scenario checkout-pod-kill: pod-kill on checkout, Schedule checkout-pod-kill (@every 10m); it must strike within 30s of being switched on",
		"experiment over: a scenario did not strike in time",
		"switch-off: delete Schedule checkout-pod-kill",
		"verdict: a fault did not land, so the experiment is void (exit 5)")
	if !strings.Contains(h.stderr.String(), "checkout-pod-kill did not strike within 30s of its switch-on: PodChaos checkout-pod-kill-q9 selected no target: no pod is selected") {
		t.Errorf("stderr lacks the reason from Chaos Mesh:\n%s", h.stderr)
	}
	// The deadline, not --for, ended it: 30 s and the fake clock's steps, far from an hour.
	if len(h.judged) != 1 || h.judged[0].To.Sub(h.judged[0].From) > time.Minute {
		t.Errorf("judged %+v", h.judged)
	}
}

// By default a Schedule without a kick-off has its first interval and a margin to strike.
func TestTheDefaultDeadlineIsTheFirstRunPlusAMargin(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		s    Scenario
		want time.Duration
		ok   bool
	}{
		{Scenario{Kind: KindWorkflow}, strikeMargin, true},
		{Scenario{Kind: KindSchedule, Schedule: "@every 10m", KickOff: "x-first"}, strikeMargin, true},
		{Scenario{Kind: KindSchedule, Schedule: "@every 10m"}, 10*time.Minute + strikeMargin, true},
		{Scenario{Kind: KindSchedule, Schedule: "0 3 * * *"}, 17*time.Hour + strikeMargin, true},
		{Scenario{Kind: KindFlag}, 0, false},
		{Scenario{Kind: "VirtualService"}, 0, false},
	} {
		got, ok := strikeDeadline(c.s, 0, now)
		if got != c.want || ok != c.ok {
			t.Errorf("%+v: %s %v, want %s %v", c.s, got, ok, c.want, c.ok)
		}
	}
	if got, _ := strikeDeadline(Scenario{Kind: KindSchedule, Schedule: "@every 10m"}, 5*time.Second, now); got != 5*time.Second {
		t.Errorf("--strike-within must override: %s", got)
	}
}

// With several scenarios, every one must strike: one that struck does not cover one that did not.
func TestEveryScenarioMustStrike(t *testing.T) {
	h := newHarness(t)
	h.engine.values["scenarios"] = `{"checkout-pod-kill":{"enabled":false},"my-kill":{"enabled":false}}`
	h.judgeCode = ExitOK
	h.cluster.controller = func(c *fakeCluster, top *unstructured.Unstructured) {
		if top.GetName() == "checkout-pod-kill" {
			now := h.clock.Now()
			podKillRun(c, top.GetName(), top.GetName()+"-x7k2p", "otel-demo/checkout-1", now.Add(time.Second), now.Add(5*time.Second))
		}
	}
	code := h.run("--scenario", "checkout-pod-kill,my-kill", "--strike-within", "20s", "--for", "10m")
	if code != ExitNoStrike {
		t.Fatalf("exit %d, want 5\n%s%s", code, h.stdout, h.stderr)
	}
	if !strings.Contains(h.stderr.String(), "my-kill did not strike within 20s") || strings.Contains(h.stderr.String(), "checkout-pod-kill did not strike") {
		t.Errorf("stderr:\n%s", h.stderr)
	}
	h.assertNothingLeft()
}

// A Schedule that someone else deletes (a person's pulumi up, kubectl delete) cuts the experiment short: the
// run ends, and cannot pass.
func TestADeletionTheRunDidNotMakeEndsItWithExit3(t *testing.T) {
	h := newHarness(t)
	h.judgeCode = ExitOK
	h.cluster.controller = func(c *fakeCluster, top *unstructured.Unstructured) {
		now := h.clock.Now()
		podKillRun(c, top.GetName(), top.GetName()+"-x7k2p", "otel-demo/checkout-1", now.Add(time.Second), now.Add(5*time.Second))
		go func() {
			for !strings.Contains(h.stdout.String(), "watching:") {
				time.Sleep(time.Millisecond)
			}
			c.undeploy(catalog[top.GetName()]) // someone deletes it; the garbage collector takes its child
		}()
	}
	code := h.run("--scenario", "checkout-pod-kill", "--for", "1h")
	if code != ExitUnknown {
		t.Fatalf("exit %d, want 3\n%s%s", code, h.stdout, h.stderr)
	}
	assertInOrder(t, h.stdout.String(), "deleted from the cluster by someone else than this run", "experiment over:")
	if !strings.Contains(h.stderr.String(), "deleted by someone else than this run: the experiment was cut short") {
		t.Errorf("stderr:\n%s", h.stderr)
	}
	h.assertNothingLeft()
}

// A person who edits the stack file during a run keeps the edit: only the run's key is reverted.
func TestAPersonsEditsDuringTheRunAreKept(t *testing.T) {
	h := newHarness(t)
	h.judgeCode = ExitOK
	h.cluster.controller = killsOnePod(h)
	edit := "\n  chaos-mesh-otel:loadGeneratorUsers: 9 # a person's edit\n"
	h.stdout.on("watching:", func() {
		f, err := os.OpenFile(h.engine.info.ConfigFile, os.O_APPEND|os.O_WRONLY, 0o644)
		must(t, err)
		_, err = f.WriteString(edit)
		must(t, err)
		must(t, f.Close())
	})
	if code := h.run("--scenario", "checkout-pod-kill"); code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, h.stdout, h.stderr)
	}
	got, _ := os.ReadFile(h.engine.info.ConfigFile)
	if !strings.Contains(string(got), edit) || !strings.HasSuffix(string(got), "# fake-switch checkout-pod-kill=off") {
		t.Errorf("the person's edit must stay and the run's key be reverted:\n%s", got)
	}
	if strings.Contains(h.stdout.String(), "byte-identical") || !strings.Contains(h.stdout.String(),
		"was edited during the run by someone else: kept their edits, reverted only scenarios.checkout-pod-kill.enabled") {
		t.Errorf("stdout:\n%s", h.stdout)
	}
	if h.engine.calls[len(h.engine.calls)-1] != "revert checkout-pod-kill false" {
		t.Errorf("engine calls %v", h.engine.callList())
	}
}

// secondCheckout is another clone of the project, with its own stack file and journal, on the same stack
// and cluster.
func secondCheckout(t *testing.T, h *harness) *harness {
	t.Helper()
	other := newHarness(t)
	other.cluster = h.cluster
	other.engine.h = other
	other.engine.info.LastResult = h.engine.info.LastResult
	return other
}

// Two checkouts, one stack: while a run from one is live, a run from the other is refused before it changes
// anything; a record left by a killed run sends it to --recover.
func TestASecondRunFromAnotherCheckoutIsRefused(t *testing.T) {
	h := newHarness(t)
	h.cluster.controller = killsOnePod(h)
	other := secondCheckout(t, h)
	var refused int
	var refusal string
	h.stdout.on("watching:", func() {
		refused = other.run("--scenario", "checkout-pod-kill")
		refusal = other.stderr.String()
	})
	h.judgeCode = ExitOK
	if code := h.run("--scenario", "checkout-pod-kill"); code != ExitOK {
		t.Fatalf("the first run: exit %d\n%s%s", code, h.stdout, h.stderr)
	}
	if refused != ExitSetup || !strings.Contains(refusal, "another chaoslab run is in progress on stack dev") {
		t.Errorf("the second run: exit %d\n%s", refused, refusal)
	}
	if calls := other.engine.callList(); len(calls) != 0 {
		t.Errorf("the refused run called the engine: %v", calls)
	}
	h.assertNothingLeft()

	// A record whose heartbeat stopped (the run was killed) sends the next run to --recover.
	h.cluster.records = map[string]ClusterRecord{"dev": {Stack: "dev", Scenarios: []string{"my-kill"}, Host: "ci-7", PID: 99,
		Phase: PhaseWatching, Heartbeat: t0.Add(-time.Hour)}}
	other.stderr = &lines{}
	if code := other.run("--scenario", "checkout-pod-kill"); code != ExitSetup ||
		!strings.Contains(other.stderr.String(), "did not finish") || !strings.Contains(other.stderr.String(), "chaoslab run --stack dev --recover") {
		t.Errorf("after a killed run: exit %d\n%s", code, other.stderr)
	}
}

// killedDuring leaves what a run killed (kill -9) during its switch-on update leaves: the journal with the
// run's edit, the record on the cluster with a stopped heartbeat, the objects created, and the update marked
// as the engine found it (failed: the inline program died with the process; in-progress: the CLI never
// finished).
func killedDuring(t *testing.T, h *harness, lastResult string) {
	t.Helper()
	h.engine.updateErr = func(n int) error {
		if n == 1 {
			return errors.New("killed")
		}
		return nil
	}
	// Play the run up to its switch-on, then stop it as a kill would: the deferred switch-off never runs.
	f, err := lockStackFile(h.engine.info.ConfigFile, "dev", runRecord{Stack: "dev", PID: 4242, Host: "ci-runner"})
	must(t, err)
	must(t, f.snapshot())
	switched := []Switch{{Scenario: "checkout-pod-kill", Entry: true, Set: true, Enabled: false}}
	must(t, f.begin(runRecord{Stack: "dev", PID: 4242, Host: "ci-runner", Started: t0, Scenarios: []string{"checkout-pod-kill"}, Switched: switched}))
	must(t, h.engine.Switch(context.Background(), []string{"checkout-pod-kill"}, true))
	f.noteWritten()
	must(t, f.recordWritten())
	f.unlock() // the kernel releases the flock of a killed process
	h.cluster.deploy(catalog["checkout-pod-kill"])
	h.cluster.records = map[string]ClusterRecord{"dev": {Stack: "dev", Scenarios: []string{"checkout-pod-kill"}, Switched: switched,
		Host: "ci-runner", PID: 4242, Phase: PhaseSwitchingOn, Heartbeat: t0.Add(-10 * time.Minute)}}
	h.engine.info.LastResult = lastResult
	h.engine.updateErr = nil
}

// --recover after a kill during the switch-on update, from the checkout that ran: the failed update does
// not stop it; the scenario is switched off, the file is given back byte for byte, the record released.
func TestRecoverAfterAKillDuringTheSwitchOn(t *testing.T) {
	h := newHarness(t)
	killedDuring(t, h, "failed")
	if code := h.run("--scenario", "checkout-pod-kill"); code != ExitSetup || !strings.Contains(h.stderr.String(), "--recover") {
		t.Fatalf("a normal run after the kill: exit %d, want 1 and a pointer to --recover\n%s", code, h.stderr)
	}
	if code := h.run("--recover"); code != ExitOK {
		t.Fatalf("--recover: exit %d\n%s%s", code, h.stdout, h.stderr)
	}
	assertInOrder(t, h.stdout.String(), "the last update of stack dev failed", "recovering anyway",
		"recovering the run of pid 4242 on ci-runner", "switch-off: delete Schedule checkout-pod-kill",
		"restored Pulumi.dev.yaml: byte-identical", "recovered:")
	h.assertNothingLeft()
}

// An update still marked in progress (the CLI was killed with the run) is not for --recover to clear: it
// says how.
func TestRecoverPointsToPulumiCancelWhenAnUpdateIsPending(t *testing.T) {
	h := newHarness(t)
	killedDuring(t, h, "in-progress")
	if code := h.run("--recover"); code != ExitSetup {
		t.Fatalf("exit %d, want 1\n%s%s", code, h.stdout, h.stderr)
	}
	for _, want := range []string{"still marked in progress", "pulumi cancel --stack dev --yes", "--clear-pending-creates", "chaoslab run --stack dev --recover again"} {
		if !strings.Contains(h.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, h.stderr)
		}
	}
	if calls := h.engine.callList(); len(calls) != 1 { // the kill's own switch
		t.Errorf("the engine was called: %v", calls)
	}
}

// --recover from another checkout, which has no journal: the record on the cluster tells which scenarios to
// switch off; that checkout's file is left as it was.
func TestRecoverFromAnotherCheckout(t *testing.T) {
	h := newHarness(t)
	killedDuring(t, h, "failed")
	other := secondCheckout(t, h)
	before, _ := os.ReadFile(other.engine.info.ConfigFile)
	if code := other.run("--recover"); code != ExitOK {
		t.Fatalf("--recover from another checkout: exit %d\n%s%s", code, other.stdout, other.stderr)
	}
	assertInOrder(t, other.stdout.String(), "(from the cluster: it ran from another checkout", "switch-off: delete Schedule checkout-pod-kill", "recovered:")
	if after, _ := os.ReadFile(other.engine.info.ConfigFile); string(after) != string(before) {
		t.Errorf("the other checkout's file changed:\n%s", after)
	}
	if _, held := h.cluster.record("dev"); held {
		t.Error("the record is still on the cluster")
	}
	if objs, _ := h.cluster.ChaosObjects(context.Background()); len(objs) > 0 {
		t.Errorf("chaos left: %v", objs)
	}
	// The checkout that ran still holds its journal and its edit; its own --recover gives its file back.
	if code := h.run("--recover"); code != ExitOK {
		t.Fatalf("--recover in the first checkout: exit %d\n%s%s", code, h.stdout, h.stderr)
	}
	h.assertNothingLeft()
}

// A person who edited the stack file after the crash keeps the edit: --recover reverts only the run's key.
func TestRecoverKeepsEditsMadeAfterTheCrash(t *testing.T) {
	h := newHarness(t)
	killedDuring(t, h, "failed")
	edit := "\n# a person's note after the crash\n"
	f, err := os.OpenFile(h.engine.info.ConfigFile, os.O_APPEND|os.O_WRONLY, 0o644)
	must(t, err)
	_, err = f.WriteString(edit)
	must(t, err)
	must(t, f.Close())
	if code := h.run("--recover"); code != ExitOK {
		t.Fatalf("--recover: exit %d\n%s%s", code, h.stdout, h.stderr)
	}
	got, _ := os.ReadFile(h.engine.info.ConfigFile)
	if !strings.Contains(string(got), edit) || !strings.HasSuffix(string(got), "# fake-switch checkout-pod-kill=off") {
		t.Errorf("--recover must keep the edit and revert only the run's key:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(h.dir, ".chaoslab", "run-dev.journal.json")); err == nil {
		t.Error("the journal is still there")
	}
}

// A live run is not for --recover to take over.
func TestRecoverRefusesALiveRun(t *testing.T) {
	h := newHarness(t)
	h.cluster.records = map[string]ClusterRecord{"dev": {Stack: "dev", Scenarios: []string{"checkout-pod-kill"}, Host: "ci-7", PID: 99,
		Phase: PhaseWatching, Heartbeat: t0}}
	if code := h.run("--recover"); code != ExitSetup || !strings.Contains(h.stderr.String(), "a chaoslab run is live on stack dev") {
		t.Errorf("exit %d\n%s", code, h.stderr)
	}
}

// The record that a run keeps on the cluster says where it is: its phases, then nothing once it is over.
func TestTheRunIsRecordedOnTheClusterWhileItRuns(t *testing.T) {
	h := newHarness(t)
	h.judgeCode = ExitOK
	h.cluster.controller = killsOnePod(h)
	var phases []string
	h.stdout.on("watching:", func() {
		rec, ok := h.cluster.record("dev")
		phases = append(phases, fmt.Sprint(ok, " ", rec.Phase, " ", rec.Scenarios, " ", rec.Switched))
	})
	if code := h.run("--scenario", "checkout-pod-kill"); code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, h.stdout, h.stderr)
	}
	if len(phases) != 1 || phases[0] != "true watching [checkout-pod-kill] [{checkout-pod-kill true true false}]" {
		t.Errorf("the record while watching: %v", phases)
	}
	h.assertNothingLeft()
}

// A run killed on this machine is dead at once; on another machine only its heartbeat can tell.
func TestARunKilledOnThisMachineIsDeadAtOnce(t *testing.T) {
	host, err := os.Hostname()
	must(t, err)
	gone := exec.Command("true")
	must(t, gone.Run())
	rec := ClusterRecord{Host: host, PID: gone.Process.Pid, Heartbeat: t0, Phase: PhaseWatching}
	if rec.live(t0) {
		t.Error("a record of this machine whose process is gone is live")
	}
	rec.PID = os.Getpid()
	if !rec.live(t0) {
		t.Error("a record of this very process is not live")
	}
	if rec.live(t0.Add(staleAfter)) {
		t.Error("a stale heartbeat is live")
	}
	rec.Host, rec.PID = "another-machine", gone.Process.Pid
	if !rec.live(t0) {
		t.Error("a fresh heartbeat of another machine is not live")
	}
	rec.Phase = PhaseLeftBehind
	if rec.live(t0) {
		t.Error("a run that ended with chaos left is live")
	}
}

// --junit reaches the report, as an absolute path (the run moves into the project directory).
func TestJUnitGoesToTheReport(t *testing.T) {
	h := newHarness(t)
	h.judgeCode = ExitOK
	h.cluster.controller = killsOnePod(h)
	t.Chdir(t.TempDir())
	if code := h.run("--scenario", "checkout-pod-kill", "--junit", "ci/junit.xml"); code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, h.stdout, h.stderr)
	}
	wd, _ := os.Getwd()
	if len(h.judged) != 1 || h.judged[0].JUnit != filepath.Join(wd, "ci", "junit.xml") {
		t.Errorf("judged %+v", h.judged)
	}
}

// A stack still locked by a killed update (its CLI was killed with the run, as a cancelled CI job does) is
// not retried by --recover: it says how to clear the lock, and that chaos is left (exit 4).
func TestRecoverOnALockedStackSaysHowToClearIt(t *testing.T) {
	h := newHarness(t)
	killedDuring(t, h, "succeeded")
	h.engine.updateErr = func(int) error {
		return errors.New("the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file")
	}
	if code := h.run("--recover"); code != ExitChaosLeft {
		t.Fatalf("exit %d, want 4\n%s%s", code, h.stdout, h.stderr)
	}
	if strings.Contains(h.stdout.String(), "trying again") {
		t.Errorf("a lock was retried:\n%s", h.stdout)
	}
	for _, want := range []string{"locked by an update that never finished", "pulumi cancel --stack dev --yes", "--recover again"} {
		if !strings.Contains(h.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, h.stderr)
		}
	}
}

// An update killed with its CLI can create the Schedule without recording it in the stack's state: the
// switch-off update then deletes nothing, and --recover deletes the run's own object itself.
func TestRecoverDeletesTheObjectsThatPulumiDoesNotTrack(t *testing.T) {
	h := newHarness(t)
	killedDuring(t, h, "succeeded")
	h.engine.untracked = map[string]bool{"Schedule/checkout-pod-kill": true}
	if code := h.run("--recover"); code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, h.stdout, h.stderr)
	}
	assertInOrder(t, h.stdout.String(), "switch-off: update done in 0s (no changes)",
		"deleted Schedule/checkout-pod-kill: the killed update had created it without recording it", "no chaos object left on the cluster")
	h.assertNothingLeft()
}
