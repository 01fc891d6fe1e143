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
	if err := r.engine.Switch(bg, r.names(), true); err != nil {
		return fmt.Errorf("editing %s: %w", filepath.Base(r.stack.ConfigFile), err)
	}
	r.file.noteWritten()
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

// switchOff switches the scenarios off and updates, retrying; then restores the config file byte for byte
// (also when every attempt failed) and waits until Chaos Mesh has removed every chaos object. An interrupt
// changes nothing here.
func (r *run) switchOff(ctx context.Context) error {
	file := filepath.Base(r.file.path)
	r.intr.unstoppable(fmt.Sprintf("already switching the scenarios off and restoring %s; this finishes by itself", file))
	bg := context.WithoutCancel(ctx)
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
	}
	r.flagOff = r.w.Clock.Now()
	if kept, rerr := r.file.restore(r.w.Clock.Now()); rerr != nil {
		r.out.say("could not restore %s: %v; its original bytes are in %s", file, rerr, r.file.journal)
		err = errors.Join(err, rerr)
	} else {
		r.out.say("restored %s: byte-identical to before the run", file)
		if kept != "" {
			r.out.say("%s was edited during the run by someone else; that version is kept in %s", file, kept)
		}
	}
	if err != nil {
		return err
	}
	if err := r.awaitNoChaos(bg); err != nil {
		return err
	}
	r.stopWatch()
	if err := r.file.end(); err != nil {
		r.out.say("removing the run's journal: %v", err)
	}
	return nil
}

// switchOffOnce starts from the user's own config, so that the update changes nothing but the switches.
func (r *run) switchOffOnce(ctx context.Context) error {
	if _, err := r.file.restore(r.w.Clock.Now()); err != nil {
		return fmt.Errorf("restoring %s: %w", r.file.path, err)
	}
	if err := r.engine.Switch(ctx, r.names(), false); err != nil {
		return fmt.Errorf("editing %s: %w", filepath.Base(r.file.path), err)
	}
	r.file.noteWritten()
	return r.update(ctx, "switch-off")
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
	e := r.stderr
	fmt.Fprintf(e, "chaoslab run: the scenarios could not be switched off: %v\n", cause)
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

// recoverRun finishes a run that was killed: from its journal, it switches its scenarios off and restores
// the config.
func (r *run) recoverRun(ctx context.Context) int {
	if code, ok := r.openStack(ctx); !ok {
		return code
	}
	file, err := lockStackFile(r.stack.ConfigFile, r.stack.Name, r.record())
	if err != nil {
		code, _ := r.failf(ExitSetup, "%v", err)
		return code
	}
	r.file = file
	prev, err := file.unfinished()
	if err != nil || prev == nil {
		if err == nil {
			r.out.say("nothing to recover: no unfinished run on stack %s", r.stack.Name)
			return ExitOK
		}
		code, _ := r.failf(ExitSetup, "%v", err)
		return code
	}
	r.out.say("recovering the run of %s", prev)
	file.adopt(prev)
	for _, name := range prev.Scenarios {
		r.ours = append(r.ours, Scenario{Name: name})
	}
	r.plan = &Plan{}
	r.connectForRecovery(ctx)
	if err := r.switchOff(ctx); err != nil {
		return r.leftBehind(err)
	}
	r.out.say("recovered: the scenarios are off and %s is as it was", filepath.Base(r.file.path))
	return ExitOK
}

// connectForRecovery reaches the cluster from the user's own config, to see that nothing is left; a recovery
// goes on without it.
func (r *run) connectForRecovery(ctx context.Context) {
	if _, err := r.file.restore(r.w.Clock.Now()); err != nil {
		r.out.say("restoring %s: %v", r.file.path, err)
		return
	}
	cfg, err := r.engine.Config(ctx)
	if err == nil {
		var plan *Plan
		if plan, err = r.w.Parse(lookupWith(cfg, mustEntries(cfg))); err == nil {
			r.plan = plan
			r.cluster, err = r.w.Connect(plan)
		}
	}
	if err != nil {
		r.out.say("cannot reach the cluster (%v); going on without checking what is left on it", firstLine(err.Error()))
		return
	}
	// The objects' names, for the hints if the switch-off fails again.
	for i, s := range r.ours {
		alone, err := r.w.Parse(lookupWith(cfg, switched(mustEntries(cfg), []string{s.Name}, true)))
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
