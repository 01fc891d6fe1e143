package wiring

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

// MeshFaultKind is the Fault column of a mesh fault's row: Istio's sidecars inject it, not Chaos Mesh.
const MeshFaultKind = "VirtualService"

// addMeshBlast adds a row for each VirtualService of a mesh fault: the workloads behind its host's Service,
// whose requests the fault delays or aborts (no pod is touched, so the share of requests stands in the PODS
// HIT column), and the callers whose requests it hits in their own sidecars (every caller without `from`).
// A halted VirtualService keeps its routes without a fault; its row says so.
func (r *ScenarioResult) addMeshBlast(objs *Objects, workloads []*workload) {
	for _, u := range objs.Items {
		scenario := u.GetLabels()[scenarios.ScenarioLabel]
		if u.GetKind() != scenarios.KindVirtualService || !strings.HasPrefix(u.GetAPIVersion(), "networking.istio.io/") || scenario == "" {
			continue
		}
		var vs scenarios.VirtualService
		if err := fromMap(u.Object, &vs); err != nil || len(vs.Spec.HTTP) == 0 || len(vs.Spec.Hosts) == 0 {
			r.find(CheckScenarios, ref(u), "spec.http", "an HTTP route on a host", "")
			continue
		}
		route := vs.Spec.HTTP[0]
		b := Blast{Scenario: scenario, Object: ref(u), Fault: MeshFaultKind + "/" + meshFaultName(route.Fault), Mode: "requests", Touched: requestShare(route.Fault)}
		for _, w := range hostWorkloads(objs, workloads, vs.Spec.Hosts[0], u.GetNamespace()) {
			b.Workloads = append(b.Workloads, fmt.Sprintf("%s ×%s", w.ref(), replicasText(w.replicas)))
			b.Pods += max(w.replicas, 1)
		}
		b.Targets = []string{"from every caller"}
		if len(route.Match) > 0 && len(route.Match[0].SourceLabels) > 0 {
			b.Targets = nil
			for _, w := range workloads {
				if w.obj.GetNamespace() == u.GetNamespace() && selects(route.Match[0].SourceLabels, w.template.Labels) {
					b.Targets = append(b.Targets, fmt.Sprintf("from %s ×%s", w.ref(), replicasText(w.replicas)))
				}
			}
		}
		r.Blast = append(r.Blast, b)
	}
}

// hostWorkloads are the workloads behind the Service that a VirtualService host names.
func hostWorkloads(objs *Objects, workloads []*workload, host, namespace string) []*workload {
	name, ns, ok := target(host, namespace, nil)
	if !ok {
		return nil
	}
	var out []*workload
	for _, s := range objs.services() {
		if s.obj.GetName() != name || s.obj.GetNamespace() != ns {
			continue
		}
		for _, w := range workloads {
			if w.obj.GetNamespace() == ns && selects(s.spec.Selector, w.template.Labels) {
				out = append(out, w)
			}
		}
	}
	return out
}

func meshFaultName(f *scenarios.HTTPFaultInjection) string {
	switch {
	case f == nil:
		return "none"
	case f.Delay != nil && f.Abort != nil:
		return "delay+abort"
	case f.Delay != nil:
		return "delay"
	case f.Abort != nil:
		return "abort"
	}
	return "none"
}

// requestShare says what the fault does to which share of the requests, e.g. "+0.5s on 100%, UNAVAILABLE on 10%".
func requestShare(f *scenarios.HTTPFaultInjection) string {
	if f == nil || f.Delay == nil && f.Abort == nil {
		return "no request (no fault)"
	}
	var parts []string
	if f.Delay != nil {
		parts = append(parts, fmt.Sprintf("+%s on %s", f.Delay.FixedDelay, percentText(f.Delay.Percentage)))
	}
	if f.Abort != nil {
		status := f.Abort.GRPCStatus
		if status == "" {
			status = strconv.Itoa(int(f.Abort.HTTPStatus))
		}
		parts = append(parts, fmt.Sprintf("%s on %s", status, percentText(f.Abort.Percentage)))
	}
	return strings.Join(parts, ", ") + " of requests"
}

// percentText is a share of requests; Istio applies a fault to every request when no percentage is given.
func percentText(p *scenarios.Percent) string {
	if p == nil {
		return "100%"
	}
	return strconv.FormatFloat(p.Value, 'f', -1, 64) + "%"
}
