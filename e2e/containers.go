//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// A real container seen from this machine: its main process, what a fault leaves in its namespaces, and when
// it dies. These are the measurements of the data-plane test, taken on the container itself rather than read
// from Chaos Mesh's records.

// Container is one running container of a pod on the real node.
type Container struct {
	Pod, Name, ID string
	PID           int // its main process, in this machine's pid namespace
}

// containerOf finds the running container of a pod and its main process (containerd's task).
func (n *RealNode) containerOf(ctx context.Context, pod *corev1.Pod, name string) (Container, error) {
	for _, st := range pod.Status.ContainerStatuses {
		if st.Name != name || st.State.Running == nil {
			continue
		}
		id := strings.TrimPrefix(st.ContainerID, "containerd://")
		pid, err := n.taskPID(ctx, id)
		if err != nil {
			return Container{}, err
		}
		return Container{Pod: pod.Name, Name: name, ID: id, PID: pid}, nil
	}
	return Container{}, fmt.Errorf("pod %s has no running container %s: %v", pod.Name, name, pod.Status.ContainerStatuses)
}

// taskPID is the pid of a container's task, as `ctr tasks ls` lists it.
func (n *RealNode) taskPID(ctx context.Context, id string) (int, error) {
	out, err := exec.CommandContext(ctx, "ctr", "--address", n.Socket, "-n", "k8s.io", "tasks", "ls").Output()
	if err != nil {
		return 0, fmt.Errorf("ctr tasks ls: %w", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 3 && f[0] == id {
			return strconv.Atoi(f[1])
		}
	}
	return 0, fmt.Errorf("no task %s in containerd", id)
}

// Exe is the program the container's main process runs (the pause image's /pause during a pod failure).
func (ct Container) Exe() string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", ct.PID))
	return strings.SplitN(string(b), "\x00", 2)[0]
}

// Alive reports whether the container's main process still runs.
func (ct Container) Alive() bool { return alive(ct.PID) }

// DeathWatch records when a process stops existing, polling every 10 ms: the moment a kill lands.
type DeathWatch struct {
	mu   sync.Mutex
	died time.Time
	stop chan struct{}
}

// WatchDeath starts watching the container's main process.
func WatchDeath(ct Container) *DeathWatch {
	w := &DeathWatch{stop: make(chan struct{})}
	go func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case now := <-t.C:
				if !ct.Alive() {
					w.mu.Lock()
					w.died = now
					w.mu.Unlock()
					return
				}
			}
		}
	}()
	return w
}

// Died returns when the process was first seen gone (zero while it lives).
func (w *DeathWatch) Died() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.died
}

// Stop ends the watch.
func (w *DeathWatch) Stop() { close(w.stop) }

// FaultResidue lists what of chaos-daemon's network and stress faults is still in effect in the container's
// namespaces, read from this machine through nsenter: iptables rules that act on packets (DROP, CLASSIFY ...)
// in a chain that a built-in chain reaches (legacy iptables, the backend of the daemon's image), ipsets that
// such a rule matches, qdiscs on the pod's interfaces other than the kernel's default, and stress processes.
// Empty when nothing acts on the container. inert lists the rest of what a fault left: Chaos Mesh's recovery
// empties its CHAOS-INPUT and CHAOS-OUTPUT chains but keeps them, their jumps, the per-fault chains it no
// longer reaches and their ipsets (upstream's behaviour; they act on no packet).
func (ct Container) FaultResidue(ctx context.Context) (residue []string, err error) {
	residue, _, err = ct.faultState(ctx)
	return residue, err
}

// faultState is FaultResidue with the inert leftovers.
func (ct Container) faultState(ctx context.Context) (residue, inert []string, err error) {
	net := fmt.Sprintf("--net=/proc/%d/ns/net", ct.PID)
	dump, err := exec.CommandContext(ctx, "nsenter", net, "xtables-legacy-multi", "iptables-save").Output()
	if err != nil {
		return nil, nil, fmt.Errorf("iptables-save in %s: %w", ct.Pod, err)
	}
	active, other, matched := effectiveRules(string(dump))
	for _, r := range active {
		residue = append(residue, "iptables: "+r)
	}
	for _, r := range other {
		inert = append(inert, "iptables: "+r)
	}
	sets, err := exec.CommandContext(ctx, "nsenter", net, "ipset", "list", "-name").Output()
	if err != nil {
		return nil, nil, fmt.Errorf("ipset list in %s: %w", ct.Pod, err)
	}
	for _, s := range strings.Fields(string(sets)) {
		if matched[s] {
			residue = append(residue, "ipset: "+s)
		} else {
			inert = append(inert, "ipset: "+s)
		}
	}
	qdiscs, err := exec.CommandContext(ctx, "nsenter", net, "tc", "qdisc", "show").Output()
	if err != nil {
		return nil, nil, fmt.Errorf("tc qdisc show in %s: %w", ct.Pod, err)
	}
	for _, q := range strings.Split(strings.TrimSpace(string(qdiscs)), "\n") {
		// A veth's and loopback's default is noqueue; anything else was added.
		if q != "" && !strings.HasPrefix(q, "qdisc noqueue 0: ") {
			residue = append(residue, "tc: "+q)
		}
	}
	procs, err := ct.stressProcesses()
	if err != nil {
		return nil, nil, err
	}
	for _, p := range procs {
		residue = append(residue, "process: "+p)
	}
	return residue, inert, nil
}

// effectiveRules splits an iptables-save dump's rules into those that act on packets from a chain that a
// built-in chain reaches (through -j/-g jumps) and the rest (jumps, unreachable chains); matched are the
// ipsets that the acting rules match.
func effectiveRules(dump string) (active, other []string, matched map[string]bool) {
	type rule struct{ table, chain, line, target string }
	var rules []rule
	chains := map[string]bool{} // table/chain of every chain that is not built in
	table := ""
	for _, line := range strings.Split(dump, "\n") {
		switch {
		case strings.HasPrefix(line, "*"):
			table = line[1:]
		case strings.HasPrefix(line, ":"):
			if f := strings.Fields(line[1:]); len(f) >= 2 && f[1] == "-" {
				chains[table+"/"+f[0]] = true
			}
		case strings.HasPrefix(line, "-A "):
			f := strings.Fields(line)
			r := rule{table: table, chain: f[1], line: line}
			for i := 2; i+1 < len(f); i++ {
				if f[i] == "-j" || f[i] == "-g" {
					r.target = f[i+1]
				}
			}
			rules = append(rules, r)
		}
	}
	reached := map[string]bool{}
	var visit func(string)
	visit = func(tc string) {
		if reached[tc] {
			return
		}
		reached[tc] = true
		for _, r := range rules {
			if r.table+"/"+r.chain == tc && chains[r.table+"/"+r.target] {
				visit(r.table + "/" + r.target)
			}
		}
	}
	for _, r := range rules {
		if !chains[r.table+"/"+r.chain] {
			visit(r.table + "/" + r.chain)
		}
	}
	matched = map[string]bool{}
	for _, r := range rules {
		if reached[r.table+"/"+r.chain] && !chains[r.table+"/"+r.target] {
			active = append(active, r.table+" "+r.line)
			f := strings.Fields(r.line)
			for i := 0; i+1 < len(f); i++ {
				if f[i] == "--match-set" {
					matched[f[i+1]] = true
				}
			}
		} else {
			other = append(other, r.table+" "+r.line)
		}
	}
	for c := range chains {
		other = append(other, "chain "+c)
	}
	sort.Strings(active)
	sort.Strings(other)
	return active, other, matched
}

// stressPrograms are what chaos-daemon starts in a target's pid namespace for a StressChaos.
var stressPrograms = map[string]bool{"stress-ng": true, "memStress": true, "nsexec": true, "pause": true}

// stressProcesses lists the processes of the container's pid namespace that are stress programs (pause
// only when it is not the container's own main process, as during a pod failure).
func (ct Container) stressProcesses() ([]string, error) {
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", ct.PID))
	if err != nil {
		return nil, fmt.Errorf("pid namespace of %s: %w", ct.Pod, err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == ct.PID {
			continue
		}
		if other, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err != nil || other != ns {
			continue
		}
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if name := strings.TrimSpace(string(comm)); err == nil && stressPrograms[name] && alive(pid) {
			out = append(out, fmt.Sprintf("%s (pid %d)", name, pid))
		}
	}
	return out, nil
}

// CPUSeconds is the CPU time used so far by the container's cgroup (cgroup v1 cpuacct), which the stress
// processes join.
func (ct Container) CPUSeconds() (float64, error) {
	path, err := cgroupPath(ct.PID, "cpuacct")
	if err != nil {
		return 0, err
	}
	b, err := os.ReadFile("/sys/fs/cgroup/cpuacct" + path + "/cpuacct.usage")
	if err != nil {
		return 0, err
	}
	ns, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return float64(ns) / 1e9, err
}

// cgroupPath is the process's cgroup in a v1 hierarchy.
func cgroupPath(pid int, controller string) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) == 3 {
			for _, c := range strings.Split(f[1], ",") {
				if c == controller {
					return f[2], nil
				}
			}
		}
	}
	return "", fmt.Errorf("process %d is in no %s cgroup", pid, controller)
}
