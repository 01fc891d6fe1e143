//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/yaml"
)

// The real node: a kubelet and kube-proxy (built from the control plane's module and version), Debian's
// containerd and runc, and the CNI bridge, on this machine beside the kwok node. Its pods run.
const (
	RealNodeName = "real-node-0"
	// RealNodeIP is the bridge's address: the node's InternalIP, where the kubelet listens, and the pods'
	// gateway. The kernel has no dummy links, and the kubelet must not listen on the machine's own address.
	RealNodeIP      = "10.244.0.1"
	realNodePodCIDR = "10.244.0.0/24"
	realNodeBridge  = "chaoslab0"
	realNodeNetwork = "chaoslab"
	// serviceCIDR is kube-apiserver 1.33's default range (kwokctl sets none); pods route only there, so nothing
	// they send leaves the machine.
	serviceCIDR = "10.0.0.0/24"
	// RealNodeLabel marks the real node; only pods that select it, and tolerate its unschedulable taint, and
	// DaemonSet pods (which tolerate it by default) run there.
	RealNodeLabel = "chaoslab.io/node"
)

// NodeTools are the toolchain binaries that the real node and its images need.
var NodeTools = []string{"kubelet", "kube-proxy", "chaos-daemon"}

// WithRealNode prepares the control plane for a real node: the API server reaches kubelets with the cluster's
// admin certificate (for logs, exec and the kubelet's metrics through the API) at their InternalIP, and kwok
// fakes only the nodes annotated as its own, not the real one.
func WithRealNode() ClusterOption {
	return func(c *Cluster) {
		pki := c.pkiDir()
		c.extraArgs = append(c.extraArgs,
			"kube-apiserver=kubelet-client-certificate="+filepath.Join(pki, "admin.crt"),
			"kube-apiserver=kubelet-client-key="+filepath.Join(pki, "admin.key"),
			"kube-apiserver=kubelet-preferred-address-types=InternalIP",
			"kwok-controller=manage-all-nodes=false",
			"kwok-controller=manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		)
	}
}

// RealNode is a running kubelet node.
type RealNode struct {
	Name   string
	Dir    string
	Socket string // containerd's socket, alone in its directory (chaos-daemon mounts the directory)
	c      *Cluster
	bin    string

	before     hostState
	containerd *Process
	kubelet    *Process
	kubeProxy  *Process
	teardownMu sync.Once
	teardownE  error
}

// RealNodeSocket is where the node's containerd listens for a cluster: the lab's chaosSocketPath key points
// chaos-daemon there before the node starts.
func RealNodeSocket(c *Cluster) string { return filepath.Join(c.Dir, "node", "run", "containerd.sock") }

// StartRealNode starts the node on c (started WithRealNode) and waits until it is Ready. Whatever happens
// after this call, its teardown stops every process, removes its pods' processes, mounts, cgroups, network
// links and iptables chains, restores the sysctls it changed, and fails the test if the machine differs from
// before in any of those.
func StartRealNode(ctx context.Context, tb testing.TB, c *Cluster) *RealNode {
	tb.Helper()
	if err := checkNodeHost(); err != nil {
		tb.Fatal(err)
	}
	bin, err := ToolsBin(NodeTools...)
	if err != nil {
		tb.Fatal(err)
	}
	n := &RealNode{Name: RealNodeName, Dir: filepath.Join(c.Dir, "node"), Socket: RealNodeSocket(c), c: c, bin: bin}
	unlock := lockRealNode(tb)
	if n.before, err = snapshotHost(n.Dir); err != nil {
		unlock()
		tb.Fatal(err)
	}
	if leftovers := n.before.Cgroups; len(leftovers) > 0 {
		unlock()
		tb.Fatalf("kubepods cgroups exist before the node starts (%v): another kubelet runs here, or a killed run left them", leftovers)
	}
	untrack := untilCleanup(func() { _ = n.teardown(func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }) })
	tb.Cleanup(func() {
		if err := n.teardown(tb.Logf); err != nil {
			tb.Error(err)
		}
		untrack()
		unlock()
	})

	start := time.Now()
	for _, d := range []string{"run", "containerd", "cni/net.d", "cni/ipam", "kubelet/root", "kubelet/pki", "kubelet/pod-logs", "kube-proxy", "images"} {
		if err := os.MkdirAll(filepath.Join(n.Dir, d), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	if err := n.bridge(); err != nil {
		tb.Fatal(err)
	}
	n.startContainerd(tb)
	archives, err := nodeImages(ctx, bin, filepath.Join(n.Dir, "images"))
	if err != nil {
		tb.Fatalf("building the node's images: %v", err)
	}
	if err := importImages(ctx, n.Socket, archives); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("node images imported: %d archives (%s)", len(archives), time.Since(start).Round(time.Millisecond))
	n.startKubelet(ctx, tb)
	n.startKubeProxy(tb)
	tb.Logf("real node %s Ready in %s (containerd %s, kubelet and kube-proxy %s)", n.Name, time.Since(start).Round(time.Millisecond),
		n.Socket, KubeVersion())
	return n
}

// checkNodeHost says what this machine lacks for a real node: root, cgroup v1 with the controllers the
// kubelet needs, and the Debian programs (internal/testtool/tools.txt lists them; .ci/run installs them).
func checkNodeHost() error {
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root (containerd, the kubelet's cgroups, network namespaces and iptables)")
	}
	for _, ctrl := range []string{"cpu", "cpuacct", "cpuset", "memory", "pids", "devices", "freezer"} {
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", ctrl, "cgroup.procs")); err != nil {
			missing = append(missing, "the cgroup v1 controller "+ctrl+" at /sys/fs/cgroup/"+ctrl)
		}
	}
	look := func(what string) func(string, error) {
		return func(_ string, err error) {
			if err != nil {
				missing = append(missing, what)
			}
		}
	}
	look("containerd (apt: containerd)")(exec.LookPath("containerd"))
	look("ctr (apt: containerd)")(exec.LookPath("ctr"))
	look("runc (apt: runc)")(exec.LookPath("runc"))
	look("the CNI bridge plugin (apt: containernetworking-plugins)")(exec.LookPath("/usr/lib/cni/bridge"))
	look("the CNI host-local plugin (apt: containernetworking-plugins)")(exec.LookPath("/usr/lib/cni/host-local"))
	look("the CNI loopback plugin (apt: containernetworking-plugins)")(exec.LookPath("/usr/lib/cni/loopback"))
	look("ip (apt: iproute2)")(exec.LookPath("ip"))
	look("tc (apt: iproute2)")(exec.LookPath("tc"))
	look("iptables (apt: iptables)")(exec.LookPath("iptables"))
	look("iptables-save (apt: iptables)")(exec.LookPath("iptables-save"))
	look("ip6tables-save (apt: iptables)")(exec.LookPath("ip6tables-save"))
	look("xtables-legacy-multi (apt: iptables)")(exec.LookPath("xtables-legacy-multi"))
	look("ipset (apt: ipset)")(exec.LookPath("ipset"))
	look("stress-ng (apt: stress-ng)")(exec.LookPath("stress-ng"))
	look("nsenter (apt: util-linux)")(exec.LookPath("nsenter"))
	look("choom (apt: util-linux)")(exec.LookPath("choom"))
	look("gcc with a static libc (apt: build-essential)")(exec.LookPath("gcc"))
	look("ldd (apt: libc-bin)")(exec.LookPath("ldd"))
	if len(missing) > 0 {
		return fmt.Errorf("a real node needs, and this machine lacks:\n  %s\n(e2e/README.md, The real node)", strings.Join(missing, "\n  "))
	}
	return nil
}

// lockRealNode takes the machine-wide lock of real nodes: the bridge, the pod network, the kubepods cgroups
// and the kubelet's fixed paths exist once per machine. A second test binary waits its turn.
func lockRealNode(tb testing.TB) (unlock func()) {
	tb.Helper()
	f, err := os.OpenFile("/run/lock/chaoslab-real-node.lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Minute)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			tb.Fatalf("the real-node lock (another test's real node runs on this machine): %v", err)
		}
		time.Sleep(2 * time.Second)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }
}

// bridge creates the pods' bridge with the node's address; the CNI bridge plugin attaches each pod to it.
func (n *RealNode) bridge() error {
	for _, args := range [][]string{
		{"link", "add", realNodeBridge, "type", "bridge"},
		{"addr", "add", RealNodeIP + "/24", "dev", realNodeBridge},
		{"link", "set", realNodeBridge, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// containerdConfig keeps every path of containerd and runc under the node's directory, except the shims'
// sockets (/run/containerd/s, fixed in containerd 1.6).
func (n *RealNode) containerdConfig() string {
	d := func(p string) string { return filepath.Join(n.Dir, p) }
	return fmt.Sprintf(`version = 2
root = %q
state = %q
[grpc]
  address = %q
[plugins."io.containerd.internal.v1.opt"]
  path = %q
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  # This machine refuses a negative oom_score_adj, even to root: without the clamp runc fails every sandbox
  # (the kubelet asks -998 for them).
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_cdi = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = %q
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %q
`, d("containerd/root"), d("containerd/state"), n.Socket, d("containerd/opt"), SandboxImage, d("runc"), d("cni/net.d"))
}

// cniConfig: a bridge with host-local addresses from the pod CIDR and one route, to the Service CIDR. No
// default route and no masquerading: a pod reaches the node, the other pods and Services, nothing beyond.
func (n *RealNode) cniConfig() string {
	return fmt.Sprintf(`{
  "cniVersion": "1.0.0",
  "name": %q,
  "plugins": [{
    "type": "bridge", "bridge": %q, "isGateway": true, "ipMasq": false, "hairpinMode": true,
    "ipam": {"type": "host-local", "dataDir": %q,
             "ranges": [[{"subnet": %q, "gateway": %q}]],
             "routes": [{"dst": %q}]}
  }]
}
`, realNodeNetwork, realNodeBridge, filepath.Join(n.Dir, "cni/ipam"), realNodePodCIDR, RealNodeIP, serviceCIDR)
}

func (n *RealNode) startContainerd(tb testing.TB) {
	tb.Helper()
	conf := filepath.Join(n.Dir, "containerd", "config.toml")
	if err := os.WriteFile(conf, []byte(n.containerdConfig()), 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(n.Dir, "cni/net.d/10-chaoslab.conflist"), []byte(n.cniConfig()), 0o644); err != nil {
		tb.Fatal(err)
	}
	n.containerd = StartProcess(tb, n.c.Dir, "containerd", exec.Command("containerd", "--config", conf), nil)
	if err := waitFor(time.Minute, func() bool {
		return exec.Command("ctr", "--address", n.Socket, "version").Run() == nil
	}); err != nil {
		tb.Fatalf("containerd did not answer on %s: %v\n%s", n.Socket, err, n.containerd.Tail(4000))
	}
}

// kubeletConfig is the KubeletConfiguration (k8s.io/kubelet config/v1beta1). The kubelet listens on the
// bridge address only; its metrics (cAdvisor included) need a client certificate of the cluster's CA or a
// token, as on any cluster.
func (n *RealNode) kubeletConfig(healthzPort int) map[string]any {
	d := func(p string) string { return filepath.Join(n.Dir, p) }
	return map[string]any{
		"apiVersion":         "kubelet.config.k8s.io/v1beta1",
		"kind":               "KubeletConfiguration",
		"address":            RealNodeIP,
		"port":               10250,
		"readOnlyPort":       0,
		"healthzBindAddress": "127.0.0.1",
		"healthzPort":        healthzPort,
		"authentication": map[string]any{
			"anonymous": map[string]any{"enabled": false},
			"webhook":   map[string]any{"enabled": true},
			"x509":      map[string]any{"clientCAFile": filepath.Join(n.c.pkiDir(), "ca.crt")},
		},
		"authorization": map[string]any{"mode": "Webhook"},
		// No systemd is PID 1 here (cgroup v1, cgroupfs), and kubelet 1.33 only warns about cgroup v1.
		"cgroupDriver":             "cgroupfs",
		"failCgroupV1":             false,
		"failSwapOn":               false,
		"containerRuntimeEndpoint": "unix://" + n.Socket,
		"imageServiceEndpoint":     "unix://" + n.Socket,
		"podLogsDir":               d("kubelet/pod-logs"),
		"resolvConf":               d("kubelet/resolv.conf"),
		"clusterDomain":            "cluster.local",
		// The machine refuses negative scores (see the containerd config); 0 keeps the kubelet's log clean.
		"oomScoreAdj": 0,
		// The imported images cannot be pulled again: never collect them, and never evict for the shared
		// disk's fill level.
		"imageGCHighThresholdPercent": 100,
		"imageGCLowThresholdPercent":  99,
		"evictionHard": map[string]string{
			"memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%", "nodefs.inodesFree": "1%",
		},
		"serializeImagePulls":       false,
		"maxPods":                   30,
		"nodeStatusUpdateFrequency": "5s",
		"syncFrequency":             "10s",
	}
}

func (n *RealNode) startKubelet(ctx context.Context, tb testing.TB) {
	tb.Helper()
	kubeconfig := filepath.Join(n.Dir, "kubelet", "kubeconfig")
	if err := n.c.clientKubeconfig(kubeconfig, "system:node:"+n.Name, "system:nodes"); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(n.Dir, "kubelet", "resolv.conf"), []byte("nameserver 127.0.0.1\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	healthz := freeLoopbackAddr(tb)
	_, port, _ := net.SplitHostPort(healthz)
	var healthzPort int
	fmt.Sscan(port, &healthzPort)
	conf, err := yaml.Marshal(n.kubeletConfig(healthzPort))
	if err != nil {
		tb.Fatal(err)
	}
	confPath := filepath.Join(n.Dir, "kubelet", "config.yaml")
	if err := os.WriteFile(confPath, conf, 0o644); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(n.bin, "kubelet"),
		"--config", confPath,
		"--kubeconfig", kubeconfig,
		"--root-dir", filepath.Join(n.Dir, "kubelet", "root"),
		"--cert-dir", filepath.Join(n.Dir, "kubelet", "pki"),
		"--hostname-override", n.Name,
		"--node-ip", RealNodeIP,
		// Registered unschedulable: no pod lands here unless it tolerates that (DaemonSet pods do).
		"--register-schedulable=false",
		"--node-labels", RealNodeLabel+"=real",
		// cAdvisor's own flag: without it cAdvisor cannot read containerd's labels, and its series carry no
		// namespace, pod or container.
		"--containerd", n.Socket,
		"--v", "2",
	)
	n.kubelet = StartProcess(tb, n.c.Dir, "kubelet", cmd, nil)
	if err := n.kubelet.WaitListening(healthz, 2*time.Minute); err != nil {
		tb.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		node, err := n.c.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		return nodeReady(node), nil
	})
	if err != nil {
		tb.Fatalf("node %s not Ready: %v\n%s", n.Name, err, n.kubelet.Tail(6000))
	}
	// A drain before the processes stop (cleanups run newest first): the kubelet stops its pods itself, with
	// their networks torn down through CNI.
	tb.Cleanup(func() {
		if err := n.drain(); err != nil {
			tb.Logf("draining %s: %v (its containers are killed instead)", n.Name, err)
		}
	})
}

func nodeReady(node *corev1.Node) bool {
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// kubeProxyConfig is the KubeProxyConfiguration (k8s.io/kube-proxy config/v1alpha1): iptables mode (no IPVS
// in this kernel), NodePorts only on the bridge address, and the host's conntrack settings left alone.
func (n *RealNode) kubeProxyConfig(kubeconfig, healthz, metrics string) map[string]any {
	return map[string]any{
		"apiVersion":         "kubeproxy.config.k8s.io/v1alpha1",
		"kind":               "KubeProxyConfiguration",
		"clientConnection":   map[string]any{"kubeconfig": kubeconfig},
		"hostnameOverride":   n.Name,
		"mode":               "iptables",
		"clusterCIDR":        realNodePodCIDR,
		"bindAddress":        RealNodeIP,
		"healthzBindAddress": healthz,
		"metricsBindAddress": metrics,
		"nodePortAddresses":  []string{RealNodeIP + "/32"},
		"iptables":           map[string]any{"localhostNodePorts": false, "masqueradeAll": false, "syncPeriod": "5s", "minSyncPeriod": "0s"},
		"conntrack":          map[string]any{"maxPerCore": 0, "min": 0, "tcpEstablishedTimeout": "0s", "tcpCloseWaitTimeout": "0s"},
		"oomScoreAdj":        0,
	}
}

func (n *RealNode) startKubeProxy(tb testing.TB) {
	tb.Helper()
	kubeconfig := filepath.Join(n.Dir, "kube-proxy", "kubeconfig")
	if err := n.c.clientKubeconfig(kubeconfig, "system:kube-proxy"); err != nil {
		tb.Fatal(err)
	}
	healthz, metrics := freeLoopbackAddr(tb), freeLoopbackAddr(tb)
	conf, err := yaml.Marshal(n.kubeProxyConfig(kubeconfig, healthz, metrics))
	if err != nil {
		tb.Fatal(err)
	}
	confPath := filepath.Join(n.Dir, "kube-proxy", "config.yaml")
	if err := os.WriteFile(confPath, conf, 0o644); err != nil {
		tb.Fatal(err)
	}
	n.kubeProxy = StartProcess(tb, n.c.Dir, "kube-proxy", exec.Command(filepath.Join(n.bin, "kube-proxy"), "--config", confPath, "--v", "2"), nil)
	// healthz answers 200 once the first sync of the rules is done.
	if err := waitFor(2*time.Minute, func() bool {
		resp, err := http.Get("http://" + healthz + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}); err != nil {
		tb.Fatalf("kube-proxy not healthy: %v\n%s", err, n.kubeProxy.Tail(4000))
	}
}

// drain makes the kubelet stop every pod of the node: a NoExecute taint that no pod tolerates (the lab's
// chaos-daemon DaemonSet included) evicts them, and the DaemonSet controller starts none there again. It
// returns when containerd runs no container any more.
func (n *RealNode) drain() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	node, err := n.c.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	node.Spec.Taints = append(node.Spec.Taints, corev1.Taint{Key: "chaoslab.io/teardown", Effect: corev1.TaintEffectNoExecute})
	if _, err := n.c.Client.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{}); err != nil {
		return err
	}
	var running string
	err = wait.PollUntilContextTimeout(ctx, time.Second, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		out, err := exec.CommandContext(ctx, "ctr", "--address", n.Socket, "-n", "k8s.io", "tasks", "ls", "-q").Output()
		running = strings.TrimSpace(string(out))
		return err == nil && running == "", nil
	})
	if err != nil {
		return fmt.Errorf("containers still running: %q: %w", running, err)
	}
	return nil
}

// teardown puts the machine back as it was (once), after the processes have stopped (their cleanups ran
// first), and reports what differs from before.
func (n *RealNode) teardown(logf func(string, ...any)) error {
	n.teardownMu.Do(func() { n.teardownE = n.restoreHost(logf) })
	return n.teardownE
}

func (n *RealNode) restoreHost(logf func(string, ...any)) error {
	var errs []error
	for _, p := range []*Process{n.kubeProxy, n.kubelet, n.containerd} {
		if p != nil {
			_ = p.Stop()
		}
	}
	// Containers that the drain did not stop, then the shims (their command line names the socket).
	if err := killCgroupProcs(); err != nil {
		errs = append(errs, err)
	}
	for _, pid := range n.c.leftoverPIDs() {
		if ownedBy(pid, n.Socket) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if err := waitFor(10*time.Second, func() bool {
		for _, pid := range n.c.leftoverPIDs() {
			if ownedBy(pid, n.Socket) {
				return false
			}
		}
		return true
	}); err != nil {
		errs = append(errs, fmt.Errorf("containerd shims survived: %w", err))
	}
	if n.kubeProxy != nil {
		// It also tries nftables and IPVS, which this machine lacks, and then exits 1: what counts is the
		// comparison of the host's rules below.
		if err := exec.Command(filepath.Join(n.bin, "kube-proxy"), "--cleanup", "--v", "0").Run(); err != nil {
			logf("kube-proxy --cleanup: %v (no nft binary, no IPVS here; the host's iptables rules are compared below)", err)
		}
	}
	if err := n.before.unmountNew(); err != nil {
		errs = append(errs, err)
	}
	if err := killCgroupProcs(); err != nil {
		errs = append(errs, err)
	}
	if out, err := exec.Command("ip", "link", "del", realNodeBridge).CombinedOutput(); err != nil && !strings.Contains(string(out), "Cannot find device") {
		errs = append(errs, fmt.Errorf("ip link del %s: %w: %s", realNodeBridge, err, out))
	}
	if len(n.before.Rules["iptables-save"]) == 0 && len(n.before.Rules["ip6tables-save"]) == 0 {
		if err := removeKubeChains(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := n.before.restoreSysctls(); err != nil {
		errs = append(errs, err)
	}
	if err := n.before.removeCreatedPaths(realNodeNetwork); err != nil {
		errs = append(errs, err)
	}
	after, err := snapshotHost(n.Dir)
	if err != nil {
		errs = append(errs, err)
	} else if diff := n.before.diff(after); len(diff) > 0 {
		errs = append(errs, fmt.Errorf("the machine differs after the real node's teardown:\n  %s", strings.Join(diff, "\n  ")))
	} else {
		logf("real node %s torn down: sysctls, iptables (nft and legacy), links, mounts, cgroups and paths as before", n.Name)
	}
	return errors.Join(errs...)
}

// waitFor polls cond every 200 ms for up to d.
func waitFor(d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s", d)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil
}
