package experiment

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// switchOffRetries are the pauses before each new attempt at switching the scenarios off.
var switchOffRetries = []time.Duration{10 * time.Second, 30 * time.Second}

// Chaos Mesh removes a chaos object only once it has recovered its targets; the run waits this long for it.
const (
	leftoverTimeout = 2 * time.Minute
	leftoverPoll    = 2 * time.Second
)

func (r *run) names() []string {
	names := make([]string, len(r.ours))
	for i, s := range r.ours {
		names[i] = s.Name
	}
	return names
}

// switchOn edits the config and runs the update; an interrupt lets the update finish.
func (r *run) switchOn(ctx context.Context) error {
	r.intr.unstoppable("the update that switches the scenarios on finishes first; then they are switched off again")
	bg := context.WithoutCancel(ctx)
	r.out.say("switch-on: %s in %s", strings.Join(r.names(), ", "), filepath.Base(r.stack.ConfigFile))
	r.switchedOn = true // before the edit: even a half-done edit is undone
	r.times.switchOnStart = r.w.Clock.Now()
	defer func() { r.times.switchOnEnd = r.w.Clock.Now() }()
	if err := r.engine.Switch(bg, r.names(), true); err != nil {
		return fmt.Errorf("editing %s: %w", filepath.Base(r.stack.ConfigFile), err)
	}
	r.file.noteWritten()
	if err := r.file.recordWritten(); err != nil {
		r.out.say("could not note the run's edit in its journal: %v", err)
	}
	if err := r.update(bg, "switch-on"); err != nil {
		return err
	}
	r.started = r.w.Clock.Now()
	return nil
}

// update runs one update, printing each change and keeping the engine's output in the --out directory.
func (r *run) update(ctx context.Context, label string) error {
	logPath := filepath.Join(r.o.OutDir, "pulumi-"+label+".log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	start := r.w.Clock.Now()
	r.out.say("%s: updating stack %s (engine output: %s)", label, r.stack.Name, logPath)
	res, err := r.engine.Update(ctx, log, func(c Change) {
		r.out.say("%s: %s %s %s", label, c.Op, shortType(c.Type), c.Name)
	})
	took := r.w.Clock.Since(start).Round(time.Second)
	if err != nil {
		r.out.say("%s: update failed after %s: %s", label, took, firstLine(err.Error()))
		return fmt.Errorf("%s update: %w (engine output: %s)", label, err, logPath)
	}
	r.out.say("%s: update done in %s (%s)", label, took, summarize(res.Changes))
	return nil
}

// shortType keeps the kind of a resource type token (kubernetes:chaos-mesh.org/v1alpha1:Schedule → Schedule).
func shortType(t string) string { return t[strings.LastIndex(t, ":")+1:] }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

func summarize(changes map[string]int) string {
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(changes)) {
		if op != "same" && changes[op] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", op, changes[op]))
		}
	}
	if len(parts) == 0 {
		return "no changes"
	}
	return strings.Join(parts, ", ")
}

// switchOff switches the scenarios off and updates, retrying; then gives the config file back (byte for byte,
// or, when someone edited it meanwhile, with only the run's keys reverted and their edits kept, also when
// every attempt failed) and waits until Chaos Mesh has removed every chaos object. An interrupt changes
// nothing here.
func (r *run) switchOff(ctx context.Context) error {
	file := filepath.Base(r.file.path)
	r.intr.unstoppable(fmt.Sprintf("already switching the scenarios off and restoring %s; this finishes by itself", file))
	bg := context.WithoutCancel(ctx)
	if r.track != nil {
		r.track.startSwitchOff()
	}
	r.setPhase(bg, PhaseSwitchingOff)
	r.times.switchOffStart = r.w.Clock.Now()
	defer func() { r.times.switchOffEnd = r.w.Clock.Now() }()
	// Decided once: the file's bytes are given back only when nobody else has edited it.
	r.keepEdits = r.file.editedByOthers()
	r.out.say("switch-off: %s", strings.Join(r.names(), ", "))
	attempts := len(switchOffRetries) + 1
	var err error
	for attempt := 1; attempt <= attempts; attempt++ {
		if attempt > 1 {
			pause := switchOffRetries[attempt-2]
			r.out.say("switch-off: trying again in %s (attempt %d of %d)", pause, attempt, attempts)
			<-r.w.Clock.After(pause)
		}
		if err = r.switchOffOnce(bg); err == nil {
			break
		}
		if pid, live := liveLockHolder(err); (live && r.awaitLockHolder(pid)) || (!live && r.clearDeadLock(bg, err)) {
			if err = r.switchOffOnce(bg); err == nil {
				break
			}
		}
		if r.o.Recover && stackLocked(err) {
			break // the lock of a killed update does not go away by waiting
		}
	}
	r.flagOff = r.w.Clock.Now()
	if rerr := r.giveFileBack(bg); rerr != nil {
		err = errors.Join(err, rerr)
	}
	if err != nil {
		return err
	}
	if r.o.Recover {
		r.deleteUntracked(bg)
	}
	if err := r.awaitNoChaos(bg); err != nil {
		return err
	}
	r.stopWatch()
	r.releaseLedger(bg)
	if err := r.file.end(); err != nil {
		r.out.say("removing the run's journal: %v", err)
	}
	return nil
}

// giveFileBack leaves the config file as the user had it: byte for byte when nobody else touched it,
// else their version with only the run's keys reverted.
func (r *run) giveFileBack(ctx context.Context) error {
	file := filepath.Base(r.file.path)
	if r.keepEdits {
		if err := r.engine.Revert(ctx, r.switched); err != nil {
			r.out.say("could not revert the run's keys in %s: %v", file, err)
			return err
		}
		r.out.say("%s was edited during the run by someone else: kept their edits, reverted only %s", file, switchKeys(r.switched))
		return nil
	}
	if err := r.file.restore(); err != nil {
		r.out.say("could not restore %s: %v; its original bytes are in %s", file, err, r.file.journal)
		return err
	}
	r.out.say("restored %s: byte-identical to before the run", file)
	return nil
}

// stackLocked says whether an update failed because another update holds the stack's lock.
func stackLocked(err error) bool {
	return err != nil && strings.Contains(err.Error(), "currently locked")
}

// switchKeys names the keys that a revert sets back.
func switchKeys(switches []Switch) string {
	keys := make([]string, len(switches))
	for i, sw := range switches {
		keys[i] = "scenarios." + sw.Scenario + ".enabled"
	}
	return strings.Join(keys, ", ")
}

// switchOffOnce starts from the user's own config, so that the update changes nothing but the switches: the
// file as it was before the run, or, when someone edited it meanwhile, their version with the run's keys
// reverted.
func (r *run) switchOffOnce(ctx context.Context) error {
	if r.keepEdits {
		if err := r.engine.Revert(ctx, r.switched); err != nil {
			return fmt.Errorf("reverting the run's keys in %s: %w", filepath.Base(r.file.path), err)
		}
		r.file.noteWritten()
		return r.update(ctx, "switch-off")
	}
	if err := r.file.restore(); err != nil {
		return fmt.Errorf("restoring %s: %w", r.file.path, err)
	}
	if err := r.engine.Switch(ctx, r.names(), false); err != nil {
		return fmt.Errorf("editing %s: %w", filepath.Base(r.file.path), err)
	}
	r.file.noteWritten()
	return r.update(ctx, "switch-off")
}

// deleteUntracked removes the run's Schedules and Workflows that the switch-off update left on the cluster
// although it succeeded: an update killed with its Pulumi CLI can create an object and die before the
// stack's state records it, so no later update knows to delete it. Only the run's own objects, by name, and
// only in a recovery.
func (r *run) deleteUntracked(ctx context.Context) {
	if r.cluster == nil {
		return
	}
	var objects []string
	for _, s := range r.ours {
		if s.Object != "" {
			objects = append(objects, s.Kind+"/"+s.Object)
		}
		if s.KickOff != "" {
			objects = append(objects, KindWorkflow+"/"+s.KickOff)
		}
	}
	if len(objects) == 0 {
		return
	}
	deleted, err := r.cluster.DeleteUntracked(ctx, objects)
	if err != nil {
		r.out.say("could not delete the run's objects that Pulumi does not track: %v", err)
	}
	for _, obj := range deleted {
		r.out.say("deleted %s: the killed update had created it without recording it in the stack's state, so no update could delete it", obj)
	}
}

// awaitNoChaos waits until no chaos object is left in the shop namespace (the run started with none).
func (r *run) awaitNoChaos(ctx context.Context) error {
	if r.cluster == nil {
		r.out.say("cluster not reachable: cannot check that no chaos object is left")
		return nil
	}
	deadline := r.w.Clock.Now().Add(leftoverTimeout)
	told := false
	for {
		left, err := r.cluster.ChaosObjects(ctx)
		if err == nil && len(left) == 0 {
			r.out.say("no chaos object left on the cluster")
			return nil
		}
		if r.w.Clock.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("cannot list the chaos objects left: %w", err)
			}
			return fmt.Errorf("still on the cluster %s after the switch-off: %s", leftoverTimeout, strings.Join(left, ", "))
		}
		if !told && err == nil {
			r.out.say("waiting for Chaos Mesh to recover and remove %d object(s): %s", len(left), strings.Join(left, ", "))
			told = true
		}
		<-r.w.Clock.After(leftoverPoll)
	}
}

// leftBehind tells the user exactly what could not be switched off and how to remove it.
func (r *run) leftBehind(cause error) int {
	r.abandonLedger(context.Background())
	e := r.stderr
	fmt.Fprintf(e, "chaoslab run: the scenarios could not be switched off: %v\n", cause)
	if stackLocked(cause) {
		fmt.Fprintf(e, "The stack is locked by an update that never finished (a run, or its Pulumi CLI, was killed during it). Once no "+
			"pulumi process works on stack %s, clear the lock with `pulumi cancel --stack %s --yes` (and, if Pulumi then reports pending "+
			"operations, `pulumi refresh --stack %s --clear-pending-creates --yes`), then run chaoslab run --stack %s --recover again.\n",
			r.stack.Name, r.stack.Name, r.stack.Name, r.stack.Name)
	}
	if r.cluster != nil {
		left, err := r.cluster.ChaosObjects(context.Background())
		switch {
		case err != nil:
			fmt.Fprintf(e, "What is left on the cluster could not be listed: %v\n", err)
		case len(left) == 0:
			fmt.Fprintln(e, "No chaos object is on the cluster now, but the stack's state may still hold them.")
		default:
			fmt.Fprintf(e, "Left on the cluster:\n  %s\n", strings.Join(left, "\n  "))
		}
	}
	fmt.Fprintf(e, "%s is restored as it was before the run. To remove what is left:\n", filepath.Base(r.file.path))
	fmt.Fprintf(e, "  chaoslab run --stack %s --recover --dir %s   (switches %s off and updates again)\n",
		r.stack.Name, r.o.Dir, strings.Join(r.names(), ", "))
	fmt.Fprintf(e, "If the stack cannot be updated, delete the objects (Chaos Mesh recovers the faults), then let Pulumi forget them:\n")
	ns := r.plan.ShopNamespace
	if ns == "" {
		ns = "<the shop's namespace>"
	}
	for _, s := range r.ours {
		if s.Object != "" {
			fmt.Fprintf(e, "  kubectl -n %s delete %s %s\n", ns, strings.ToLower(s.Kind), s.Object)
		}
		if s.Kind == KindFlag {
			fmt.Fprintf(e, "  (flag %s: it is off once an update with %s as it is succeeds)\n", s.Name, filepath.Base(r.file.path))
		}
	}
	fmt.Fprintf(e, "  pulumi refresh --stack %s --yes\n", r.stack.Name)
	return ExitChaosLeft
}

// recoverRun finishes a run that was killed, from any checkout: it finds the run in this checkout's journal
// and in the record on the cluster, switches its scenarios off, and gives the config file back (byte for
// byte when the journal is this checkout's and nobody edited the file since, else with only the run's keys
// reverted).
func (r *run) recoverRun(ctx context.Context) int {
	if code, ok := r.openStackForRecovery(ctx); !ok {
		return code
	}
	file, err := lockStackFile(r.stack.ConfigFile, r.stack.Name, r.record())
	if err != nil {
		code, _ := r.failf(ExitSetup, "%v", err)
		return code
	}
	r.file = file
	local, err := file.unfinished()
	if err != nil {
		code, _ := r.failf(ExitSetup, "%v", err)
		return code
	}
	r.plan = &Plan{}
	r.connectForRecovery(ctx)
	held, code, ok := r.recordToRecover(ctx)
	if !ok {
		return code
	}
	if local == nil && held == nil {
		r.out.say("nothing to recover: no unfinished run on stack %s (in this checkout's journal or on the cluster)", r.stack.Name)
		return ExitOK
	}
	r.adoptUnfinished(local, held)
	if err := r.switchOff(ctx); err != nil {
		return r.leftBehind(err)
	}
	r.out.say("recovered: the scenarios are off and %s is as it was", filepath.Base(r.file.path))
	return ExitOK
}

// openStackForRecovery opens the stack as openStack does, but goes on after a failed update (a run killed
// during its switch-on leaves one); an update still marked in progress needs the user to clear it first.
func (r *run) openStackForRecovery(ctx context.Context) (int, bool) {
	if err := r.openEngine(ctx); err != nil {
		return r.failf(ExitSetup, "stack %s: %v", r.o.Stack, err)
	}
	if r.stack.LastResult == "in-progress" {
		return r.failf(ExitSetup, "the last %s of stack %s is still marked in progress: the run that started it was killed, "+
			"or a pulumi command still works on the stack. Once none does, clear the stack's lock with `pulumi cancel --stack %s --yes` "+
			"(and, if Pulumi then says that operations are pending, `pulumi refresh --stack %s --clear-pending-creates --yes`), "+
			"then run chaoslab run --stack %s --recover again", r.stack.LastKind, r.stack.Name, r.stack.Name, r.stack.Name, r.stack.Name)
	}
	if r.stack.LastResult != "" && r.stack.LastResult != "succeeded" {
		r.out.say("the last %s of stack %s %s (%s), as a run killed during an update leaves it; recovering anyway",
			r.stack.LastKind, r.stack.Name, r.stack.LastResult, stamp(r.stack.LastEnd))
	}
	return 0, true
}

// recordToRecover reads the run's record on the cluster; a live run (its heartbeat fresh) is not for
// --recover to touch.
func (r *run) recordToRecover(ctx context.Context) (*ClusterRecord, int, bool) {
	if r.cluster == nil {
		return nil, 0, true
	}
	held, err := r.cluster.ReadRun(ctx, r.o.Stack)
	if err != nil {
		r.out.say("cannot read the run record on the cluster (%v); recovering from this checkout's journal", firstLine(err.Error()))
		return nil, 0, true
	}
	if held != nil && held.live(r.w.Clock.Now()) {
		code, _ := r.failf(ExitSetup, "a chaoslab run is live on stack %s: %s; --recover is for a run that was killed", r.o.Stack, held)
		return nil, code, false
	}
	return held, 0, true
}

// adoptUnfinished takes over what the killed run left: its scenarios, the keys it set, and the file's
// original bytes when the journal is this checkout's.
func (r *run) adoptUnfinished(local *runRecord, held *ClusterRecord) {
	var scenarios []string
	switch {
	case local != nil:
		r.out.say("recovering the run of %s (this checkout's journal)", local)
		r.file.adopt(local)
		scenarios, r.switched = local.Scenarios, local.Switched
	default:
		r.out.say("recovering the run of %s (from the cluster: it ran from another checkout, so this checkout's %s only has its scenarios switched off)",
			held, filepath.Base(r.file.path))
		if err := r.file.snapshot(); err != nil {
			r.out.say("reading %s: %v", r.file.path, err)
		}
		scenarios, r.switched = held.Scenarios, held.Switched
	}
	if held != nil {
		r.claimed = true // released once nothing is left
	}
	r.ours = nil
	for _, name := range scenarios {
		r.ours = append(r.ours, Scenario{Name: name})
	}
	r.resolveObjects()
}

// connectForRecovery reaches the cluster from the user's own config, to read the run's record and see that
// nothing is left; a recovery from this checkout's journal goes on without it.
func (r *run) connectForRecovery(ctx context.Context) {
	cfg, err := r.engine.Config(ctx)
	if err == nil {
		var plan *Plan
		if plan, err = r.w.Parse(lookupWith(cfg, switched(mustEntries(cfg), nil, true))); err == nil {
			r.plan = plan
			r.cluster, err = r.w.Connect(plan)
		}
	}
	if err != nil {
		r.out.say("cannot reach the cluster (%v); going on without checking what is left on it", firstLine(err.Error()))
		return
	}
	r.cfg = cfg
}

// resolveObjects names each scenario's object, for the hints if the switch-off fails again.
func (r *run) resolveObjects() {
	if r.cfg == nil {
		return
	}
	for i, s := range r.ours {
		alone, err := r.w.Parse(lookupWith(r.cfg, switched(mustEntries(r.cfg), []string{s.Name}, true)))
		if err != nil {
			continue
		}
		if j := slices.IndexFunc(alone.Enabled, func(e Scenario) bool { return e.Name == s.Name }); j >= 0 {
			r.ours[i] = alone.Enabled[j]
		}
	}
}

func mustEntries(cfg map[string]string) map[string]any {
	entries, _ := scenarioEntries(cfg[configKeyScenarios])
	return entries
}
