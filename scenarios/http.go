package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

var httpMethods = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT"}

// http builds an HTTPChaos: delay, abort or replaced status code on a plain-HTTP port of the target.
func (c *env) http(s *scenario, sel v1alpha1.PodSelector) *v1alpha1.HTTPChaosSpec {
	spec := &v1alpha1.HTTPChaosSpec{PodSelector: sel, Target: v1alpha1.PodHttpRequest}
	if svc, ok := c.app.Service(s.Target); ok {
		spec.Port = c.httpPort(s, svc)
	}
	if why := c.meshConflict(s); why != "" && s.Enabled {
		c.e.add(field.Invalid(s.path("fault"), string(s.Fault), why))
	}
	if s.Path != "" {
		if !strings.HasPrefix(s.Path, "/") {
			c.e.add(field.Invalid(s.path("path"), s.Path, "expected a URL path starting with / (wildcards allowed, e.g. /api/*)"))
		}
		path := s.Path
		spec.Path = &path
	}
	if s.Method != "" {
		m := strings.ToUpper(s.Method)
		if !slices.Contains(httpMethods, m) {
			c.e.add(field.NotSupported(s.path("method"), s.Method, httpMethods))
		}
		spec.Method = &m
	}
	if s.Delay != "" || s.Fault == HTTPDelay {
		if _, ok := c.duration(s.path("delay"), s.Delay, true); ok {
			delay := s.Delay
			spec.Delay = &delay
		}
	}
	switch s.Fault {
	case HTTPAbort:
		abort := true
		spec.Abort = &abort
	case HTTPReplace:
		// Replacing the status code acts on the response.
		spec.Target = v1alpha1.PodHttpResponse
		if code := c.statusCode(s); code != nil {
			spec.Replace = &v1alpha1.PodHttpChaosReplaceActions{Code: code}
		}
	}
	return spec
}

// meshConflict says why an HTTP fault cannot work on its target in this stack, or "" when it can: with
// Istio, a meshed service's traffic passes through its sidecar, and HTTPChaos does not work behind one
// (chaos-mesh#4389, chaos-mesh#3873).
func (c *env) meshConflict(s *scenario) string {
	svc, ok := c.app.Service(s.Target)
	if !ok || !c.opts.Istio || faults[s.Fault].kind != v1alpha1.TypeHTTPChaos || !svc.Meshed() {
		return ""
	}
	return fmt.Sprintf("HTTPChaos does not work behind an Istio sidecar (chaos-mesh#4389, chaos-mesh#3873), and with chaos-mesh-otel:istio: true %s has one; use fault: %s (delay, abort) instead", svc.Name, MeshFault)
}

// httpPort checks the port to fault: a plain-HTTP port of the service, its first by default. HTTPChaos
// cannot see inside gRPC or raw TCP.
func (c *env) httpPort(s *scenario, svc apps.Service) int32 {
	ports := svc.HTTPPorts()
	var numbers []string
	for _, p := range ports {
		numbers = append(numbers, strconv.Itoa(int(p.Number)))
	}
	switch {
	case len(ports) == 0:
		c.e.add(field.Invalid(s.path("target"), s.Target, fmt.Sprintf("%s needs a plain-HTTP service, but %s %s (HTTPChaos cannot inject into gRPC or raw TCP); expected one of: %s",
			s.Fault, svc.Name, protocolsOf(svc), strings.Join(c.serviceNames(hasHTTPPort), ", "))))
		return 0
	case s.Port == nil:
		return ports[0].Number
	case !slices.Contains(numbers, strconv.Itoa(*s.Port)):
		c.e.add(field.Invalid(s.path("port"), *s.Port, fmt.Sprintf("not a plain-HTTP port of %s; expected one of: %s", svc.Name, strings.Join(numbers, ", "))))
	}
	return int32(*s.Port)
}

// statusCode checks the status code that http-replace answers with.
func (c *env) statusCode(s *scenario) *int32 {
	switch {
	case s.Code == nil:
		c.e.add(field.Required(s.path("code"), "the HTTP status code to answer with, 100 to 599 (e.g. 500)"))
	case *s.Code < 100 || *s.Code > 599:
		c.e.add(field.Invalid(s.path("code"), *s.Code, "expected an HTTP status code from 100 to 599"))
	default:
		code := int32(*s.Code)
		return &code
	}
	return nil
}

// protocolsOf says what a service's ports speak, for errors: "speaks gRPC and metrics only".
func protocolsOf(svc apps.Service) string {
	var out []string
	for _, p := range svc.Ports {
		if !slices.Contains(out, string(p.Protocol)) {
			out = append(out, string(p.Protocol))
		}
	}
	if len(out) == 0 {
		return "serves no port"
	}
	return "speaks " + strings.Join(out, " and ") + " only"
}

// serviceNames lists the deployed services that keep accepts, for "expected one of" messages.
func (c *env) serviceNames(keep func(apps.Service) bool) []string {
	var out []string
	for _, svc := range c.opts.Deployment.Services() {
		if keep(svc) {
			out = append(out, svc.Name)
		}
	}
	return out
}

// hasHTTPPort says whether a service has a plain-HTTP port, which HTTPChaos needs.
func hasHTTPPort(svc apps.Service) bool { return len(svc.HTTPPorts()) > 0 }
