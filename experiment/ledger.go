package experiment

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"syscall"
	"time"
)

// The run record on the cluster (the ledger) makes a run visible from every checkout of the stack: a second
// run from any of them is refused while one is live, and --recover from any of them can finish a run that
// was killed. The local journal beside the stack file (stackfile.go) keeps what only the checkout that ran
// can use: the file's original bytes.

// ClusterRecord is what a run keeps on the cluster while it may have chaos on: a ConfigMap in the app's
// namespace, one per stack.
type ClusterRecord struct {
	Stack     string    `json:"stack"`
	Scenarios []string  `json:"scenarios"`
	Switched  []Switch  `json:"switched"` // the keys the run set, with their values before it
	Host      string    `json:"host"`
	PID       int       `json:"pid"`
	User      string    `json:"user,omitempty"`
	Dir       string    `json:"dir"` // the checkout the run was started from
	Started   time.Time `json:"started"`
	Phase     string    `json:"phase"`
	Heartbeat time.Time `json:"heartbeat"`
}

// Switch is one scenario's enabled key as the run found it before switching it on, so that a recovery
// reverts that key, and only that key.
type Switch struct {
	Scenario string `json:"scenario"`
	// Entry says whether the config held an entry for the scenario at all; Set whether it set enabled, and
	// Enabled its value then.
	Entry   bool `json:"entry"`
	Set     bool `json:"set"`
	Enabled bool `json:"enabled"`
}

// The phases that a record goes through.
const (
	PhaseSwitchingOn  = "switching-on"
	PhaseWatching     = "watching"
	PhaseSwitchingOff = "switching-off"
	// PhaseLeftBehind is a run that ended with chaos still on: it renews nothing, so --recover may take it
	// over at once.
	PhaseLeftBehind = "ended-with-chaos-left"
)

// heartbeatEvery is how often a live run renews its record; a record whose heartbeat is older than
// staleAfter belongs to a run that died.
const (
	ledgerHeartbeat = 10 * time.Second
	staleAfter      = 45 * time.Second
)

// live says whether the record's run is alive, as far as its phase and heartbeat tell at now, and, for a
// run of this machine, whether its process still exists (a run killed here is dead at once, not after
// staleAfter).
func (c ClusterRecord) live(now time.Time) bool {
	if c.Phase == PhaseLeftBehind || now.Sub(c.Heartbeat) >= staleAfter {
		return false
	}
	if host, err := os.Hostname(); err == nil && host == c.Host && c.PID > 0 {
		return processExists(c.PID)
	}
	return true
}

// processExists says whether a process of this machine with that pid exists (signal 0 reaches it).
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func (c ClusterRecord) String() string {
	who := fmt.Sprintf("pid %d on %s", c.PID, c.Host)
	if c.User != "" {
		who = c.User + ", " + who
	}
	return fmt.Sprintf("%s (%s), started %s from %s, scenarios %s, phase %s, last heartbeat %s", c.Stack, who,
		stamp(c.Started), c.Dir, strings.Join(c.Scenarios, ", "), c.Phase, stamp(c.Heartbeat))
}

// ledgerRecord is this run's record.
func (r *run) ledgerRecord(phase string) ClusterRecord {
	host, _ := os.Hostname()
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return ClusterRecord{Stack: r.o.Stack, Scenarios: r.names(), Switched: r.switched, Host: host, PID: os.Getpid(), User: name,
		Dir: r.o.Dir, Started: r.began, Phase: phase, Heartbeat: r.w.Clock.Now().UTC()}
}

// claimLedger records the run on the cluster, or refuses when a record is there: a live run from some
// checkout, or one that was killed and must be recovered first.
func (r *run) claimLedger(ctx context.Context) (int, bool) {
	held, err := r.cluster.ClaimRun(ctx, r.ledgerRecord(PhaseSwitchingOn))
	switch {
	case err != nil:
		return r.failf(ExitSetup, "recording the run on the cluster: %v", err)
	case held == nil:
		r.claimed = true
		return 0, true
	}
	return r.refuseHeld(held)
}

// refuseHeld refuses a run because the stack has a run record: a live run, or one that was killed.
func (r *run) refuseHeld(held *ClusterRecord) (int, bool) {
	if held.live(r.w.Clock.Now()) {
		return r.failf(ExitSetup, "another chaoslab run is in progress on stack %s: %s; wait for it to finish", r.o.Stack, held)
	}
	return r.failf(ExitSetup, "an earlier run on stack %s did not finish: %s; its scenarios may still be on.\n"+
		"Finish it first, from any checkout: chaoslab run --stack %s --recover", r.o.Stack, held, r.o.Stack)
}

// beat renews the run's record with its phase until ctx ends; a failure is said once, and the run goes on
// (the local lock still guards this checkout). It ticks in wall time, whatever the run's clock: liveness is
// judged by other processes, on other machines.
func (r *run) beat(ctx context.Context) {
	told := false
	ticker := time.NewTicker(ledgerHeartbeat)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if err := r.cluster.UpdateRun(ctx, r.ledgerRecord(r.phase())); err != nil && !told && ctx.Err() == nil {
			r.out.say("could not renew the run's record on the cluster: %v", err)
			told = true
		}
	}
}

// setPhase records the run's phase on the cluster at once (the heartbeat repeats it).
func (r *run) setPhase(ctx context.Context, phase string) {
	r.mu.Lock()
	r.currentPhase = phase
	r.mu.Unlock()
	if r.claimed {
		if err := r.cluster.UpdateRun(ctx, r.ledgerRecord(phase)); err != nil {
			r.out.say("could not record the phase %s on the cluster: %v", phase, err)
		}
	}
}

func (r *run) phase() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.currentPhase
}

// abandonLedger marks the run's record as ended with chaos left, for --recover from any checkout.
func (r *run) abandonLedger(ctx context.Context) {
	if !r.claimed || r.cluster == nil {
		return
	}
	r.stopBeat()
	if err := r.cluster.UpdateRun(ctx, r.ledgerRecord(PhaseLeftBehind)); err != nil {
		r.out.say("could not mark the run's record on the cluster as ended: %v", err)
	}
}

// releaseLedger removes the run's record once nothing of it is left on the cluster.
func (r *run) releaseLedger(ctx context.Context) {
	if !r.claimed || r.cluster == nil {
		return
	}
	r.stopBeat()
	if err := r.cluster.ReleaseRun(ctx, r.o.Stack); err != nil {
		r.out.say("removing the run's record from the cluster: %v", err)
		return
	}
	r.claimed = false
}
