package experiment

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"time"
)

// lockOwner matches the owner in the Pulumi CLI's lock error: "... .json?no_tmp_dir=true: created by
// root@vm (pid 7492) at 2026-12-07T01:41:35Z".
var lockOwner = regexp.MustCompile(`created by [^@\s]*@(\S+) \(pid (\d+)\)`)

// How long a switch-off waits for a live Pulumi CLI that holds the stack's lock, and how often it looks.
const (
	lockHolderWait = 3 * time.Minute
	lockHolderPoll = time.Second
)

// lockHolder returns the pid of the process of this machine that holds the stack's lock, from a failed
// update's error, and whether it still runs. ok is false for a lock of another machine, or an error that
// names no holder.
func lockHolder(err error) (pid int, running, ok bool) {
	if !stackLocked(err) {
		return 0, false, false
	}
	m := lockOwner.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, false, false
	}
	pid, convErr := strconv.Atoi(m[2])
	host, hostErr := os.Hostname()
	if convErr != nil || hostErr != nil || m[1] != host || pid <= 0 {
		return 0, false, false
	}
	return pid, processExists(pid), true
}

// liveLockHolder returns the pid of the process of this machine that holds the stack's lock and still
// runs. A run killed with kill -9 during its update leaves its Pulumi CLI behind, which finishes the update
// alone and then releases the lock: that is worth waiting for.
func liveLockHolder(err error) (int, bool) {
	pid, running, ok := lockHolder(err)
	if !ok || !running {
		return 0, false
	}
	return pid, true
}

// clearDeadLock removes a lock left by a Pulumi CLI of this machine that has ended although its update did
// (it can die on its closed output pipe after it recorded the update and before it removed the lock), and
// says whether it did. A lock whose update is still marked in progress is left to the user: that update
// may have left pending operations.
func (r *run) clearDeadLock(ctx context.Context, err error) bool {
	pid, running, ok := lockHolder(err)
	if !ok || running {
		return false
	}
	info, ierr := r.engine.Inspect(ctx)
	if ierr != nil || info.LastResult == "in-progress" {
		return false
	}
	r.out.say("switch-off: the stack's lock was left by pid %d of this machine, which has ended after its %s %s; clearing it (pulumi cancel)",
		pid, info.LastKind, info.LastResult)
	if uerr := r.engine.Unlock(ctx); uerr != nil {
		r.out.say("switch-off: pulumi cancel: %v", uerr)
		return false
	}
	return true
}

// awaitLockHolder waits until the process that holds the stack's lock has ended, up to lockHolderWait, and
// says whether it did.
func (r *run) awaitLockHolder(pid int) bool {
	r.out.say("switch-off: the stack is locked by a Pulumi CLI that still runs (pid %d, a killed run's update finishing by itself); waiting up to %s for it to end",
		pid, lockHolderWait)
	deadline := r.w.Clock.Now().Add(lockHolderWait)
	for processExists(pid) {
		if r.w.Clock.Now().After(deadline) {
			r.out.say("switch-off: pid %d still holds the stack's lock after %s", pid, lockHolderWait)
			return false
		}
		<-r.w.Clock.After(lockHolderPoll)
	}
	r.out.say("switch-off: pid %d has ended; updating again", pid)
	return true
}
