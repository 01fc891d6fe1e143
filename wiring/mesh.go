package wiring

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

// istioProtocolOf is what Istio makes of a Service port.
func istioProtocolOf(sp corev1.ServicePort) string {
	appProtocol := ""
	if sp.AppProtocol != nil {
		appProtocol = *sp.AppProtocol
	}
	return apps.IstioProtocol(sp.Name, appProtocol)
}

// checkMesh proves that every Istio VirtualService of the lab can take effect: it lives in a namespace whose
// pods get sidecars, its hosts and route destinations resolve to a Service of that name exposing the port
// with an HTTP or gRPC protocol, that Service selects a pod template, and its sourceLabels select a pod
// template too. It adds the blast radius of each fault.
func (r *ScenarioResult) checkMesh(objs *Objects, workloads []*workload) {
	namespaces := map[string]bool{}
	for _, n := range objs.OfKind("Namespace") {
		namespaces[n.GetName()] = true
	}
	services := map[string]*service{}
	for _, s := range objs.services() {
		services[s.obj.GetNamespace()+"/"+s.obj.GetName()] = s
	}
	for _, u := range objs.Items {
		if u.GetKind() != scenarios.KindVirtualService || !strings.HasPrefix(u.GetAPIVersion(), "networking.istio.io/") {
			continue
		}
		vs := meshCheck{r: r, u: u, namespaces: namespaces, services: services, workloads: workloads}
		vs.checkNamespace(objs)
		hosts, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "hosts")
		if len(hosts) == 0 {
			r.find(CheckScenarios, ref(u), "spec.hosts", "a host", "")
		}
		var backing []*workload
		for i, h := range hosts {
			backing = append(backing, vs.service(fmt.Sprintf("spec.hosts[%d]", i), h, 0)...)
		}
		vs.checkRoutes()
		b := Blast{Scenario: u.GetLabels()[scenarios.ScenarioLabel], Object: ref(u), Fault: "VirtualService/" + vs.faults(), Mode: "requests"}
		if b.Scenario == "" {
			b.Scenario = u.GetName()
		}
		for _, w := range backing {
			b.Workloads = append(b.Workloads, fmt.Sprintf("%s ×%s", w.ref(), replicasText(w.replicas)))
			b.Pods += max(w.replicas, 1)
		}
		b.Touched, b.Targets = meshShareAndCallers(u, workloads)
		r.Blast = append(r.Blast, b)
	}
}

// meshCheck checks one VirtualService.
type meshCheck struct {
	r          *ScenarioResult
	u          *unstructured.Unstructured
	namespaces map[string]bool
	services   map[string]*service
	workloads  []*workload
}

// checkNamespace: faults are injected by the client's sidecar, so the VirtualService's namespace must be
// one whose pods Istio injects.
func (m meshCheck) checkNamespace(objs *Objects) {
	ns := objs.Get("Namespace", "", m.u.GetNamespace())
	switch {
	case ns == nil:
		m.r.find(CheckScenarios, ref(m.u), "metadata.namespace", "Namespace "+m.u.GetNamespace(), "")
	case ns.GetLabels()[components.IstioInjectionLabel] != components.IstioInjectionValue:
		m.r.find(CheckScenarios, ref(m.u), "metadata.namespace", fmt.Sprintf("label %s=%s on Namespace %s",
			components.IstioInjectionLabel, components.IstioInjectionValue, ns.GetName()), "its pods get no sidecar, so no fault applies")
	}
}

// service resolves a host (and, when not 0, a port) to a Service that Istio routes as HTTP or gRPC, and
// returns the pod templates behind it.
func (m meshCheck) service(field, host string, port int) []*workload {
	name, ns, ok := target(host, m.u.GetNamespace(), m.namespaces)
	if !ok {
		m.r.find(CheckScenarios, ref(m.u), field, "an in-cluster Service host", fmt.Sprintf("%q", host))
		return nil
	}
	peer := fmt.Sprintf("Service %s/%s", ns, name)
	svc := m.services[ns+"/"+name]
	if svc == nil {
		m.r.find(CheckScenarios, ref(m.u), field, peer, fmt.Sprintf("%q: no such Service", host))
		return nil
	}
	if port != 0 {
		var sp *corev1.ServicePort
		var have []string
		for i := range svc.spec.Ports {
			have = append(have, strconv.Itoa(int(svc.spec.Ports[i].Port)))
			if int(svc.spec.Ports[i].Port) == port {
				sp = &svc.spec.Ports[i]
			}
		}
		switch {
		case sp == nil:
			m.r.find(CheckScenarios, ref(m.u), field, fmt.Sprintf("%s exposing port %d", peer, port), "the Service exposes "+joinSorted(have))
		case !apps.IstioRoutesHTTP(istioProtocolOf(*sp)):
			m.r.find(CheckScenarios, ref(m.u), field, fmt.Sprintf("an HTTP or gRPC port %d on %s", port, peer),
				fmt.Sprintf("port %q is TCP to Istio: name it http, http2 or grpc (or set appProtocol), or no HTTP fault applies", sp.Name))
		}
	}
	var backing []*workload
	for _, w := range m.workloads {
		if w.obj.GetNamespace() == ns && selects(svc.spec.Selector, w.template.Labels) {
			backing = append(backing, w)
		}
	}
	if len(backing) == 0 {
		m.r.find(CheckScenarios, ref(m.u), field, fmt.Sprintf("a pod template matching the selector %s of %s", formatSelector(svc.spec.Selector), peer), "")
	}
	return backing
}

// checkRoutes checks each HTTP route's destinations and its matches' sourceLabels.
func (m meshCheck) checkRoutes() {
	routes, _, _ := unstructured.NestedSlice(m.u.Object, "spec", "http")
	if len(routes) == 0 {
		m.r.find(CheckScenarios, ref(m.u), "spec.http", "an HTTP route", "")
	}
	for i, raw := range routes {
		route, _ := raw.(map[string]any)
		dests, _, _ := unstructured.NestedSlice(route, "route")
		for j, d := range dests {
			dest, _ := d.(map[string]any)
			host, _, _ := unstructured.NestedString(dest, "destination", "host")
			port, _, _ := unstructured.NestedFieldNoCopy(dest, "destination", "port", "number")
			n, _ := strconv.Atoi(fmt.Sprint(port))
			m.service(fmt.Sprintf("spec.http[%d].route[%d].destination", i, j), host, n)
		}
		matches, _, _ := unstructured.NestedSlice(route, "match")
		for j, mm := range matches {
			match, _ := mm.(map[string]any)
			labels, found, _ := unstructured.NestedStringMap(match, "sourceLabels")
			if !found {
				continue
			}
			callers := 0
			for _, w := range m.workloads {
				if w.obj.GetNamespace() == m.u.GetNamespace() && selects(labels, w.template.Labels) {
					callers++
				}
			}
			if callers == 0 {
				m.r.find(CheckScenarios, ref(m.u), fmt.Sprintf("spec.http[%d].match[%d].sourceLabels", i, j),
					fmt.Sprintf("a pod template in %s with labels %s", m.u.GetNamespace(), formatSelector(labels)), "no client would match")
			}
		}
	}
}

// faults names the faults that the VirtualService injects ("delay+abort"), or "none" when halted.
func (m meshCheck) faults() string {
	var kinds []string
	routes, _, _ := unstructured.NestedSlice(m.u.Object, "spec", "http")
	for _, raw := range routes {
		route, _ := raw.(map[string]any)
		for _, k := range []string{"delay", "abort"} {
			if _, found, _ := unstructured.NestedMap(route, "fault", k); found {
				kinds = append(kinds, k)
			}
		}
	}
	if len(kinds) == 0 {
		return "none"
	}
	return strings.Join(kinds, "+")
}
