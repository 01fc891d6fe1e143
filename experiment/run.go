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
	"sync"
	"time"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

// run is one `chaoslab run`: a state machine that goes
//
//	prepare → switch on → watch → switch off → settle → judge
//
// prepare only reads (stack, config, cluster, Prometheus) and may stop at any point without a trace. From
// the first edit of the config on, switch off always runs: after a failed update, an interrupt, or a panic.
type run struct {
	o      Options
	w      Wiring
	out    *progress
	stdout io.Writer // stdout and run.log
	stderr io.Writer
	intr   *interrupter
	log    *os.File

	engine    Engine
	cluster   Cluster
	stack     StackInfo
	plan      *Plan
	ours      []Scenario
	runs      int // runs of each Schedule that end the experiment (0: only --for does)
	file      *stackFile
	track     *tracker
	stopWatch context.CancelFunc

	switchedOn bool      // the config has been edited: switch off must run
	started    time.Time // the switch-on update ended
	flagOff    time.Time // the switch-off update ended

	began    time.Time // the run began
	switched []Switch  // each scenario's enabled key before the run, which a revert puts back
	// The run's record on the cluster (ledger.go): claimed once written, renewed by a heartbeat until the
	// scenarios are off.
	mu           sync.Mutex
	claimed      bool
	currentPhase string
	stopBeat     context.CancelFunc
	// noStrike says why the experiment is void: a scenario did not strike, or failed to inject (exit 5).
	noStrike []string
	// cfg is the stack's config as a recovery found it, to name the objects of the run's scenarios.
	cfg map[string]string
	// times are when the phases ran and windows the fault windows judged: the experiment's trace.
	times   phaseTimes
	windows []report.Window
	// keepEdits says that someone else edited the config file during the run: the switch-off reverts only
	// the run's keys and keeps their edits, instead of giving the original bytes back.
	keepEdits bool
}

func newRun(o Options, w Wiring, stdout, stderr io.Writer) *run {
	r := &run{o: o, w: w, stderr: stderr, stdout: stdout}
	if f, err := os.Create(filepath.Join(o.OutDir, "run.log")); err == nil {
		r.log = f
		r.stdout = io.MultiWriter(stdout, f)
	}
	r.out = &progress{w: r.stdout, now: w.Clock.Now}
	r.intr = newInterrupter(w.Interrupts, r.out)
	r.stopWatch = func() {}
	r.stopBeat = func() {}
	r.began = w.Clock.Now().UTC()
	return r
}

// execute runs the machine and returns the exit code.
func (r *run) execute(ctx context.Context) int {
	defer r.close()
	r.out.say("chaoslab run on stack %s, %s (times UTC); output in %s", r.o.Stack,
		r.w.Clock.Now().UTC().Format("2006-01-02"), r.o.OutDir)
	if r.o.Recover {
		return r.recoverRun(ctx)
	}
	if code, ok := r.prepare(ctx); !ok {
		return code
	}
	return r.experiment(ctx)
}

func (r *run) close() {
	r.stopWatch()
	r.stopBeat()
	if r.file != nil {
		r.file.unlock()
	}
	r.intr.stop()
	if r.log != nil {
		_ = r.log.Close()
	}
}

// failf prints why the run stops and returns code with ok false.
func (r *run) failf(code int, format string, a ...any) (int, bool) {
	fmt.Fprintf(r.stderr, "chaoslab run: "+format+"\n", a...)
	if r.log != nil {
		fmt.Fprintf(r.log, "chaoslab run: "+format+"\n", a...)
	}
	return code, false
}

// prepare checks everything before the first change: the stack is up, no other run holds it, the scenarios
// exist and would be the only chaos, the lab's workloads are ready, Prometheus answers. It then starts the
// watch, so that the switch-on is seen as it happens.
func (r *run) prepare(ctx context.Context) (int, bool) {
	pctx, done := r.intr.stoppable(ctx, "stopping before any change")
	defer done()
	steps := []func(context.Context) (int, bool){r.openStack, r.lockStack, r.planScenarios, r.checkCluster, r.claimLedger, r.startWatch}
	for _, step := range steps {
		code, ok := step(pctx)
		if pctx.Err() != nil {
			return r.failf(ExitUnknown, "interrupted before any change; nothing was changed")
		}
		if !ok {
			return code, false
		}
	}
	return 0, true
}

// openEngine opens the stack and reads its last operation.
func (r *run) openEngine(ctx context.Context) error {
	var err error
	if r.engine, err = r.w.OpenStack(ctx, r.o.Dir, r.o.Stack); err == nil {
		r.stack, err = r.engine.Inspect(ctx)
	}
	return err
}

func (r *run) openStack(ctx context.Context) (int, bool) {
	if err := r.openEngine(ctx); err != nil {
		return r.failf(ExitSetup, "stack %s: %v", r.o.Stack, err)
	}
	s := r.stack
	switch {
	case s.LastKind == "":
		return r.failf(ExitSetup, "stack %s has never been deployed: bring the lab up first (make up STACK=%s)", s.Name, s.Name)
	case s.LastKind == "destroy":
		return r.failf(ExitSetup, "stack %s was destroyed at %s: bring the lab up first (make up STACK=%s)", s.Name, stamp(s.LastEnd), s.Name)
	case s.LastResult == "in-progress":
		return r.failf(ExitSetup, "an %s of stack %s is in progress: wait for it to finish", s.LastKind, s.Name)
	case s.LastResult != "succeeded" && journalExists(s.ConfigFile, s.Name):
		return r.failf(ExitSetup, "the last %s of stack %s %s (%s), and an earlier chaoslab run on it did not finish: finish it with "+
			"chaoslab run --stack %s --recover (not pulumi up, which would switch its scenarios on again)", s.LastKind, s.Name, s.LastResult, stamp(s.LastEnd), s.Name)
	case s.LastResult != "succeeded":
		return r.failf(ExitSetup, "the last %s of stack %s %s (%s): fix it and bring the lab up (pulumi up --stack %s) first; "+
			"if a chaoslab run was killed during it, from any checkout: chaoslab run --stack %s --recover",
			s.LastKind, s.Name, s.LastResult, stamp(s.LastEnd), s.Name, s.Name)
	case s.Resources == 0:
		return r.failf(ExitSetup, "stack %s has no resources: bring the lab up first (make up STACK=%s)", s.Name, s.Name)
	}
	r.out.say("stack %s is up: last %s %s at %s, %d resources", s.Name, s.LastKind, s.LastResult, stamp(s.LastEnd), s.Resources)
	return 0, true
}

// lockStack takes the run lock before the config is read, and refuses when a killed run left work undone.
func (r *run) lockStack(ctx context.Context) (int, bool) {
	file, err := lockStackFile(r.stack.ConfigFile, r.stack.Name, r.record())
	var busy *errBusy
	if errors.As(err, &busy) {
		return r.failf(ExitSetup, "%v", busy)
	}
	if err != nil {
		return r.failf(ExitSetup, "locking %s: %v", r.stack.ConfigFile, err)
	}
	r.file = file
	prev, err := file.unfinished()
	if err != nil {
		return r.failf(ExitSetup, "%v", err)
	}
	if prev != nil {
		return r.failf(ExitSetup, "an earlier run on stack %s did not finish (%s): its scenarios may still be on and %s may "+
			"still hold its edits (the original is kept in %s).\nFinish it first: chaoslab run --stack %s --recover",
			r.stack.Name, prev, filepath.Base(r.stack.ConfigFile), file.journal, r.stack.Name)
	}
	if err := file.snapshot(); err != nil {
		return r.failf(ExitSetup, "reading %s: %v", r.stack.ConfigFile, err)
	}
	return 0, true
}

func (r *run) record() runRecord {
	host, _ := os.Hostname()
	return runRecord{Stack: r.o.Stack, PID: os.Getpid(), Host: host, Started: r.w.Clock.Now().UTC(), Scenarios: r.o.Scenarios,
		Switched: r.switched}
}

// planScenarios parses the config as it will read with the scenarios on, and refuses what would spoil the
// experiment or its verdict.
func (r *run) planScenarios(ctx context.Context) (int, bool) {
	cfg, err := r.engine.Config(ctx)
	if err != nil {
		return r.failf(ExitSetup, "reading the config of stack %s: %v", r.stack.Name, err)
	}
	base := filepath.Base(r.stack.ConfigFile)
	r.switched = originalSwitches(cfg, r.o.Scenarios)
	r.plan, r.ours, err = planRun(cfg, r.o.Scenarios, r.w.Parse, base)
	if ce, ok := err.(*configError); ok && ce.invalid {
		return r.failf(ExitInvalid, "%v", err)
	}
	if err != nil {
		return r.failf(ExitSetup, "%v", err)
	}
	var others []string
	for _, s := range r.plan.Enabled {
		if !slices.ContainsFunc(r.ours, func(o Scenario) bool { return o.Name == s.Name }) {
			others = append(others, s.Name)
		}
	}
	switch {
	case r.plan.Halt:
		return r.failf(ExitSetup, "chaos-mesh-otel:halt is true in %s: the scenarios would be created paused and nothing would run; set it to false first", base)
	case len(others) > 0:
		return r.failf(ExitSetup, "%s also enables %s: its faults would run during the experiment and spoil the verdict; switch it off first, or add it with --scenario",
			base, strings.Join(others, ", "))
	}
	for _, s := range r.ours {
		if s.Kind == KindFlag && r.o.For == 0 {
			return r.failf(ExitSetup, "--scenario %s is a flag fault, which does not end by itself: give --for, e.g. --for 5m", s.Name)
		}
		if s.Kind == KindSchedule && r.o.For == 0 && r.o.Runs == 0 {
			r.runs = 1 // one run of each Schedule, unless asked otherwise
		}
	}
	if r.o.Runs > 0 {
		r.runs = r.o.Runs
	}
	for _, s := range r.ours {
		r.out.say("scenario %s: %s%s", s.Name, describe(s), r.deadlineNote(s))
	}
	return 0, true
}

// deadlineNote says by when a scenario must strike.
func (r *run) deadlineNote(s Scenario) string {
	if d, ok := strikeDeadline(s, r.o.StrikeWithin, r.w.Clock.Now()); ok {
		return fmt.Sprintf("; it must strike within %s of being switched on", d)
	}
	return ""
}

func describe(s Scenario) string {
	switch s.Kind {
	case KindFlag:
		return fmt.Sprintf("flag fault on %s (a flagd override while it is on)", s.Target)
	case KindSchedule:
		if s.KickOff != "" {
			return fmt.Sprintf("%s on %s, Schedule %s (%s), whose first run is Workflow %s at switch-on", s.Fault, s.Target, s.Object, s.Schedule, s.KickOff)
		}
		return fmt.Sprintf("%s on %s, Schedule %s (%s)", s.Fault, s.Target, s.Object, s.Schedule)
	default:
		return fmt.Sprintf("%s on %s, one-shot Workflow %s", s.Fault, s.Target, s.Object)
	}
}

// checkCluster connects to the stack's cluster: the lab must be ready, no chaos may be running, and
// Prometheus must answer (a run that cannot be judged should not inject anything).
func (r *run) checkCluster(ctx context.Context) (int, bool) {
	var err error
	if r.cluster, err = r.w.Connect(r.plan); err != nil {
		return r.failf(ExitSetup, "cluster of stack %s: %v", r.stack.Name, err)
	}
	// A run from any checkout, live or killed, comes first: its chaos is not "someone else's".
	if held, err := r.cluster.ReadRun(ctx, r.o.Stack); err != nil {
		return r.failf(ExitSetup, "reading the run record on the cluster: %v", err)
	} else if held != nil {
		return r.refuseHeld(held)
	}
	problems, checked, err := r.awaitReady(ctx)
	if err != nil {
		return r.failf(ExitSetup, "cluster of stack %s not reachable: %v", r.stack.Name, err)
	}
	if len(problems) > 0 {
		return r.failf(ExitSetup, "the lab is not ready (%d of %d workloads), so a verdict would judge the wrong thing:\n  %s",
			len(problems), checked, strings.Join(problems, "\n  "))
	}
	objs, err := r.cluster.ChaosObjects(ctx)
	if err != nil {
		return r.failf(ExitSetup, "listing chaos objects: %v", err)
	}
	if len(objs) > 0 {
		return r.failf(ExitSetup, "chaos is already on the cluster; it would spoil the baseline and the verdict:\n  %s\n"+
			"switch those scenarios off first (or, if a killed run left them: chaoslab run --stack %s --recover)",
			strings.Join(objs, "\n  "), r.stack.Name)
	}
	r.out.say("lab ready: %d workloads ready, no chaos running", checked)
	url, closeProm, err := r.cluster.Prometheus(ctx, r.o.Prometheus)
	if err != nil {
		return r.failf(ExitUnknown, "cannot judge, so not starting: Prometheus: %v", err)
	}
	closeProm()
	r.out.say("Prometheus answers at %s", url)
	return 0, true
}

// A lab that was just brought up may still be starting a DaemonSet or two; a run gives it this long.
const (
	readyTimeout = 2 * time.Minute
	readyPoll    = 5 * time.Second
)

// awaitReady returns the workloads still not ready after readyTimeout (none when all are).
func (r *run) awaitReady(ctx context.Context) ([]string, int, error) {
	deadline := r.w.Clock.Now().Add(readyTimeout)
	problems, checked, err := r.cluster.Unready(ctx)
	for told := false; err == nil && len(problems) > 0 && r.w.Clock.Now().Before(deadline); told = true {
		if !told {
			r.out.say("waiting up to %s for %d workload(s) to be ready: %s", readyTimeout, len(problems), strings.Join(problems, "; "))
		}
		select {
		case <-r.w.Clock.After(readyPoll):
		case <-ctx.Done():
			return problems, checked, nil
		}
		problems, checked, err = r.cluster.Unready(ctx)
	}
	return problems, checked, err
}

// startWatch starts following the cluster. The watch outlives interrupts: it runs until the scenarios are off.
func (r *run) startWatch(context.Context) (int, bool) {
	beat, stop := context.WithCancel(context.Background())
	r.stopBeat = stop
	go r.beat(beat)
	r.track = newTracker(r.out, r.ours, r.runs)
	ctx, cancel := context.WithCancel(context.Background())
	r.stopWatch = cancel
	if err := r.cluster.Watch(ctx, r.track.observe); err != nil {
		return r.failf(ExitSetup, "watching the chaos objects: %v", err)
	}
	return 0, true
}

// experiment runs the experiment (runExperiment) and sends its trace.
func (r *run) experiment(ctx context.Context) int {
	code := r.runExperiment(ctx)
	endpoint, closeFwd := r.traceTarget(context.WithoutCancel(ctx))
	defer closeFwd()
	if endpoint != "" {
		r.exportTrace(ctx, endpoint, r.windows, code)
	}
	return code
}

// runExperiment switches on, watches, switches off and judges. Whatever happens after the first edit of the
// config, switch off runs before it returns.
func (r *run) runExperiment(ctx context.Context) int {
	defer r.restoreOnPanic()
	if err := r.file.begin(r.record()); err != nil {
		code, _ := r.failf(ExitSetup, "writing the run's journal: %v; nothing was changed", err)
		return code
	}
	onErr := r.switchOn(ctx)
	if onErr == nil && !r.intr.interrupted() {
		r.setPhase(ctx, PhaseWatching)
		why := r.watchUntilEnd(ctx)
		r.out.say("experiment over: %s", why)
	}
	r.noStrike = append(r.noStrike, failedInjections(r.track.strikes())...)
	if err := r.switchOff(ctx); err != nil {
		return r.leftBehind(err)
	}
	if onErr != nil {
		code, _ := r.failf(ExitSetup, "switching the scenarios on failed (they are off again): %v", onErr)
		return code
	}
	return r.judge(ctx)
}

// restoreOnPanic puts the config back if a panic escapes after the first edit; the journal stays, so that
// --recover can switch the scenarios off.
func (r *run) restoreOnPanic() {
	p := recover()
	if p == nil {
		return
	}
	if r.switchedOn {
		if err := r.file.restore(); err == nil {
			fmt.Fprintf(r.stderr, "chaoslab run: internal error; %s is restored, the scenarios may still be on: chaoslab run --stack %s --recover\n",
				filepath.Base(r.stack.ConfigFile), r.stack.Name)
		}
	}
	panic(p)
}

// watchUntilEnd waits for the experiment's end and says what ended it.
func (r *run) watchUntilEnd(ctx context.Context) string {
	wctx, done := r.intr.stoppable(ctx, "ending the experiment: switching the scenarios off")
	defer done()
	var deadline <-chan time.Time
	if r.o.For > 0 {
		timer := r.w.Clock.NewTimer(r.o.For)
		defer timer.Stop()
		deadline = timer.C()
	}
	r.out.say("watching: the experiment ends %s", r.endCondition())
	// A timer, not a ticker: the heartbeat is re-armed after each beat.
	heartbeat := r.w.Clock.NewTimer(heartbeatEvery)
	defer heartbeat.Stop()
	for {
		strikes := r.track.strikes()
		if missed := missedStrikes(strikes, r.o.StrikeWithin, r.started, r.w.Clock.Now()); len(missed) > 0 {
			r.noStrike = missed
			return "a scenario did not strike in time, so the experiment is void: " + strings.Join(missed, "; ")
		}
		if ended, why := r.track.ended(); ended {
			return why
		}
		var strikeCheck <-chan time.Time
		if next := nextStrikeDeadline(strikes, r.o.StrikeWithin, r.started, r.w.Clock.Now()); !next.IsZero() {
			strikeCheck = r.w.Clock.After(next.Sub(r.w.Clock.Now()) + time.Millisecond)
		}
		select {
		case <-r.track.changed:
		case <-strikeCheck:
		case <-deadline:
			return "--for " + r.o.For.String() + " is over"
		case <-wctx.Done():
			return "interrupted"
		case <-heartbeat.C():
			runs, injected, failed := r.track.counts()
			r.out.say("running for %s: %d run(s), %d injection(s), %d failure(s) so far",
				r.w.Clock.Since(r.started).Round(time.Second), runs, injected, failed)
			heartbeat.Reset(heartbeatEvery)
		}
	}
}

// heartbeatEvery is how often a quiet experiment says that it is still running.
const heartbeatEvery = time.Minute

func (r *run) endCondition() string {
	var parts []string
	for _, s := range r.ours {
		switch {
		case s.Kind == KindWorkflow:
			parts = append(parts, "when Workflow "+s.Object+" finishes")
		case s.Kind == KindSchedule && r.runs > 0:
			parts = append(parts, fmt.Sprintf("when Schedule %s has run %d time(s)", s.Object, r.runs))
		}
	}
	if r.o.For > 0 {
		parts = append(parts, fmt.Sprintf("after --for %s at the latest (%s)", r.o.For, stamp(r.w.Clock.Now().Add(r.o.For))))
	}
	return strings.Join(parts, ", ") + ", or on Ctrl-C"
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return t.UTC().Format(time.RFC3339)
}
