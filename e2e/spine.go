//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/e2e/spineconf"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/wiring"
)

// The spine's binaries in the toolchain (e2e/tools/build.sh spine).
const (
	CollectorBinary   = "otelcol-validate"
	PrometheusBinary3 = "prometheus3"
	JaegerBinary      = "jaeger"
)

// SpineTools are the tools that TestSpine runs besides the cluster and the engine.
var SpineTools = []string{CollectorBinary, PrometheusBinary3, JaegerBinary}

// UseLoopbackPodIPs gives the cluster's node a podCIDR in 127.0.0.0/8, before any pod exists, so that kwok
// hands every pod a loopback address: a process standing in for a pod can then listen on that pod's own IP
// and ports, Prometheus' Kubernetes discovery finds it where the pod says it is, and the collector's
// k8sattributes processor finds a pod by the address its telemetry comes from. Linux routes the whole
// 127.0.0.0/8 to the loopback interface. Endpoints refuse loopback addresses, so Services get no endpoints
// on such a cluster (nothing here routes through one), and a lab whose Pulumi resources wait for a
// Service's endpoints (the SLO gate's) cannot come up on it: TestSpine turns the gate off.
func UseLoopbackPodIPs(ctx context.Context, tb testing.TB, c *Cluster) string {
	tb.Helper()
	b := make([]byte, 1)
	_, _ = rand.Read(b)
	// 127.100-227.0.0/16: one /16 per cluster, clear of 127.0.0.1 where the control plane listens.
	cidr := fmt.Sprintf("127.%d.0.0/16", 100+int(b[0])%128)
	patch := fmt.Sprintf(`{"spec":{"podCIDR":%q,"podCIDRs":[%q]}}`, cidr, cidr)
	if _, err := c.Client.CoreV1().Nodes().Patch(ctx, NodeName, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		tb.Fatalf("setting the node's podCIDR: %v", err)
	}
	tb.Logf("pods get addresses in %s", cidr)
	return cidr
}

// SpinePart is one part of the spine running as a process in place of its pod.
type SpinePart struct {
	*Process
	Pod       *corev1.Pod
	Container string // the container it stands in for
	PodIP     string
	LimitMi   int // the container's memory limit as the lab rendered it
	Changes   []spineconf.Change
}

// Spine is the lab's collector, Jaeger and Prometheus, each started from what the lab applied to the
// cluster: its ConfigMap, its Deployment's args, env and limits, its pod's IP.
type Spine struct {
	Collector, Jaeger, Prometheus *SpinePart
	PromURL                       string
	Prom                          promv1.API
	// JaegerQuery is the base of Jaeger's query API, with the lab's base path.
	JaegerQuery string
	// CollectorGRPC and CollectorHTTP are the OTLP endpoints that the shop's services send to.
	CollectorGRPC, CollectorHTTP string
}

// StartSpine starts the three parts for the lab that is up on c (whose node UseLoopbackPodIPs prepared),
// waits until each is ready, and stops them at the test's end.
func StartSpine(ctx context.Context, tb testing.TB, c *Cluster) *Spine {
	tb.Helper()
	objs, err := wiring.FromCluster(ctx, c.Kubeconfig)
	if err != nil {
		tb.Fatalf("reading the lab from the cluster: %v", err)
	}
	dir := filepath.Join(c.Dir, "spine")
	s := &Spine{}
	ns := components.ObservabilityNamespace

	// Jaeger first: the collector exports to it.
	jaegerPod, jaegerCtr := deploymentPod(ctx, tb, c, ns, components.JaegerService, components.JaegerService)
	s.Jaeger = &SpinePart{Pod: jaegerPod, Container: jaegerCtr.Name, PodIP: jaegerPod.Status.PodIP, LimitMi: limitMi(tb, jaegerCtr)}
	user := configMapData(tb, objs, spineconf.JaegerConfigMap, spineconf.JaegerConfigKey)
	jcfg, changes, err := spineconf.Jaeger(user, s.Jaeger.PodIP)
	if err != nil {
		tb.Fatalf("jaeger: %v", err)
	}
	jfile := writeFile(tb, filepath.Join(dir, "jaeger"), spineconf.JaegerConfigKey, jcfg)
	args, ch, err := spineconf.JaegerArgs(jaegerCtr.Args, jfile)
	if err != nil {
		tb.Fatal(err)
	}
	env, ech := spineconf.JaegerEnv(s.Jaeger.PodIP)
	s.Jaeger.Changes = append(changes, ch, ech)
	s.Jaeger.Process = startPart(tb, c, "jaeger", filepath.Join(c.Bin, JaegerBinary), args, envList(podEnv(tb, jaegerPod, jaegerCtr), env))
	s.JaegerQuery = fmt.Sprintf("http://%s:%d%s", s.Jaeger.PodIP, spineconf.JaegerQueryHTTPPort, components.JaegerBasePath)
	waitHTTP(tb, s.Jaeger.Process, s.JaegerQuery+"/api/services", time.Minute)

	colPod, colCtr := deploymentPod(ctx, tb, c, ns, components.CollectorService, "opentelemetry-collector")
	s.Collector = &SpinePart{Pod: colPod, Container: colCtr.Name, PodIP: colPod.Status.PodIP, LimitMi: limitMi(tb, colCtr)}
	relay, changes, err := spineconf.Collector(configMapData(tb, objs, components.CollectorService, wiring.CollectorConfigKey),
		spineconf.CollectorOut{JaegerOTLP: fmt.Sprintf("%s:%d", s.Jaeger.PodIP, components.JaegerOTLPGRPCPort), MemoryLimitMi: s.Collector.LimitMi})
	if err != nil {
		tb.Fatalf("collector: %v", err)
	}
	cfile := writeFile(tb, filepath.Join(dir, "collector"), "relay.yaml", relay)
	cenv, ech2, err := spineconf.CollectorEnv(podEnv(tb, colPod, colCtr), c.Kubeconfig)
	if err != nil {
		tb.Fatal(err)
	}
	s.Collector.Changes = append(append(changes, ech2...), spineconf.Change{Path: "args", From: strings.Join(colCtr.Args, " "),
		To: "--config=file:" + cfile, Why: "the ConfigMap's relay.yaml, rewritten"})
	s.Collector.Process = startPart(tb, c, "collector", filepath.Join(c.Bin, CollectorBinary), []string{"--config=file:" + cfile}, envList(cenv, nil))
	s.CollectorGRPC = fmt.Sprintf("%s:%d", s.Collector.PodIP, components.CollectorOTLPGRPCPort)
	s.CollectorHTTP = fmt.Sprintf("%s:%d", s.Collector.PodIP, components.CollectorOTLPHTTPPort)
	waitHTTP(tb, s.Collector.Process, fmt.Sprintf("http://%s:13133/", s.Collector.PodIP), time.Minute)

	promPod, promCtr := deploymentPod(ctx, tb, c, ns, components.PrometheusService, components.PrometheusService)
	s.Prometheus = &SpinePart{Pod: promPod, Container: promCtr.Name, PodIP: promPod.Status.PodIP, LimitMi: limitMi(tb, promCtr)}
	pdir := filepath.Join(dir, "prometheus")
	cm := objs.Get("ConfigMap", ns, components.PrometheusService)
	if cm == nil {
		tb.Fatalf("no ConfigMap %s/%s", ns, components.PrometheusService)
	}
	data, _ := cm.Object["data"].(map[string]any)
	for k, v := range data {
		writeFile(tb, pdir, k, fmt.Sprint(v))
	}
	pki := filepath.Join(c.workdir, "clusters", c.Name, "pki")
	promYML, changes, err := spineconf.Prometheus(fmt.Sprint(data["prometheus.yml"]), spineconf.PrometheusOut{
		Dir: pdir, PodIP: s.Prometheus.PodIP, Kubeconfig: c.Kubeconfig,
		Client: spineconf.ClientCert{CA: filepath.Join(pki, "ca.crt"), Cert: filepath.Join(pki, "admin.crt"), Key: filepath.Join(pki, "admin.key")},
	})
	if err != nil {
		tb.Fatalf("prometheus: %v", err)
	}
	pfile := writeFile(tb, pdir, "prometheus.yml", promYML)
	pargs, ach, err := spineconf.PrometheusArgs(promCtr.Args, pfile, filepath.Join(pdir, "data"), s.Prometheus.PodIP)
	if err != nil {
		tb.Fatal(err)
	}
	gomem, gch := spineconf.GoMemLimit(s.Prometheus.LimitMi)
	s.Prometheus.Changes = append(append(changes, ach...), gch)
	s.Prometheus.Process = startPart(tb, c, "prometheus", filepath.Join(c.Bin, PrometheusBinary3), pargs,
		envList(podEnv(tb, promPod, promCtr), map[string]string{"GOMEMLIMIT": gomem}))
	s.PromURL = fmt.Sprintf("http://%s:%d", s.Prometheus.PodIP, spineconf.PrometheusPort)
	waitHTTP(tb, s.Prometheus.Process, s.PromURL+"/-/ready", time.Minute)
	client, err := api.NewClient(api.Config{Address: s.PromURL, Client: &http.Client{Timeout: 30 * time.Second}})
	if err != nil {
		tb.Fatal(err)
	}
	s.Prom = promv1.NewAPI(client)
	for _, p := range []*SpinePart{s.Collector, s.Jaeger, s.Prometheus} {
		tb.Logf("%s (pod %s, %s, limit %d Mi) runs with %d substitutions:", p.Name, p.Pod.Name, p.PodIP, p.LimitMi, len(p.Changes))
		for _, ch := range p.Changes {
			tb.Logf("  %s", ch)
		}
	}
	return s
}

// deploymentPod finds the running pod of a Deployment and its container.
func deploymentPod(ctx context.Context, tb testing.TB, c *Cluster, ns, name, container string) (*corev1.Pod, *corev1.Container) {
	tb.Helper()
	dep, err := c.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		tb.Fatalf("deployment %s/%s: %v", ns, name, err)
	}
	pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.Set(dep.Spec.Selector.MatchLabels).String()})
	if err != nil {
		tb.Fatal(err)
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" || p.DeletionTimestamp != nil {
			continue
		}
		for j := range p.Spec.Containers {
			if p.Spec.Containers[j].Name == container {
				return p, &p.Spec.Containers[j]
			}
		}
		tb.Fatalf("pod %s/%s has no container %q", ns, p.Name, container)
	}
	tb.Fatalf("deployment %s/%s has no running pod with an IP", ns, name)
	return nil, nil
}

// podEnv is a container's environment as its pod sees it: plain values, and the downward API's fields.
func podEnv(tb testing.TB, pod *corev1.Pod, ctr *corev1.Container) map[string]string {
	tb.Helper()
	env := map[string]string{}
	for _, e := range ctr.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
			continue
		}
		if e.ValueFrom.FieldRef == nil {
			tb.Fatalf("%s: env %s: only plain values and the downward API are supported", pod.Name, e.Name)
		}
		switch e.ValueFrom.FieldRef.FieldPath {
		case "status.podIP":
			env[e.Name] = pod.Status.PodIP
		case "status.hostIP":
			env[e.Name] = pod.Status.HostIP
		case "spec.nodeName":
			env[e.Name] = pod.Spec.NodeName
		case "metadata.namespace":
			env[e.Name] = pod.Namespace
		case "metadata.name":
			env[e.Name] = pod.Name
		default:
			tb.Fatalf("%s: env %s: unsupported field %s", pod.Name, e.Name, e.ValueFrom.FieldRef.FieldPath)
		}
	}
	return env
}

func limitMi(tb testing.TB, ctr *corev1.Container) int {
	tb.Helper()
	q, ok := ctr.Resources.Limits[corev1.ResourceMemory]
	if !ok {
		tb.Fatalf("container %s has no memory limit", ctr.Name)
	}
	return int(q.Value() >> 20)
}

func configMapData(tb testing.TB, objs *wiring.Objects, name, key string) string {
	tb.Helper()
	cm := objs.Get("ConfigMap", components.ObservabilityNamespace, name)
	if cm == nil {
		tb.Fatalf("no ConfigMap %s/%s", components.ObservabilityNamespace, name)
	}
	data, _ := cm.Object["data"].(map[string]any)
	v, _ := data[key].(string)
	if v == "" {
		tb.Fatalf("ConfigMap %s has no %s", name, key)
	}
	return v
}

func writeFile(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// envList merges env and extra (extra wins) into KEY=value pairs; HOME is the process's own directory.
func envList(env, extra map[string]string) []string {
	all := map[string]string{}
	for k, v := range env {
		all[k] = v
	}
	for k, v := range extra {
		all[k] = v
	}
	var out []string
	for k, v := range all {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// startPart runs a spine binary with its output in the cluster's directory, stopped with SIGTERM.
func startPart(tb testing.TB, c *Cluster, name, bin string, args, env []string) *Process {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	home := filepath.Join(c.Dir, "spine", name)
	if err := os.MkdirAll(home, 0o755); err != nil {
		tb.Fatal(err)
	}
	cmd.Dir = home
	cmd.Env = append(env, "HOME="+home)
	// A pod gets terminationGracePeriodSeconds, 30 s by default, between SIGTERM and SIGKILL. Jaeger needs
	// more than the harness's usual 10 s: its query service flushes its own traces to its receiver, which
	// has already stopped, until its exporter gives up.
	return StartProcess(tb, c.Dir, name, cmd, func(p *Process) error { return p.Signal(syscall.SIGTERM, 30*time.Second) })
}

// waitHTTP polls url until it answers 200, the process exits, or d passes.
func waitHTTP(tb testing.TB, p *Process, url string, d time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if !p.Running() {
			tb.Fatalf("%s exited:\n%s", p.Name, p.Tail(4000))
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: %s not ready after %s (%v)\n%s", p.Name, url, d, err, p.Tail(4000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Pods lists the running pods of a shop service, for the load generator: where each pod's telemetry comes
// from.
func (c *Cluster) Pods(ctx context.Context, ns, selectorLabel, service string) ([]corev1.Pod, error) {
	pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selectorLabel + "=" + service})
	if err != nil {
		return nil, err
	}
	var out []corev1.Pod
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" && p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out, nil
}
