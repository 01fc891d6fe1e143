//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
)

// WorkloadPort is where e2e/images/workload listens (its PORT default, and the shop's services' port).
const WorkloadPort = 8080

// unschedulableToleration lets a pod onto the real node, which registers unschedulable.
var unschedulableToleration = corev1.Toleration{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}

// OnRealNode pins a pod to the real node: its node selector, and the toleration of its unschedulable taint.
func OnRealNode(pod *corev1.Pod) *corev1.Pod {
	pinToRealNode(&pod.Spec)
	return pod
}

func pinToRealNode(spec *corev1.PodSpec) {
	spec.NodeSelector = map[string]string{corev1.LabelHostname: RealNodeName}
	spec.Tolerations = []corev1.Toleration{unschedulableToleration}
}

// WorkloadContainer runs the workload: no command or args (a pod-failure swaps the image for pause, which must
// run its own entrypoint), and its readiness probe on /healthz. Its limits are one core, which a one-worker
// CPU stress can fill (and which the dashboards' CPU-per-limit panel divides by), and 512 MiB, room for the
// data-plane test's memory stress.
func WorkloadContainer(name string, env map[string]string) corev1.Container {
	c := corev1.Container{
		Name:            name,
		Image:           WorkloadImage,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Ports:           []corev1.ContainerPort{{Name: "http", ContainerPort: WorkloadPort}},
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(WorkloadPort)}},
			PeriodSeconds:    1,
			FailureThreshold: 1,
		},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("512Mi")},
		},
	}
	for _, k := range sortedKeys(env) {
		c.Env = append(c.Env, corev1.EnvVar{Name: k, Value: env[k]})
	}
	return c
}

// waitPodReady waits until the pod is Ready and returns it.
func waitPodReady(ctx context.Context, c *Cluster, ns, name string, d time.Duration) (*corev1.Pod, error) {
	var pod *corev1.Pod
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, d, true, func(ctx context.Context) (bool, error) {
		p, err := c.Client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		pod = p
		return podReady(p), nil
	})
	if err != nil {
		state := "not found"
		if pod != nil {
			state = fmt.Sprintf("phase %s, node %q, conditions %v, containers %v", pod.Status.Phase, pod.Spec.NodeName, pod.Status.Conditions, pod.Status.ContainerStatuses)
		}
		return nil, fmt.Errorf("pod %s/%s not Ready within %s: %s", ns, name, d, state)
	}
	return pod, nil
}
