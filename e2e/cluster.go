//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

// The lab's laptop target: one node of this size decides honestly whether the lab fits.
const (
	NodeName   = "kwok-node-0"
	NodeCPU    = "4"
	NodeMemory = "8Gi"
	NodePods   = "110"
)

// Cluster is a control plane started by kwokctl (binary runtime) on loopback in its own temp dir.
type Cluster struct {
	Name       string
	Dir        string // temp dir: kwok workdir, config, kubeconfig, logs
	Kubeconfig string
	Bin        string // toolchain bin dir

	Config  *rest.Config
	Client  kubernetes.Interface
	Dynamic dynamic.Interface

	workdir  string
	webhooks bool
	// extraArgs are flags of the components (component=flag=value), from options such as WithRealNode.
	extraArgs []string
}

// ClusterOption changes how StartCluster starts the control plane.
type ClusterOption func(*Cluster)

// WithAdmissionWebhooks keeps the API server's MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins
// on. Only a cluster whose webhooks all have a server on this machine can use it: the Chaos Mesh controller
// test routes Chaos Mesh's webhook configurations to the controller it runs (see RouteChaosMeshWebhooks).
func WithAdmissionWebhooks() ClusterOption { return func(c *Cluster) { c.webhooks = true } }

// StartCluster starts a cluster and registers its cleanup with tb: whatever happens after this call (a failed
// assertion, a panic in the test), the cluster is deleted and no process of it survives.
func StartCluster(tb testing.TB, bin string, opts ...ClusterOption) *Cluster {
	tb.Helper()
	dir, err := os.MkdirTemp("", "chaoslab-e2e-")
	if err != nil {
		tb.Fatal(err)
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	c := &Cluster{
		Name:       "e2e-" + hex.EncodeToString(suffix),
		Dir:        dir,
		Kubeconfig: filepath.Join(dir, "kubeconfig"),
		Bin:        bin,
		workdir:    filepath.Join(dir, "kwok"),
	}
	for _, opt := range opts {
		opt(c)
	}
	untrack := untilCleanup(func() {
		if err := c.stop(func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		if os.Getenv("E2E_KEEP_DIR") == "" {
			_ = os.RemoveAll(dir)
		}
	})
	tb.Cleanup(func() {
		c.Stop(tb)
		untrack()
		if os.Getenv("E2E_KEEP_DIR") == "" {
			_ = os.RemoveAll(dir)
		} else {
			tb.Logf("kept %s", dir)
		}
	})

	start := time.Now()
	if err := c.create(); err != nil {
		c.dumpLogs(tb)
		tb.Fatalf("create cluster: %v", err)
	}
	if err := c.connect(); err != nil {
		tb.Fatalf("connect: %v", err)
	}
	if err := c.addNode(context.Background()); err != nil {
		c.dumpLogs(tb)
		tb.Fatalf("register node: %v", err)
	}
	if err := c.waitDefaultServiceAccount(context.Background()); err != nil {
		c.dumpLogs(tb)
		tb.Fatalf("default ServiceAccount: %v", err)
	}
	tb.Logf("cluster %s ready in %s (kubeconfig %s)", c.Name, time.Since(start).Round(time.Millisecond), c.Kubeconfig)
	return c
}

// kwokctl runs kwokctl against this cluster's private workdir and config.
func (c *Cluster) kwokctl(ctx context.Context, args ...string) ([]byte, error) {
	full := append([]string{"--name", c.Name, "--config", filepath.Join(c.Dir, "kwokctl.yaml")}, args...)
	cmd := exec.CommandContext(ctx, filepath.Join(c.Bin, "kwokctl"), full...)
	cmd.Env = append(os.Environ(), "KWOK_WORKDIR="+c.workdir, "KUBECONFIG="+c.Kubeconfig)
	if kubectl := filepath.Join(c.Bin, "kubectl"); fileExists(kubectl) {
		cmd.Env = append(cmd.Env, "KWOK_KUBECTL_BINARY="+kubectl)
	}
	// Own process group, so that a Ctrl-C of the test run reaches kwokctl only through our cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

func (c *Cluster) create() error {
	// Every component binds to loopback; ports are left to kwokctl, which picks free ones.
	conf := `kind: KwokctlConfiguration
apiVersion: config.kwok.x-k8s.io/v1alpha1
options:
  bindAddress: 127.0.0.1
  kubeVersion: ` + KubeVersion() + `
  disableQPSLimits: true
` + componentsPatches(c.extraArgs)
	if err := os.WriteFile(filepath.Join(c.Dir, "kwokctl.yaml"), []byte(conf), 0o600); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := []string{"create", "cluster",
		"--runtime", "binary",
		"--etcd-binary", filepath.Join(c.Bin, "etcd"),
		"--kube-apiserver-binary", filepath.Join(c.Bin, "kube-apiserver"),
		"--kube-controller-manager-binary", filepath.Join(c.Bin, "kube-controller-manager"),
		"--kube-scheduler-binary", filepath.Join(c.Bin, "kube-scheduler"),
		"--kwok-controller-binary", filepath.Join(c.Bin, "kwok"),
		"--kubeconfig", c.Kubeconfig,
		"--wait", "2m",
	}
	if !c.webhooks {
		// No pod of a kwok node really runs, so no admission webhook (Chaos Mesh's) can answer. Worse, the
		// apiserver would dial the webhook Service's address off this machine. Admission webhooks are off,
		// and every other admission plugin stays on (LimitRanger matters for the footprint). The real CRD
		// schemas still validate every object.
		args = append(args, "--extra-args", "kube-apiserver=disable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook")
	}
	out, err := c.kwokctl(ctx, args...)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, out)
	}
	return nil
}

// componentsPatches renders flags of the components (component=flag=value) as kwokctl.yaml's
// componentsPatches: kwokctl 0.7's --extra-args files the flags of a second component under the wrong one.
func componentsPatches(args []string) string {
	if len(args) == 0 {
		return ""
	}
	type flag struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	type patch struct {
		Name      string `json:"name"`
		ExtraArgs []flag `json:"extraArgs"`
	}
	var patches []patch
	for _, a := range args {
		parts := strings.SplitN(a, "=", 3)
		i := slices.IndexFunc(patches, func(p patch) bool { return p.Name == parts[0] })
		if i < 0 {
			patches = append(patches, patch{Name: parts[0]})
			i = len(patches) - 1
		}
		patches[i].ExtraArgs = append(patches[i].ExtraArgs, flag{Key: parts[1], Value: parts[2]})
	}
	out, _ := yaml.Marshal(map[string]any{"componentsPatches": patches})
	return string(out)
}

// KubeVersion is the version of the built control plane (kept in step with e2e/tools/build.sh).
func KubeVersion() string {
	if v := os.Getenv("E2E_KUBE_VERSION"); v != "" {
		return v
	}
	return "v1.33.13"
}

func (c *Cluster) connect() error {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 200, 400
	c.Config = cfg
	if c.Client, err = kubernetes.NewForConfig(cfg); err != nil {
		return err
	}
	c.Dynamic, err = dynamic.NewForConfig(cfg)
	return err
}

// waitDefaultServiceAccount waits until the controller-manager has made the default namespace's ServiceAccount:
// until then the API server refuses every pod created there directly ("serviceaccount \"default\" not found").
func (c *Cluster) waitDefaultServiceAccount(ctx context.Context) error {
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := c.Client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
}

// addNode registers the one kwok node (4 CPU, 8 GiB) and waits until kwok reports it Ready.
func (c *Cluster) addNode(ctx context.Context) error {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(NodeCPU),
		corev1.ResourceMemory: resource.MustParse(NodeMemory),
		corev1.ResourcePods:   resource.MustParse(NodePods),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: NodeName,
			Annotations: map[string]string{
				"kwok.x-k8s.io/node":           "fake",
				"node.alpha.kubernetes.io/ttl": "0",
			},
			Labels: map[string]string{
				"kubernetes.io/hostname": NodeName,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
				"type":                   "kwok",
			},
		},
		Status: corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: capacity,
			NodeInfo: corev1.NodeSystemInfo{
				Architecture:     "amd64",
				OperatingSystem:  "linux",
				KubeletVersion:   KubeVersion(),
				KubeProxyVersion: KubeVersion(),
			},
		},
	}
	if _, err := c.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		return err
	}
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
}

// Stop deletes the cluster with kwokctl, then kills by pid whatever process of it is still alive: the pids
// kwokctl recorded, and any process whose command line names this cluster's private temp dir.
func (c *Cluster) Stop(tb testing.TB) {
	if err := c.stop(tb.Logf); err != nil {
		tb.Error(err)
	}
}

func (c *Cluster) stop(logf func(string, ...any)) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := c.kwokctl(ctx, "delete", "cluster"); err != nil {
		logf("kwokctl delete cluster: %v\n%s", err, out)
	}
	for _, pid := range c.leftoverPIDs() {
		logf("killing leftover process %d", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(c.leftoverPIDs()) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if left := c.leftoverPIDs(); len(left) > 0 {
		return fmt.Errorf("processes of cluster %s survived teardown: %v", c.Name, left)
	}
	return nil
}

// The test framework runs cleanups after a failure or a panic, but a Ctrl-C or a kill of the test binary
// ends it at once, and the control plane's processes (kwokctl starts them detached) would outlive it. So
// what must not outlive a run registers here, and the first SIGINT, SIGTERM or SIGHUP runs it all (newest
// first, as cleanups run) before exiting.
var (
	onInterrupt   = map[int]func(){}
	onInterruptID int
	onInterruptMu sync.Mutex
	onSignalOnce  sync.Once
)

// untilCleanup runs stop if the test binary is interrupted before the returned func is called.
func untilCleanup(stop func()) (done func()) {
	onSignalOnce.Do(func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		go func() {
			sig := <-signals
			fmt.Fprintf(os.Stderr, "e2e: %v: tearing down\n", sig)
			onInterruptMu.Lock()
			ids := slices.Sorted(maps.Keys(onInterrupt))
			slices.Reverse(ids)
			for _, id := range ids {
				onInterrupt[id]()
			}
			os.Exit(2)
		}()
	})
	onInterruptMu.Lock()
	defer onInterruptMu.Unlock()
	onInterruptID++
	id := onInterruptID
	onInterrupt[id] = stop
	return func() {
		onInterruptMu.Lock()
		delete(onInterrupt, id)
		onInterruptMu.Unlock()
	}
}

// leftoverPIDs lists live processes that belong to this cluster.
func (c *Cluster) leftoverPIDs() []int {
	seen := map[int]bool{}
	var pids []int
	add := func(pid int) {
		if pid > 1 && pid != os.Getpid() && !seen[pid] && alive(pid) {
			seen[pid] = true
			pids = append(pids, pid)
		}
	}
	files, _ := filepath.Glob(filepath.Join(c.workdir, "clusters", c.Name, "pids", "*.pid"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && ownedBy(pid, c.Dir) {
			add(pid)
		}
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ownedBy(pid, c.Dir) {
			add(pid)
		}
	}
	return pids
}

// ownedBy reports whether the process's command line names dir (our unique temp dir).
func ownedBy(pid int, dir string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	return bytes.Contains(b, []byte(dir))
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// A zombie (state Z) is already dead; its parent reaps it.
	if i := bytes.LastIndexByte(b, ')'); i > 0 && i+2 < len(b) && b[i+2] == 'Z' {
		return false
	}
	return true
}

// dumpLogs prints the tail of each component's log after a failure to start.
func (c *Cluster) dumpLogs(tb testing.TB) {
	logs, _ := filepath.Glob(filepath.Join(c.workdir, "clusters", c.Name, "logs", "*.log"))
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			continue
		}
		if len(b) > 3000 {
			b = b[len(b)-3000:]
		}
		tb.Logf("==> %s <==\n%s", filepath.Base(l), b)
	}
}

// NamespaceExists reports whether the namespace exists (in any phase).
func (c *Cluster) NamespaceExists(ctx context.Context, name string) (bool, error) {
	_, err := c.Client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
