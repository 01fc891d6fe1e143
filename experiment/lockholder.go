package experiment

import (
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

// liveLockHolder returns the pid of the process of this machine that holds the stack's lock and still
// runs, from a failed update's error. A run killed with kill -9 during its update leaves its Pulumi CLI
// behind, which finishes the update alone and then releases the lock: that is worth waiting for. A lock of
// a dead process, or of another machine, is not (pulumi cancel clears it).
func liveLockHolder(err error) (int, bool) {
	if !stackLocked(err) {
		return 0, false
	}
	m := lockOwner.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, false
	}
	pid, convErr := strconv.Atoi(m[2])
	host, hostErr := os.Hostname()
	if convErr != nil || hostErr != nil || m[1] != host || pid <= 0 || !processExists(pid) {
		return 0, false
	}
	return pid, true
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
