//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

// TestRealNode: the real node joins the simulated control plane beside the kwok node, and runs what is put
// there on purpose: a pod of the workload image runs, turns Ready by its readiness probe, logs through the API
// server, and shows in the kubelet's cAdvisor with the labels the dashboards use; kube-proxy routes its
// Service; a pod that does not tolerate the node stays off it. Teardown (the cleanup) must leave the machine
// as it found it.
func TestRealNode(t *testing.T) {
	bin, err := ToolsBin(append(ClusterTools, NodeTools...)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := StartCluster(t, bin, WithRealNode())
	n := StartRealNode(ctx, t, c)

	node, err := c.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !node.Spec.Unschedulable || node.Labels[RealNodeLabel] != "real" || node.Status.NodeInfo.KubeletVersion != KubeVersion() ||
		!slices.Contains(node.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: RealNodeIP}) {
		t.Errorf("node %s: unschedulable %v, labels %v, kubelet %s, addresses %v", n.Name, node.Spec.Unschedulable, node.Labels,
			node.Status.NodeInfo.KubeletVersion, node.Status.Addresses)
	}
	t.Logf("node %s: %s, runtime %s, kernel %s", n.Name, node.Status.NodeInfo.KubeletVersion, node.Status.NodeInfo.ContainerRuntimeVersion,
		node.Status.NodeInfo.KernelVersion)

	pod := OnRealNode(&corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "workload", Namespace: "default", Labels: map[string]string{report.ComponentLabel: "workload"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{WorkloadContainer("workload", nil)}},
	})
	if _, err := c.Client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	pod, err = waitPodReady(ctx, c, "default", pod.Name, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pod %s Ready on %s in %s, IP %s", pod.Name, pod.Spec.NodeName, time.Since(started).Round(time.Millisecond), pod.Status.PodIP)

	logs, err := c.Client.CoreV1().Pods("default").GetLogs(pod.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil || !strings.Contains(string(logs), "workload: listening") {
		t.Errorf("logs through the API server (the kubelet's client certificate): %q, %v", logs, err)
	}

	// cAdvisor through the API server's node proxy, as a dashboard's Prometheus would reach it in a cluster.
	var line string
	err = wait.PollUntilContextTimeout(ctx, time.Second, time.Minute, true, func(ctx context.Context) (bool, error) {
		raw, err := c.Client.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes", n.Name, "proxy/metrics/cadvisor").DoRaw(ctx)
		if err != nil {
			return false, nil
		}
		for _, l := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(l, "container_cpu_usage_seconds_total{") && strings.Contains(l, `container="workload"`) &&
				strings.Contains(l, `namespace="default"`) && strings.Contains(l, `pod="workload"`) {
				line = l
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Errorf("cAdvisor has no container_cpu_usage_seconds_total for the pod's container with namespace, pod and container labels: %v", err)
	} else {
		t.Logf("cAdvisor: %s", line)
	}

	// kube-proxy: the Service's ClusterIP answers from this machine through its iptables rules.
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "workload", Namespace: "default"},
		Spec:       corev1.ServiceSpec{Selector: pod.Labels, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(WorkloadPort)}}},
	}
	if svc, err = c.Client.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("http://%s:80/healthz", svc.Spec.ClusterIP)
	var body string
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		body, err = httpGet(url)
		return err == nil, nil
	})
	if err != nil {
		nat, _ := exec.Command("iptables-save", "-t", "nat").CombinedOutput()
		route, _ := exec.Command("ip", "route", "get", svc.Spec.ClusterIP).CombinedOutput()
		slices, _ := c.Client.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{})
		t.Errorf("the Service's ClusterIP %s does not answer through kube-proxy: %v\nroute: %s\nendpoint slices: %+v\nnat table:\n%s\nkube-proxy:\n%s",
			svc.Spec.ClusterIP, err, route, slices.Items, nat, n.kubeProxy.Tail(3000))
	} else {
		t.Logf("GET %s through kube-proxy: %q", url, strings.TrimSpace(body))
	}

	// Without the toleration a pod is not scheduled on the real node.
	stray := OnRealNode(&corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "stray", Namespace: "default"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{WorkloadContainer("stray", nil)}},
	})
	stray.Spec.Tolerations = nil
	if _, err := c.Client.CoreV1().Pods("default").Create(ctx, stray, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := c.Client.CoreV1().Pods("default").Get(ctx, stray.Name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodScheduled && cond.Reason == corev1.PodReasonUnschedulable {
				return true, nil
			}
		}
		return p.Spec.NodeName != "", nil
	})
	if p, _ := c.Client.CoreV1().Pods("default").Get(ctx, stray.Name, metav1.GetOptions{}); err != nil || p.Spec.NodeName != "" {
		t.Errorf("a pod that does not tolerate the real node: node %q (%v)", p.Spec.NodeName, err)
	}
}

// httpGet returns the body of a 200 answer. Each call opens its own connection: before kube-proxy has
// written a Service's rules, a ClusterIP is routed off this machine, where the sandbox's network may accept
// the connection; a kept-alive connection would then carry every later request there too.
func httpGet(url string) (string, error) {
	client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), nil
}
