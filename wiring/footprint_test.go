package wiring

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
)

// podTemplates returns every workload's pod spec with how many pods it runs on the one-node lab.
func podTemplates(t *testing.T, objs *Objects) map[string]struct {
	spec     corev1.PodSpec
	replicas int64
} {
	t.Helper()
	out := map[string]struct {
		spec     corev1.PodSpec
		replicas int64
	}{}
	for _, kind := range []string{"Deployment", "StatefulSet", "DaemonSet"} {
		for _, u := range objs.OfKind(kind) {
			var spec corev1.PodSpec
			raw, found, _ := unstructured.NestedMap(u.Object, "spec", "template", "spec")
			if !found {
				t.Fatalf("%s %s has no pod template", kind, u.GetName())
			}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &spec); err != nil {
				t.Fatalf("%s %s: %v", kind, u.GetName(), err)
			}
			replicas := int64(1) // a DaemonSet runs one pod on the one node; a workload without replicas runs one
			if r, ok, _ := unstructured.NestedInt64(u.Object, "spec", "replicas"); ok && kind != "DaemonSet" {
				replicas = r
			}
			out[fmt.Sprintf("%s %s/%s", kind, u.GetNamespace(), u.GetName())] = struct {
				spec     corev1.PodSpec
				replicas int64
			}{spec, replicas}
		}
	}
	return out
}

// The footprint as the scheduler will see it, from every container of the rendered charts: each gets a
// memory request and limit (its own, or the LimitRange's), the limits fit the node that `make up` starts
// for the combination beside the node's own processes, and the CPU requests fit its 4 CPUs.
func TestRenderedFootprintFitsItsNode(t *testing.T) {
	for _, c := range []struct {
		app   apps.App
		istio bool
	}{{apps.AstronomyShop, false}, {apps.AstronomyShop, true}, {apps.OnlineBoutique, false}, {apps.OnlineBoutique, true}} {
		t.Run(fmt.Sprintf("%s/istio=%v", c.app.Name, c.istio), func(t *testing.T) {
			renderedFootprintFits(t, labOf(t, c.app, c.istio), c.app, c.istio)
		})
	}
}

// renderedFootprintFits sums every container of a rendered lab, plus the sidecars that Istio's injector
// adds at admission (one per meshed pod, at the sidecar budget), and checks the sums against the node that
// `make up` starts for it, less what that node keeps for itself (components.NodeReserveMi).
func renderedFootprintFits(t *testing.T, objs *Objects, app apps.App, istio bool) {
	defaultMemory := resource.MustParse(fmt.Sprintf("%dMi", components.DefaultContainerBudget.MemoryMi))
	defaultCPU := resource.MustParse(fmt.Sprintf("%dm", components.DefaultContainerBudget.CPUMilli))
	limitRanges := map[string]bool{}
	for _, lr := range objs.OfKind("LimitRange") {
		limitRanges[lr.GetNamespace()] = true
	}

	var limits, memRequests, cpuRequests resource.Quantity
	containers := 0
	for name, w := range podTemplates(t, objs) {
		effective := func(c corev1.Container) (limit, memReq, cpuReq resource.Quantity) {
			limit, hasLimit := c.Resources.Limits[corev1.ResourceMemory]
			memReq, hasReq := c.Resources.Requests[corev1.ResourceMemory]
			cpuReq, hasCPU := c.Resources.Requests[corev1.ResourceCPU]
			if !hasLimit {
				if hasReq && memReq.Cmp(defaultMemory) > 0 {
					t.Errorf("%s: container %s requests %s with no limit: the LimitRange's %s limit would be below it and the pod rejected",
						name, c.Name, memReq.String(), defaultMemory.String())
				}
				limit = defaultMemory
			}
			if !hasReq {
				memReq = limit // Kubernetes defaults a missing request to the limit
			}
			if !hasCPU {
				if cpuLimit, ok := c.Resources.Limits[corev1.ResourceCPU]; ok {
					cpuReq = cpuLimit
				} else {
					cpuReq = defaultCPU
				}
			}
			return limit, memReq, cpuReq
		}
		var podLimit, podMem, podCPU, initMem, initCPU resource.Quantity
		for _, c := range w.spec.Containers {
			containers++
			l, m, cpu := effective(c)
			if _, own := c.Resources.Limits[corev1.ResourceMemory]; !own {
				t.Logf("%s: container %s has no memory limit of its own; the LimitRange gives it %s", name, c.Name, defaultMemory.String())
			}
			podLimit.Add(l)
			podMem.Add(m)
			podCPU.Add(cpu)
		}
		for _, c := range w.spec.InitContainers {
			_, m, cpu := effective(c)
			if m.Cmp(initMem) > 0 {
				initMem = m
			}
			if cpu.Cmp(initCPU) > 0 {
				initCPU = cpu
			}
		}
		// A pod's request is the larger of its containers' sum and its largest init container.
		if initMem.Cmp(podMem) > 0 {
			podMem = initMem
		}
		if initCPU.Cmp(podCPU) > 0 {
			podCPU = initCPU
		}
		for i := int64(0); i < w.replicas; i++ {
			limits.Add(podLimit)
			memRequests.Add(podMem)
			cpuRequests.Add(podCPU)
		}
	}
	if istio {
		// Injection happens at admission, so no rendered pod shows its sidecar.
		sidecarMem := resource.MustParse(fmt.Sprintf("%dMi", components.SidecarBudget.MemoryMi))
		sidecarCPU := resource.MustParse(fmt.Sprintf("%dm", components.SidecarBudget.CPUMilli))
		sidecars := 0
		for _, w := range objs.workloads() {
			svc, ok := app.Service(w.template.Labels[app.SelectorLabel])
			if w.obj.GetNamespace() != app.Namespace || !ok || !svc.Meshed() {
				continue
			}
			for i := 0; i < max(w.replicas, 1); i++ {
				limits.Add(sidecarMem)
				memRequests.Add(sidecarMem)
				cpuRequests.Add(sidecarCPU)
				sidecars++
			}
		}
		containers += sidecars
		t.Logf("%d sidecars at %s each", sidecars, sidecarMem.String())
		if want := len(app.Deploy().Services()) - len(app.Deploy().Unmeshed()); sidecars != want {
			t.Errorf("%d meshed pods found in the render, want %d", sidecars, want)
		}
	}
	for _, ns := range []string{app.Namespace, components.ChaosNamespace, components.ObservabilityNamespace} {
		if !limitRanges[ns] {
			t.Errorf("namespace %s has no LimitRange: a bare container there would run unbounded", ns)
		}
	}
	nodeMi := components.DeploymentNodeMi(app.Deploy(), istio)
	room := resource.MustParse(fmt.Sprintf("%dMi", nodeMi-components.NodeReserveMi(nodeMi)))
	cores := resource.MustParse(fmt.Sprintf("%dm", components.NodeCPUMilli))
	t.Logf("%d containers: memory limits %dMi, memory requests %dMi, CPU requests %dm; it needs a %d GiB node, %s of it for the lab",
		containers, limits.Value()>>20, memRequests.Value()>>20, cpuRequests.MilliValue(), nodeMi>>10, room.String())
	if limits.Cmp(room) > 0 {
		t.Errorf("memory limits total %dMi, over the %s that a %d GiB node leaves beside its own processes", limits.Value()>>20, room.String(), nodeMi>>10)
	}
	if cpuRequests.Cmp(cores) > 0 {
		t.Errorf("CPU requests %dm do not fit the node's %s", cpuRequests.MilliValue(), cores.String())
	}
	// Every rendered container (and counted sidecar) is a line of the code's footprint, and back.
	if want := len(components.FootprintOf(app.Deploy(), istio, true)); containers != want {
		t.Errorf("%d containers rendered, but components.FootprintOf lists %d", containers, want)
	}
}
