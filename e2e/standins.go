//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
)

// StandIn moves one of the app's Deployments onto the real node, with the workload in place of the
// service's image (the demo's images cannot be pulled here): the Deployment, its name, its pod labels (the
// ones the lab's scenarios select) and its replica count stay the chart's; its pod spec becomes one
// container, named as the chart names it, running the workload with env. It returns the Deployment's pods
// once every one of them runs on the real node and is Ready, and none is left on the kwok node.
func StandIn(ctx context.Context, c *Cluster, ns, name string, env map[string]string) ([]corev1.Pod, error) {
	deps := c.Client.AppsV1().Deployments(ns)
	dep, err := deps.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	if len(dep.Spec.Template.Spec.Containers) == 0 {
		return nil, fmt.Errorf("deployment %s/%s has no container", ns, name)
	}
	container := dep.Spec.Template.Spec.Containers[0].Name
	spec := corev1.PodSpec{
		Containers: []corev1.Container{WorkloadContainer(container, env)},
		// The pod cannot reach the API server (it listens on this machine's loopback), and needs nothing of it.
		AutomountServiceAccountToken:  ptr(false),
		TerminationGracePeriodSeconds: ptr(int64(2)),
	}
	pinToRealNode(&spec)
	dep.Spec.Template.Spec = spec
	if _, err := deps.Update(ctx, dep, metav1.UpdateOptions{}); err != nil {
		return nil, err
	}
	return waitStoodIn(ctx, c, ns, dep.Spec.Selector.MatchLabels, replicasOf(dep.Spec.Replicas), 3*time.Minute)
}

// waitStoodIn waits until the pods that the selector matches are exactly replicas pods on the real node, all
// Ready and none being deleted.
func waitStoodIn(ctx context.Context, c *Cluster, ns string, selector map[string]string, replicas int, d time.Duration) ([]corev1.Pod, error) {
	var pods []corev1.Pod
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, d, true, func(ctx context.Context) (bool, error) {
		list, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(selector).String()})
		if err != nil {
			return false, nil
		}
		pods = list.Items
		if len(pods) != replicas {
			return false, nil
		}
		for i := range pods {
			if pods[i].Spec.NodeName != RealNodeName || !podReady(&pods[i]) || pods[i].DeletionTimestamp != nil {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		var state []string
		for _, p := range pods {
			state = append(state, fmt.Sprintf("%s on %q ready=%v deleting=%v", p.Name, p.Spec.NodeName, podReady(&p), p.DeletionTimestamp != nil))
		}
		return nil, fmt.Errorf("pods %v in %s: want %d Ready on %s within %s, have %v", selector, ns, replicas, RealNodeName, d, state)
	}
	return pods, nil
}

func replicasOf(r *int32) int {
	if r == nil {
		return 1
	}
	return int(*r)
}
