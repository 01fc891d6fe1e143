//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
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

// FaultResidue lists what chaos-daemon's network and stress faults leave in the container's namespaces, read
// from this machine through nsenter: iptables rules and chains (legacy, the backend of the daemon's image),
// ipsets, qdiscs on the pod's interfaces other than the kernel's default, and stress processes. Empty when
// the container is clean.
func (ct Container) FaultResidue(ctx context.Context) ([]string, error) {
	var out []string
	net := fmt.Sprintf("--net=/proc/%d/ns/net", ct.PID)
	dump, err := exec.CommandContext(ctx, "nsenter", net, "xtables-legacy-multi", "iptables-save").Output()
	if err != nil {
		return nil, fmt.Errorf("iptables-save in %s: %w", ct.Pod, err)
	}
	for _, r := range iptablesRules(string(dump)) {
		out = append(out, "iptables: "+r)
	}
	sets, err := exec.CommandContext(ctx, "nsenter", net, "ipset", "list", "-name").Output()
	if err != nil {
		return nil, fmt.Errorf("ipset list in %s: %w", ct.Pod, err)
	}
	for _, s := range strings.Fields(string(sets)) {
		out = append(out, "ipset: "+s)
	}
	qdiscs, err := exec.CommandContext(ctx, "nsenter", net, "tc", "qdisc", "show").Output()
	if err != nil {
		return nil, fmt.Errorf("tc qdisc show in %s: %w", ct.Pod, err)
	}
	for _, q := range strings.Split(strings.TrimSpace(string(qdiscs)), "\n") {
		// A veth's and loopback's default is noqueue; anything else was added.
		if q != "" && !strings.HasPrefix(q, "qdisc noqueue 0: ") {
			out = append(out, "tc: "+q)
		}
	}
	procs, err := ct.stressProcesses()
	if err != nil {
		return nil, err
	}
	for _, p := range procs {
		out = append(out, "process: "+p)
	}
	return out, nil
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
