//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// What a real node changes on this machine, and what its teardown puts back. The harness takes a snapshot
// before the node starts and compares after the teardown: every difference fails the test.

// hostSysctls are the settings that the node's programs change: the kubelet's kernel tunables
// (pkg/kubelet/cm/container_manager_linux.go, mode "modify"), the CNI bridge plugin's forwarding, and what
// kube-proxy may set (route_localnet, conntrack).
var hostSysctls = []string{
	"vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops",
	"kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes",
	"net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding", "net/ipv4/conf/all/route_localnet",
	"net/bridge/bridge-nf-call-iptables", "net/bridge/bridge-nf-call-ip6tables",
	"net/netfilter/nf_conntrack_max", "net/netfilter/nf_conntrack_tcp_timeout_established",
	"net/netfilter/nf_conntrack_tcp_timeout_close_wait",
}

// hostPaths are fixed paths that containerd, the kubelet or a hostPath volume create whatever their
// configuration says: the shims' sockets, the device-plugin socket, and /lib/modules (chaos-daemon's hostPath,
// missing on this kernel without modules).
var hostPaths = []string{"/run/containerd", "/var/lib/kubelet", "/lib/modules", "/opt/containerd", "/var/lib/cni", "/etc/cni"}

// cniCache is where containerd's CNI library keeps each sandbox's result, whatever the plugins' own dataDir;
// a sandbox that was never torn down through CNI leaves its file there (named <network>-<sandbox>-<interface>).
const cniCache = "/var/lib/cni/results"

// hostState is what the snapshot compares.
type hostState struct {
	Sysctls  map[string]string
	Paths    map[string]bool
	CNICache []string
	Links    []string
	Rules    map[string][]string // by iptables-save command: rules and non-builtin chains
	Cgroups  []string            // kubepods cgroups in every v1 hierarchy
	Mounts   []string            // mount points under the watched roots
	watchDir string
}

// iptablesSaves are the dumps compared: both address families, and both backends (Debian's default is nft;
// legacy is what the chaos-daemon image uses inside pods, and must not leak to the host).
var iptablesSaves = [][]string{
	{"iptables-save"}, {"ip6tables-save"},
	{"xtables-legacy-multi", "iptables-save"}, {"xtables-legacy-multi", "ip6tables-save"},
}

// snapshotHost reads the state; dir is the node's own directory, whose mounts are watched too.
func snapshotHost(dir string) (hostState, error) {
	s := hostState{Sysctls: map[string]string{}, Paths: map[string]bool{}, Rules: map[string][]string{}, watchDir: dir}
	for _, k := range hostSysctls {
		b, err := os.ReadFile(filepath.Join("/proc/sys", k))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return s, err
		}
		s.Sysctls[k] = strings.TrimSpace(string(b))
	}
	for _, p := range hostPaths {
		_, err := os.Lstat(p)
		s.Paths[p] = err == nil
	}
	out, err := exec.Command("ip", "-o", "link", "show").Output()
	if err != nil {
		return s, fmt.Errorf("ip link: %w", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			s.Links = append(s.Links, strings.TrimSuffix(strings.Split(f[1], "@")[0], ":"))
		}
	}
	sort.Strings(s.Links)
	for _, save := range iptablesSaves {
		out, err := exec.Command(save[0], save[1:]...).Output()
		if err != nil {
			return s, fmt.Errorf("%s: %w", strings.Join(save, " "), err)
		}
		s.Rules[strings.Join(save, " ")] = iptablesRules(string(out))
	}
	entries, _ := os.ReadDir(cniCache)
	for _, e := range entries {
		s.CNICache = append(s.CNICache, e.Name())
	}
	s.Cgroups = kubepodsCgroups()
	s.Mounts = mountsUnder(s.mountRoots()...)
	return s, nil
}

// mountRoots are where the node's mounts go: its own directory, and the fixed paths of containerd, the
// kubelet and network namespaces.
func (s hostState) mountRoots() []string {
	return []string{s.watchDir, "/run/containerd", "/var/lib/kubelet", "/run/netns"}
}

// diff lists what differs from the snapshot before, one line each.
func (before hostState) diff(after hostState) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(before.Sysctls)) {
		if after.Sysctls[k] != before.Sysctls[k] {
			out = append(out, fmt.Sprintf("sysctl %s is %q, was %q", k, after.Sysctls[k], before.Sysctls[k]))
		}
	}
	for _, p := range hostPaths {
		if after.Paths[p] != before.Paths[p] {
			out = append(out, fmt.Sprintf("%s exists: %v, before: %v", p, after.Paths[p], before.Paths[p]))
		}
	}
	if !slices.Equal(after.CNICache, before.CNICache) {
		out = append(out, fmt.Sprintf("%s holds %v, before %v", cniCache, after.CNICache, before.CNICache))
	}
	if !slices.Equal(after.Links, before.Links) {
		out = append(out, fmt.Sprintf("network links %v, before %v", after.Links, before.Links))
	}
	for _, save := range slices.Sorted(maps.Keys(before.Rules)) {
		if !slices.Equal(after.Rules[save], before.Rules[save]) {
			out = append(out, fmt.Sprintf("%s: %v, before %v", save, after.Rules[save], before.Rules[save]))
		}
	}
	if !slices.Equal(after.Cgroups, before.Cgroups) {
		out = append(out, fmt.Sprintf("kubepods cgroups %v, before %v", after.Cgroups, before.Cgroups))
	}
	if !slices.Equal(after.Mounts, before.Mounts) {
		out = append(out, fmt.Sprintf("mounts %v, before %v", after.Mounts, before.Mounts))
	}
	return out
}

// iptablesRules keeps what an iptables-save dump says beyond empty tables: each rule, each chain that is not
// built in, and each built-in chain whose policy is not ACCEPT, with the table they belong to.
func iptablesRules(dump string) []string {
	var out []string
	table := ""
	for _, line := range strings.Split(dump, "\n") {
		switch {
		case strings.HasPrefix(line, "*"):
			table = line[1:]
		case strings.HasPrefix(line, "-A "):
			out = append(out, table+" "+line)
		case strings.HasPrefix(line, ":"):
			f := strings.Fields(line[1:])
			if len(f) >= 2 && f[1] != "ACCEPT" {
				out = append(out, table+" :"+f[0]+" "+f[1])
			}
		}
	}
	sort.Strings(out)
	return out
}

// cgroupHierarchies are the mounted cgroup hierarchies: the v1 ones (cpu, memory, pids ...) and, on a hybrid
// host like this one, the unified v2 one, where runc creates each container's cgroup too.
func cgroupHierarchies() []string {
	var out []string
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if ok && (strings.HasPrefix(post, "cgroup ") || strings.HasPrefix(post, "cgroup2 ")) {
			out = append(out, strings.Fields(pre)[4])
		}
	}
	return out
}

// kubepodsCgroups lists the kubelet's cgroup trees: /kubepods in every hierarchy (cgroupfs driver, the
// default cgroup root).
func kubepodsCgroups() []string {
	var out []string
	for _, h := range cgroupHierarchies() {
		if _, err := os.Stat(filepath.Join(h, "kubepods")); err == nil {
			out = append(out, filepath.Join(h, "kubepods"))
		}
	}
	sort.Strings(out)
	return out
}

// mountsUnder lists the mount points under the roots, deepest first (the order to unmount them in).
func mountsUnder(roots ...string) []string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := unescapeMountinfo(f[4])
		for _, r := range roots {
			if r != "" && (mp == r || strings.HasPrefix(mp, r+"/")) && !seen[mp] {
				seen[mp] = true
				out = append(out, mp)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := strings.Count(out[i], "/"), strings.Count(out[j], "/"); a != b {
			return a > b
		}
		return out[i] < out[j]
	})
	return out
}

// unescapeMountinfo decodes mountinfo's octal escapes (\040 for a space).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unmountNew unmounts every mount point under the watched roots that was not there before, deepest first; a
// busy one is detached.
func (before hostState) unmountNew() error {
	var errs []error
	for _, mp := range mountsUnder(before.mountRoots()...) {
		if slices.Contains(before.Mounts, mp) {
			continue
		}
		if err := syscall.Unmount(mp, 0); err != nil {
			if err := syscall.Unmount(mp, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) {
				errs = append(errs, fmt.Errorf("umount %s: %w", mp, err))
			}
		}
	}
	return errors.Join(errs...)
}

// killCgroupProcs kills every process left in the kubepods cgroups (a container whose shim is gone keeps
// running otherwise) and removes the cgroups, innermost first.
func killCgroupProcs() error {
	var errs []error
	for _, root := range kubepodsCgroups() {
		var dirs []string
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for _, d := range dirs {
			b, _ := os.ReadFile(filepath.Join(d, "cgroup.procs"))
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		slices.Reverse(dirs)
		for _, d := range dirs {
			var err error
			// A killed process leaves its cgroup a moment later.
			for range 50 {
				if err = syscall.Rmdir(d); err == nil || errors.Is(err, fs.ErrNotExist) {
					err = nil
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("rmdir %s: %w", d, err))
			}
		}
	}
	return errors.Join(errs...)
}

// removeKubeChains deletes what the kubelet and kube-proxy leave in the host's iptables (both families, nft
// backend): the jumps from built-in chains to KUBE-* chains, then those chains. Only called when the host had
// none before the node started.
func removeKubeChains() error {
	var errs []error
	for _, ipt := range []string{"iptables", "ip6tables"} {
		out, err := exec.Command(ipt + "-save").Output()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var restore bytes.Buffer
		table := ""
		var chains []string
		for _, line := range strings.Split(string(out), "\n") {
			switch {
			case strings.HasPrefix(line, "*"):
				if table != "" {
					flushChains(&restore, table, chains)
				}
				table, chains = line[1:], nil
			case strings.HasPrefix(line, ":KUBE-"):
				chains = append(chains, strings.Fields(line[1:])[0])
			case strings.HasPrefix(line, "-A ") && strings.Contains(line, " -j KUBE-") && !strings.HasPrefix(line, "-A KUBE-"):
				fmt.Fprintf(&restore, "*%s\n-D%s\nCOMMIT\n", table, line[2:])
			}
		}
		if table != "" {
			flushChains(&restore, table, chains)
		}
		if restore.Len() == 0 {
			continue
		}
		cmd := exec.Command(ipt+"-restore", "--noflush")
		cmd.Stdin = &restore
		if out, err := cmd.CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("%s-restore: %w: %s\n%s", ipt, err, out, restore.String()))
		}
	}
	return errors.Join(errs...)
}

// flushChains writes a restore block that empties then deletes the chains of a table.
func flushChains(w *bytes.Buffer, table string, chains []string) {
	if len(chains) == 0 {
		return
	}
	fmt.Fprintf(w, "*%s\n", table)
	for _, c := range chains {
		fmt.Fprintf(w, "-F %s\n", c)
	}
	for _, c := range chains {
		fmt.Fprintf(w, "-X %s\n", c)
	}
	fmt.Fprintln(w, "COMMIT")
}

// restoreSysctls writes back every setting that changed.
func (before hostState) restoreSysctls() error {
	var errs []error
	for k, v := range before.Sysctls {
		p := filepath.Join("/proc/sys", k)
		if b, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(b)) != v {
			if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
				errs = append(errs, fmt.Errorf("sysctl %s=%s: %w", k, v, err))
			}
		}
	}
	return errors.Join(errs...)
}

// removeCreatedPaths removes the fixed paths that did not exist before the node, with what is under them
// (after the mounts under them are gone), and the CNI results of the node's network.
func (before hostState) removeCreatedPaths(network string) error {
	var errs []error
	entries, _ := os.ReadDir(cniCache)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), network+"-") && !slices.Contains(before.CNICache, e.Name()) {
			errs = append(errs, os.Remove(filepath.Join(cniCache, e.Name())))
		}
	}
	for _, p := range hostPaths {
		if before.Paths[p] {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
