//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
)

// The chart's daemon DaemonSet and its container, which the lab's Chaos Mesh release declares.
const (
	ChaosDaemonSet       = "chaos-daemon"
	chaosDaemonContainer = "chaos-daemon"
	// chaosDaemonSocketMount is where the chart mounts the directory of chaosSocketPath in the daemon's pod.
	chaosDaemonSocketMount = "/host-run"
	// chaosDaemonGRPCPort is the chart's chaosDaemon.grpcPort, which the controller dials.
	chaosDaemonGRPCPort = "31767"
)

// UseLocalDaemonImage points the lab's chaos-daemon DaemonSet at the image built from the controller's module
// (ChaosDaemonImage): the chart's ghcr.io image cannot be pulled here. That is the only change the harness
// makes to the DaemonSet; the runtime socket comes from the lab's own chaosSocketPath key. It returns the
// DaemonSet as the release rendered it, before the change.
func UseLocalDaemonImage(ctx context.Context, c *Cluster) (rendered *corev1.PodSpec, err error) {
	dsClient := c.Client.AppsV1().DaemonSets(components.ChaosNamespace)
	ds, err := dsClient.Get(ctx, ChaosDaemonSet, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("the chart's chaos-daemon DaemonSet: %w", err)
	}
	rendered = ds.Spec.Template.Spec.DeepCopy()
	i := slices.IndexFunc(ds.Spec.Template.Spec.Containers, func(c corev1.Container) bool { return c.Name == chaosDaemonContainer })
	if i < 0 {
		return nil, fmt.Errorf("DaemonSet %s has no container %s", ChaosDaemonSet, chaosDaemonContainer)
	}
	ds.Spec.Template.Spec.Containers[i].Image = ChaosDaemonImage
	if _, err := dsClient.Update(ctx, ds, metav1.UpdateOptions{}); err != nil {
		return nil, err
	}
	return rendered, nil
}

// DaemonDiff lists how the live DaemonSet's pod template differs from the release's rendering, in the fields
// that decide what runs: anything but the image is a change the harness must not make.
func DaemonDiff(rendered, live *corev1.PodSpec) []string {
	var out []string
	rc, lc := containerNamed(rendered, chaosDaemonContainer), containerNamed(live, chaosDaemonContainer)
	if rc == nil || lc == nil {
		return []string{"no chaos-daemon container"}
	}
	if lc.Image != ChaosDaemonImage {
		out = append(out, fmt.Sprintf("image %s, want %s", lc.Image, ChaosDaemonImage))
	}
	if !slices.Equal(rc.Command, lc.Command) || !slices.Equal(rc.Args, lc.Args) {
		out = append(out, fmt.Sprintf("command %v %v, rendered %v %v", lc.Command, lc.Args, rc.Command, rc.Args))
	}
	for what, same := range map[string]bool{
		"security context": equality.Semantic.DeepEqual(rc.SecurityContext, lc.SecurityContext),
		"volume mounts":    equality.Semantic.DeepEqual(rc.VolumeMounts, lc.VolumeMounts),
		"environment":      equality.Semantic.DeepEqual(rc.Env, lc.Env),
		"resources":        equality.Semantic.DeepEqual(rc.Resources, lc.Resources),
	} {
		if !same {
			out = append(out, what+" differ from the rendering")
		}
	}
	if rendered.HostPID != live.HostPID || rendered.HostNetwork != live.HostNetwork {
		out = append(out, fmt.Sprintf("hostPID %v hostNetwork %v, rendered %v %v", live.HostPID, live.HostNetwork, rendered.HostPID, rendered.HostNetwork))
	}
	for _, v := range rendered.Volumes {
		j := slices.IndexFunc(live.Volumes, func(l corev1.Volume) bool { return l.Name == v.Name })
		if j < 0 || !equality.Semantic.DeepEqual(live.Volumes[j].VolumeSource, v.VolumeSource) {
			out = append(out, "volume "+v.Name+" differs")
		}
	}
	sort.Strings(out)
	return out
}

func containerNamed(spec *corev1.PodSpec, name string) *corev1.Container {
	for i := range spec.Containers {
		if spec.Containers[i].Name == name {
			return &spec.Containers[i]
		}
	}
	return nil
}

// socketVolumeOf is the host directory the rendered DaemonSet mounts at /host-run: the directory of the lab's
// chaosSocketPath.
func socketVolumeOf(spec *corev1.PodSpec) string {
	c := containerNamed(spec, chaosDaemonContainer)
	if c == nil {
		return ""
	}
	for _, m := range c.VolumeMounts {
		if m.MountPath == chaosDaemonSocketMount {
			for _, v := range spec.Volumes {
				if v.Name == m.Name && v.HostPath != nil {
					return filepath.Clean(v.HostPath.Path)
				}
			}
		}
	}
	return ""
}

// WaitDaemonOnNode waits until the DaemonSet's pod on the node runs the local image, is Ready and serves its
// gRPC port, and returns it: the controller reaches a daemon through the EndpointSlices of the chart's
// chaos-daemon Service, which list only Ready pods, at the pod's IP. A daemon that exits is reported with
// its log.
func WaitDaemonOnNode(ctx context.Context, c *Cluster, node string, d time.Duration) (*corev1.Pod, error) {
	var found *corev1.Pod
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, d, true, func(ctx context.Context) (bool, error) {
		pods, err := c.Client.CoreV1().Pods(components.ChaosNamespace).List(ctx, metav1.ListOptions{
			FieldSelector: "spec.nodeName=" + node})
		if err != nil {
			return false, nil
		}
		for i := range pods.Items {
			p := &pods.Items[i]
			if ref := metav1.GetControllerOf(p); ref != nil && ref.Kind == "DaemonSet" && ref.Name == ChaosDaemonSet {
				found = p
				if c := containerNamed(&p.Spec, chaosDaemonContainer); c != nil && c.Image == ChaosDaemonImage && podReady(p) && p.DeletionTimestamp == nil {
					conn, err := net.DialTimeout("tcp", net.JoinHostPort(p.Status.PodIP, chaosDaemonGRPCPort), time.Second)
					if err == nil {
						conn.Close()
					}
					return err == nil, nil
				}
			}
		}
		return false, nil
	})
	if err != nil {
		state := "no pod"
		if found != nil {
			logs, _ := c.Client.CoreV1().Pods(found.Namespace).GetLogs(found.Name, &corev1.PodLogOptions{Container: chaosDaemonContainer}).DoRaw(ctx)
			previous, _ := c.Client.CoreV1().Pods(found.Namespace).GetLogs(found.Name, &corev1.PodLogOptions{Container: chaosDaemonContainer, Previous: true}).DoRaw(ctx)
			state = fmt.Sprintf("%s: phase %s, containers %v\nlog:\n%s\nprevious container's log:\n%s", found.Name, found.Status.Phase,
				found.Status.ContainerStatuses, tail(string(logs), 3000), tail(string(previous), 3000))
		}
		return nil, fmt.Errorf("chaos-daemon on %s not Ready with %s within %s: %s", node, ChaosDaemonImage, d, state)
	}
	return found, nil
}

// KeepPartitionBehavior adds NetworkChaos's spec.partitionBehavior to the live CRD, as a string. The controller
// that the harness builds uses Chaos Mesh's api module at a later commit (the one the module proxy serves,
// see e2e/README.md, Toolchain), whose defaulting webhook sets partitionBehavior: drop on every NetworkChaos;
// the 2.8.3 chart's CRD does not know the field, so the API server prunes it, and the validating webhook then
// refuses every later update of the object ("Cannot update chaos spec"): the controller cannot record a single
// injection. Chaos Mesh 2.8.3's own controller neither sets nor needs the field; adding it to the schema makes
// the stored object what this controller writes, and changes nothing else.
func KeepPartitionBehavior(ctx context.Context, c *Cluster) error {
	const name = "networkchaos.chaos-mesh.org"
	crd, err := c.Dynamic.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	var patch []map[string]any
	for i := range versions {
		patch = append(patch, map[string]any{"op": "add",
			"path":  fmt.Sprintf("/spec/versions/%d/schema/openAPIV3Schema/properties/spec/properties/partitionBehavior", i),
			"value": map[string]any{"type": "string"}})
	}
	body, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	_, err = c.Dynamic.Resource(crdGVR).Patch(ctx, name, types.JSONPatchType, body, metav1.PatchOptions{})
	return err
}
