//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// The services that run on the real node in the data-plane test, as stand-ins (StandIn): checkout for the
// kills, currency for the pod failure, recommendation for stress, frontend calling product-catalog for the
// network faults and the clock.
const (
	dpKill      = "checkout"
	dpFailure   = "currency"
	dpStress    = "recommendation"
	dpClient    = "frontend"
	dpServer    = "product-catalog"
	dpNamespace = "otel-demo"
)

// dataPlane is what the steps of TestDataPlane share: chaosRun's lab, controller and pod watch, and the
// real node with the daemon and the stand-ins, the lab's Prometheus scraping the node's cAdvisor and
// kube-state-metrics.
type dataPlane struct {
	*chaosRun
	node *RealNode
	// daemonRendered is the chaos-daemon pod spec as the lab's release rendered it.
	daemonRendered *corev1.PodSpec
	ksm            *Process
	// serverIP is product-catalog's pod IP, which frontend's client calls.
	serverIP string
	engine   *Engine
	// before are the cluster-scoped objects before the lab (destroy must leave only those).
	before map[string]bool
}

// TestDataPlane runs the lab on the real engine with Chaos Mesh's controller, the lab's own chaos-daemon
// DaemonSet on a real node, and real containers standing in for the shop's services there; each fault that
// this kernel can apply lands on a real container and is measured on it, then recovers and leaves nothing
// behind; the netem faults fail where a user looks; the dashboards' Kubernetes queries read the real
// containers through the lab's Prometheus configuration.
func TestDataPlane(t *testing.T) {
	r := startDataPlane(t)
	step := r.steps(t)
	step("pod-kill", func(t *testing.T) { r.podKill(t) })
	step("container-kill", r.containerKill)
	step("pod-failure", r.podFailure)
	step("cpu-stress", func(t *testing.T) { r.cpuStress(t, 80) })
	step("memory-stress", r.memoryStress)
	step("network-partition", r.partition)
	step("network-bandwidth", r.bandwidth)
	step("time-skew", r.timeSkew)
	step("halt", r.haltClean)
	step("netem", r.netem)
	step("run-netem", r.runNetem)
	step("dashboards", r.kubernetesDashboards)
	step("destroy", r.destroy)
}

// startDataPlane brings the lab up on a cluster with a real node, starts the node, the controller and the
// observability processes, and moves the stand-ins onto the node.
func startDataPlane(t *testing.T) *dataPlane {
	if _, err := PrometheusBinary(); err != nil {
		t.Fatal(err)
	}
	tools := append([]string{ChaosControllerBinary, KubeStateMetricsBinary}, NodeTools...)
	c, e, before := labCluster(t, tools, WithAdmissionWebhooks(), WithRealNode())
	r := &dataPlane{chaosRun: &chaosRun{ctx: context.Background(), c: c}}
	r.before, r.engine = before, e
	r.s = e.RepoStack(r.ctx, t, stacks.Lab)
	cfg := LabConfig(c)
	// The lab's own keys point chaos-daemon at the node's containerd.
	cfg[Key("chaosRuntime")] = autoValue("containerd")
	cfg[Key("chaosSocketPath")] = autoValue(RealNodeSocket(c))
	if err := r.s.SetAllConfig(r.ctx, cfg); err != nil {
		t.Fatal(err)
	}
	step := r.steps(t)
	step("up", func(t *testing.T) {
		if _, d, err := Up(r.ctx, t, r.s); err != nil {
			t.Fatalf("up: %v", err)
		} else {
			t.Logf("full up: %s", d.Round(time.Millisecond))
		}
		var err error
		if r.daemonRendered, err = UseLocalDaemonImage(r.ctx, r.c); err != nil {
			t.Fatal(err)
		}
		if err := KeepPartitionBehavior(r.ctx, r.c); err != nil {
			t.Fatal(err)
		}
		if got, want := socketVolumeOf(r.daemonRendered), filepath.Dir(RealNodeSocket(c)); got != want {
			t.Errorf("the rendered DaemonSet mounts %q at %s, want the directory of chaosSocketPath %q", got, chaosDaemonSocketMount, want)
		}
	})
	// The node and the servers belong to the whole test (t), so that they run until its end.
	r.node = StartRealNode(r.ctx, t, r.c)
	step("daemon", r.daemonReady)
	r.startServers(t)
	step("stand-ins", r.standIns)
	return r
}

// steps is steps(t), which also fails the test when the controller has exited.
func (r *dataPlane) steps(t *testing.T) func(string, func(*testing.T)) {
	run := steps(t)
	return func(name string, f func(*testing.T)) {
		run(name, f)
		if r.cc != nil && !r.cc.Running() {
			t.Fatalf("the chaos controller exited during %s:\n%s", name, r.cc.Tail(6000))
		}
	}
}

// daemonReady waits for the lab's chaos-daemon on the real node, changed from the release's rendering in its
// image only.
func (r *dataPlane) daemonReady(t *testing.T) {
	pod, err := WaitDaemonOnNode(r.ctx, r.c, r.node.Name, 3*time.Minute)
	if err != nil {
		t.Fatalf("%v\n%s", err, r.node.kubelet.Tail(4000))
	}
	// The pod is the DaemonSet's template plus what admission adds (the ServiceAccount token's volume).
	ds, err := r.c.Client.AppsV1().DaemonSets(components.ChaosNamespace).Get(r.ctx, ChaosDaemonSet, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := DaemonDiff(r.daemonRendered, &ds.Spec.Template.Spec); len(diff) > 0 {
		t.Errorf("the daemon's DaemonSet differs from the release's rendering beyond its image: %v", diff)
	}
	ct := containerNamed(&pod.Spec, chaosDaemonContainer)
	t.Logf("chaos-daemon %s Ready on %s (%s, IP %s): %v", pod.Name, pod.Spec.NodeName, ct.Image, pod.Status.PodIP, ct.Command)
}

// startServers starts the controller with its webhooks routed to it, kube-state-metrics, the lab's
// Prometheus and the pod watch. It runs until the test ends.
func (r *dataPlane) startServers(t *testing.T) {
	r.cc = StartChaosController(r.ctx, t, r.c)
	r.started = time.Now()
	if _, err := RouteChaosMeshWebhooks(r.ctx, r.c, r.cc.WebhookAddr, r.cc.Cert.CAPEM); err != nil {
		t.Fatalf("routing the chart's webhooks to the controller: %v", err)
	}
	if pause := r.cc.EnvValue("POD_FAILURE_PAUSE_IMAGE"); pause != PodFailurePauseImage {
		t.Fatalf("the chart's POD_FAILURE_PAUSE_IMAGE is %q; the node's pause image is imported as %q", pause, PodFailurePauseImage)
	}
	var ksmAddr string
	r.ksm, ksmAddr = StartKubeStateMetrics(t, r.c)
	jobs, err := labScrapeJobs(r.ctx, r.c, RealNodeName, ksmAddr)
	if err != nil {
		t.Fatal(err)
	}
	interval, err := time.ParseDuration(components.ScrapeInterval)
	if err != nil {
		t.Fatal(err)
	}
	r.prom = StartLabPrometheus(t, r.c.Dir, interval, jobs)
	r.pods = WatchPods(t, r.c, apps.AstronomyShop.Namespace)
}

// standIns moves the five services onto the real node; frontend's client calls product-catalog's pod IP
// (a ClusterIP is translated on this machine, after the client pod's own rules, where a partition that
// matches pod addresses would not see it).
func (r *dataPlane) standIns(t *testing.T) {
	pods, err := StandIn(r.ctx, r.c, dpNamespace, dpServer, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.serverIP = pods[0].Status.PodIP
	for _, svc := range []string{dpKill, dpFailure, dpStress} {
		if _, err := StandIn(r.ctx, r.c, dpNamespace, svc, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := StandIn(r.ctx, r.c, dpNamespace, dpClient, map[string]string{"TARGET": fmt.Sprintf("http://%s:%d", r.serverIP, WorkloadPort)}); err != nil {
		t.Fatal(err)
	}
	for _, svc := range []string{dpKill, dpFailure, dpStress, dpClient, dpServer} {
		p := r.pod(t, svc)
		t.Logf("%s: pod %s on %s, IP %s", svc, p.Name, p.Spec.NodeName, p.Status.PodIP)
	}
	if err := r.prom.WaitScraped(r.ctx, cadvisorJob, time.Now(), time.Minute); err != nil {
		t.Error(err)
	}
	if err := r.prom.WaitScraped(r.ctx, endpointsJob, time.Now(), time.Minute); err != nil {
		t.Error(err)
	}
}

// pod is the one running pod of a stand-in service.
func (r *dataPlane) pod(t *testing.T, svc string) *corev1.Pod {
	t.Helper()
	pods, err := waitStoodIn(r.ctx, r.c, dpNamespace, apps.AstronomyShop.Selector(svc), 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return &pods[0]
}

// container is the main container of a stand-in service's pod.
func (r *dataPlane) container(t *testing.T, svc string) (*corev1.Pod, Container) {
	t.Helper()
	p := r.pod(t, svc)
	ct, err := r.node.containerOf(r.ctx, p, svc)
	if err != nil {
		t.Fatal(err)
	}
	return p, ct
}

// strike switches the scenarios on and waits until the one named has applied its fault (its experiments
// carry the label of its one-shot Workflow); it returns that experiment and when the up returned.
func (r *dataPlane) strike(t *testing.T, name string, scenarios map[string]any) (Experiment, time.Time) {
	t.Helper()
	on := r.enable(t, scenarios)
	var exp Experiment
	var exps []Experiment
	var failures []string
	err := wait.PollUntilContextTimeout(r.ctx, 500*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		var err error
		exps, err = r.c.Experiments(ctx, dpNamespace, v1alpha1.LabelWorkflow+"="+name)
		if err != nil {
			return false, nil
		}
		for _, e := range exps {
			// Chaos Mesh retries a failed Apply; the failures say why when it never succeeds.
			failures = append(failures[:0], e.Failures...)
			if len(e.Applied) > 0 {
				exp = e
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		var state []string
		for _, e := range exps {
			events, _ := r.c.Events(r.ctx, dpNamespace, e.Kind, e.Name)
			state = append(state, fmt.Sprintf("%s: records %v, failures %v, events:\n%s", e.State(), e.Targets, e.Failures, describeEvents(events)))
		}
		// What the Workflow and its nodes said.
		if evs, err := r.c.Client.CoreV1().Events(dpNamespace).List(r.ctx, metav1.ListOptions{}); err == nil {
			var mine []corev1.Event
			for _, e := range evs.Items {
				if strings.HasPrefix(e.InvolvedObject.Name, name) {
					mine = append(mine, e)
				}
			}
			state = append(state, "events of "+name+"*:\n"+describeEvents(mine))
		}
		t.Fatalf("%s: not applied within 1m (%v); its experiments: %d\n%s\nchaos-daemon's log:\n%s", name, err, len(exps),
			strings.Join(state, "\n"), r.daemonLog())
	}
	if len(failures) > 0 {
		t.Logf("%s: failed before it applied: %v", name, failures)
	}
	t.Logf("%s: %s applied %s after the up returned", name, exp, exp.Applied[0].Sub(on).Round(time.Millisecond))
	return exp, on
}

// assertClean checks that no fault is left in the containers of the services.
func (r *dataPlane) assertClean(t *testing.T, when string, services ...string) {
	t.Helper()
	for _, svc := range services {
		_, ct := r.container(t, svc)
		residue, inert, err := ct.faultState(r.ctx)
		if err != nil {
			t.Error(err)
			continue
		}
		if len(residue) > 0 {
			t.Errorf("%s: %s's container still has in effect: %v", when, svc, residue)
		} else {
			t.Logf("%s: %s's container has no tc qdisc, acting iptables rule, matched ipset or stress process left", when, svc)
		}
		if len(inert) > 0 {
			t.Logf("%s: %s's container keeps, acting on no packet: %v", when, svc, inert)
		}
	}
}

// destroy removes the lab with the stand-ins and the daemon running on the real node.
func (r *dataPlane) destroy(t *testing.T) {
	d, err := Destroy(r.ctx, t, r.s)
	if err != nil {
		t.Fatalf("destroy: %v", err)
	}
	t.Logf("destroy: %s", d.Round(time.Millisecond))
	if err := r.cc.Stop(); err != nil {
		t.Logf("chaos controller after destroy: %v", err)
	}
	r.cc = nil
	assertLabGone(r.ctx, t, r.c, r.before)
	pods, err := r.c.Client.CoreV1().Pods("").List(r.ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + RealNodeName})
	if err != nil || len(pods.Items) > 0 {
		t.Errorf("pods left on %s after destroy: %d (%v)", RealNodeName, len(pods.Items), err)
	}
}

// daemonLog is the tail of the chaos-daemon pod's log on the real node.
func (r *dataPlane) daemonLog() string {
	pods, err := r.c.Client.CoreV1().Pods(components.ChaosNamespace).List(r.ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + r.node.Name})
	if err != nil {
		return err.Error()
	}
	for _, p := range pods.Items {
		if ref := metav1.GetControllerOf(&p); ref != nil && ref.Kind == "DaemonSet" && ref.Name == ChaosDaemonSet {
			logs, err := r.c.Client.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: chaosDaemonContainer}).DoRaw(r.ctx)
			if err != nil {
				return err.Error()
			}
			return tail(string(logs), 4000)
		}
	}
	return "no chaos-daemon pod on " + r.node.Name
}
