package wiring

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

// meshShareAndCallers describes a mesh fault's reach for its blast radius row: what it does to which share of
// the requests (no pod is touched, so this stands in the PODS HIT column), and the callers whose sidecars
// inject it: the workloads that the faulted route's sourceLabels select, or every caller without a match.
// A halted VirtualService keeps its routes without a fault, and says so.
func meshShareAndCallers(u *unstructured.Unstructured, workloads []*workload) (string, []string) {
	var vs scenarios.VirtualService
	if err := fromMap(u.Object, &vs); err != nil || len(vs.Spec.HTTP) == 0 {
		return "? (unreadable routes)", nil
	}
	route := vs.Spec.HTTP[0]
	for _, r := range vs.Spec.HTTP {
		if r.Fault != nil {
			route = r
			break
		}
	}
	callers := []string{"from every caller"}
	if len(route.Match) > 0 && len(route.Match[0].SourceLabels) > 0 {
		callers = nil
		for _, w := range workloads {
			if w.obj.GetNamespace() == u.GetNamespace() && selects(route.Match[0].SourceLabels, w.template.Labels) {
				callers = append(callers, fmt.Sprintf("from %s ×%s", w.ref(), replicasText(w.replicas)))
			}
		}
	}
	return requestShare(route.Fault), callers
}

// requestShare says what a fault does to which share of the requests, e.g. "+0.5s on 100%, UNAVAILABLE on
// 10% of requests".
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
