package scenarios

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/suggest"
)

// meshKeys are the keys of a mesh fault on top of enabled, description, fault and target.
var meshKeys = []string{"delay", "delayPercent", "abort", "abortPercent", "from", "port"}

// notForMesh are the common keys that a mesh fault refuses, each with the reason.
var notForMesh = map[string]string{
	"schedule": "a mesh fault is an Istio VirtualService, in force for as long as its scenario is enabled; Chaos Mesh cannot schedule it: switch it with enabled, or schedule a Chaos Mesh fault",
	"duration": "a mesh fault holds for as long as its scenario is enabled (halt: true takes it out of traffic); it has no duration",
	"mode":     "a mesh fault acts on requests, not pods: delayPercent and abortPercent choose how many",
	"value":    "a mesh fault acts on requests, not pods: delayPercent and abortPercent choose how many",
	"allowAll": "a mesh fault acts on requests, not pods: delayPercent and abortPercent choose how many",
}

// grpcStatuses are the gRPC status names that Istio accepts in an abort (its SupportedGRPCStatus).
var grpcStatuses = []string{"ABORTED", "ALREADY_EXISTS", "CANCELLED", "DATA_LOSS", "DEADLINE_EXCEEDED",
	"FAILED_PRECONDITION", "INTERNAL", "INVALID_ARGUMENT", "NOT_FOUND", "OK", "OUT_OF_RANGE",
	"PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "UNAUTHENTICATED", "UNAVAILABLE", "UNIMPLEMENTED", "UNKNOWN"}

// meshFault is a checked mesh fault, ready to become a VirtualService.
type meshFault struct {
	s      *scenario
	target apps.Service
	port   apps.Port
	from   string
	fault  HTTPFaultInjection
}

// compileMesh checks a mesh fault. Istio is needed only once the scenario is enabled, as a service only once a
// scenario that touches it is: the preset, or a fault kept switched off, stays valid in a stack without
// Istio. It returns nil when the scenario is invalid.
func (c *env) compileMesh(s *scenario) *meshFault {
	before := c.e.count()
	for _, key := range slices.Sorted(maps.Keys(notForMesh)) {
		if _, set := s.keys[key]; set {
			c.e.add(field.Forbidden(s.path(key), notForMesh[key]))
		}
	}
	if !c.opts.Istio && s.Enabled {
		c.e.add(field.Invalid(s.path("fault"), string(MeshFault), "needs chaos-mesh-otel:istio: true: a mesh fault is an Istio VirtualService, which only the sidecars of Istio's mesh apply; set istio: true, or use a Chaos Mesh fault such as network-delay"))
	}
	m := &meshFault{s: s}
	svc, ok := c.service(s.path("target"), s.Target, s.Enabled)
	if ok && c.meshTarget(s, svc) {
		m.target = svc
		m.port, ok = c.meshPort(s, svc)
		if ok {
			m.fault.Abort = c.meshAbort(s, svc, m.port)
		}
		m.from = c.meshCaller(s, svc)
	}
	m.fault.Delay = c.meshDelay(s)
	if s.Delay == "" && s.Abort == "" {
		c.e.add(field.Required(s.path("delay"), "a mesh fault needs delay, abort or both (e.g. delay: 500ms, abort: UNAVAILABLE)"))
	}
	if c.e.count() > before {
		return nil
	}
	return m
}

// meshTarget checks that Istio can fault the target's requests: a Service fronts it, and it speaks HTTP or gRPC.
func (c *env) meshTarget(s *scenario, svc apps.Service) bool {
	var detail string
	switch {
	case !svc.HasService():
		detail = fmt.Sprintf("%s has no Kubernetes Service: a VirtualService faults the requests sent to a Service's host", svc.Name)
	case !hasMeshPort(svc) && len(httpPortNames(svc)) > 0:
		detail = fmt.Sprintf("%s's Service names its HTTP and gRPC ports %s, which Istio reads as plain TCP (it routes HTTP only on ports named %s): a fault there would never apply",
			svc.Name, strings.Join(httpPortNames(svc), ", "), strings.Join(apps.IstioHTTPProtocols, ", "))
	case !hasMeshPort(svc):
		detail = fmt.Sprintf("%s %s: Istio injects faults into HTTP and gRPC requests only", svc.Name, protocolsOf(svc))
	default:
		return true
	}
	c.e.add(field.Invalid(s.path("target"), s.Target, fmt.Sprintf("%s; expected one of: %s", detail, strings.Join(c.serviceNames(hasMeshPort), ", "))))
	return false
}

// httpPortNames are the names of the service's HTTP and gRPC ports.
func httpPortNames(svc apps.Service) []string {
	var out []string
	for _, p := range svc.Ports {
		if p.SpeaksHTTP() {
			out = append(out, p.Name)
		}
	}
	return out
}

// hasMeshPort says whether a mesh fault can target the service: Istio routes HTTP on one of its ports.
func hasMeshPort(svc apps.Service) bool { return len(svc.MeshPorts()) > 0 }

// meshPort picks the Service port to fault: the given one, else the service's only HTTP or gRPC port.
func (c *env) meshPort(s *scenario, svc apps.Service) (apps.Port, bool) {
	ports := svc.MeshPorts()
	var numbers []string
	for _, p := range ports {
		numbers = append(numbers, strconv.Itoa(int(p.OnService())))
	}
	if s.Port == nil {
		if len(ports) > 1 {
			c.e.add(field.Required(s.path("port"), fmt.Sprintf("%s serves HTTP or gRPC on several Service ports; expected one of: %s", svc.Name, strings.Join(numbers, ", "))))
			return apps.Port{}, false
		}
		return ports[0], true
	}
	for _, p := range ports {
		if int(p.OnService()) == *s.Port {
			return p, true
		}
	}
	detail := fmt.Sprintf("not an HTTP or gRPC port of %s's Service; expected one of: %s", svc.Name, strings.Join(numbers, ", "))
	for _, p := range ports {
		if int(p.Number) == *s.Port {
			detail = fmt.Sprintf("%d is %s's container port; a VirtualService names the Service's port: %d", *s.Port, svc.Name, p.OnService())
		}
	}
	c.e.add(field.Invalid(s.path("port"), *s.Port, detail))
	return apps.Port{}, false
}

// meshDelay checks the delay and its percentage: a Go duration of at least 1 ms, in whole milliseconds, as
// Istio requires.
func (c *env) meshDelay(s *scenario) *FaultDelay {
	percent := c.meshPercent(s, "delayPercent", s.DelayPercent)
	if s.Delay == "" {
		if s.DelayPercent != "" {
			c.e.add(field.Invalid(s.path("delayPercent"), s.DelayPercent, "given without delay; expected delay too, such as 500ms"))
		}
		return nil
	}
	d, err := time.ParseDuration(s.Delay)
	if err != nil || d < time.Millisecond || d%time.Millisecond != 0 {
		c.e.add(field.Invalid(s.path("delay"), s.Delay, "expected a Go duration of whole milliseconds, at least 1ms, such as 500ms or 2s (Istio's smallest unit)"))
		return nil
	}
	return &FaultDelay{FixedDelay: istioDuration(d), Percentage: percent}
}

// istioDuration writes a duration in seconds ("0.5s"), the one form that the CRD's CEL rule, Kubernetes and
// every protobuf JSON parser in istiod all read.
func istioDuration(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

// meshAbort checks the abort: an HTTP status for an HTTP port, a gRPC status name for a gRPC port.
func (c *env) meshAbort(s *scenario, svc apps.Service, port apps.Port) *FaultAbort {
	percent := c.meshPercent(s, "abortPercent", s.AbortPercent)
	p := s.path("abort")
	switch {
	case s.Abort == "":
		if s.AbortPercent != "" {
			c.e.add(field.Invalid(s.path("abortPercent"), s.AbortPercent, "given without abort; expected abort too, such as "+exampleAbort(port)))
		}
		return nil
	case port.Protocol == apps.GRPC:
		return c.grpcAbort(p, s.Abort, svc, percent)
	}
	code, err := strconv.Atoi(s.Abort)
	if err != nil || code < 400 || code > 599 {
		c.e.add(field.Invalid(p, s.Abort, fmt.Sprintf("%s speaks HTTP on port %d: expected an HTTP status from 400 to 599, such as 503", svc.Name, port.OnService())))
		return nil
	}
	return &FaultAbort{HTTPStatus: int32(code), Percentage: percent}
}

// grpcAbort checks a gRPC status name; OK is no error, and a typo gets the closest name.
func (c *env) grpcAbort(p *field.Path, status string, svc apps.Service, percent *Percent) *FaultAbort {
	switch {
	case status == "OK":
		c.e.add(field.Invalid(p, status, "OK is no error: expected a failing gRPC status such as UNAVAILABLE"))
	case slices.Contains(grpcStatuses, status):
		return &FaultAbort{GRPCStatus: status, Percentage: percent}
	default:
		detail := fmt.Sprintf("%s speaks gRPC: expected a gRPC status name, one of: %s", svc.Name, strings.Join(slices.DeleteFunc(slices.Clone(grpcStatuses), func(s string) bool { return s == "OK" }), ", "))
		if s := suggest.Closest(status, grpcStatuses); s != "" && s != "OK" {
			detail = fmt.Sprintf("did you mean %q? %s", s, detail)
		}
		c.e.add(field.Invalid(p, status, detail))
	}
	return nil
}

func exampleAbort(port apps.Port) string {
	if port.Protocol == apps.GRPC {
		return "UNAVAILABLE"
	}
	return "503"
}

// meshPercent checks a percentage of requests from 0 to 100; 100 when not given.
func (c *env) meshPercent(s *scenario, key, v string) *Percent {
	if v == "" {
		return &Percent{Value: 100}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(v, "%")), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 100 {
		c.e.add(field.Invalid(s.path(key), v, "expected a percent of requests from 0 to 100, such as 10"))
		return nil
	}
	return &Percent{Value: f}
}

// meshCaller checks `from`: a deployed service in the mesh that calls the target. Only its requests get the
// fault, since Istio injects faults in the calling sidecar.
func (c *env) meshCaller(s *scenario, target apps.Service) string {
	if s.From == "" {
		return ""
	}
	p := s.path("from")
	caller, ok := c.service(p, s.From, s.Enabled)
	if !ok {
		return ""
	}
	callers := c.deployedCallers(target.Name)
	switch {
	case caller.Name == target.Name:
		c.e.add(field.Invalid(p, s.From, fmt.Sprintf("the target itself; expected a service that calls %s: %s", target.Name, orNone(callers))))
	case !caller.Meshed():
		c.e.add(field.Invalid(p, s.From, fmt.Sprintf("%s gets no Istio sidecar (every port of it speaks raw TCP), and the caller's sidecar is what injects the fault; expected one of: %s",
			caller.Name, orNone(callers))))
	case !slices.Contains(caller.Calls, target.Name):
		c.e.add(field.Invalid(p, s.From, fmt.Sprintf("%s does not call %s; its callers: %s", caller.Name, target.Name, orNone(callers))))
	default:
		return caller.Name
	}
	return ""
}

// deployedCallers lists the deployed, meshed services that call a service.
func (c *env) deployedCallers(service string) []string {
	var out []string
	for _, name := range c.app.Callers(service) {
		if svc, _ := c.app.Service(name); c.opts.Deployment.Has(name) && svc.Meshed() {
			out = append(out, name)
		}
	}
	return out
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// meshObject makes the VirtualService of a mesh fault. Without `from`, and on a single-port Service, one route
// carries the fault. Otherwise the fault's route matches the caller's pod labels and the port, and a second,
// fault-free route takes every other request: a sidecar answers 404 to a request that no route matches. Halt
// keeps the routes and drops the fault, so that the object stays, marked as halted, and a repeat up is a no-op.
func meshObject(name string, m *meshFault, opts Options) Object {
	app := opts.Deployment.App
	host := fmt.Sprintf("%s.%s.svc.cluster.local", m.target.Name, app.Namespace)
	faulted := HTTPRoute{
		Fault: m.fault.DeepCopy(),
		Route: []HTTPRouteDestination{{Destination: Destination{Host: host, Port: &PortSelector{Number: uint32(m.port.OnService())}}}},
	}
	spec := VirtualServiceSpec{Hosts: []string{host}}
	if m.from != "" || len(m.target.Ports) > 1 {
		match := HTTPMatchRequest{Port: uint32(m.port.OnService())}
		if m.from != "" {
			match.SourceLabels = app.Selector(m.from)
		}
		faulted.Match = []HTTPMatchRequest{match}
		spec.HTTP = []HTTPRoute{faulted, {Route: []HTTPRouteDestination{{Destination: Destination{Host: host}}}}}
	} else {
		spec.HTTP = []HTTPRoute{faulted}
	}
	vs := &VirtualService{
		TypeMeta:   metav1.TypeMeta{APIVersion: IstioAPIVersion, Kind: KindVirtualService},
		ObjectMeta: objectMeta(name, opts),
		Spec:       spec,
	}
	if opts.Halt {
		vs.Spec.HTTP[0].Fault = nil
		setAnnotation(&vs.ObjectMeta, HaltedAnnotation)
	}
	return Object{Name: name, Kind: KindVirtualService, Typed: vs}
}

// DeepCopy copies a fault, so that objects built from one compiled scenario share nothing.
func (f HTTPFaultInjection) DeepCopy() *HTTPFaultInjection {
	b, _ := json.Marshal(f)
	out := &HTTPFaultInjection{}
	_ = json.Unmarshal(b, out)
	return out
}
