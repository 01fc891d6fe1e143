package scenarios

import (
	"fmt"
	"slices"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// compiled is a checked chaos scenario, ready to become a Schedule, a Workflow or a workflow template.
type compiled struct {
	s        *scenario
	kind     v1alpha1.TemplateType
	chaos    *v1alpha1.EmbedChaos // its spec has no duration; see withDuration
	duration string               // Go duration string, always set
	dur      time.Duration
	interval time.Duration // the schedule's shortest interval, 0 without schedule
}

// compileChaos checks one chaos scenario and builds its typed spec. It returns nil when it is invalid.
func (c *env) compileChaos(s *scenario) *compiled {
	before := c.e.count()
	def := faults[s.Fault]
	out := &compiled{s: s, kind: def.kind}
	out.interval, _ = c.schedule(s)
	c.checkDuration(s, out)

	sel := c.podSelector(s)
	c.checkContainer(s)
	ec := &v1alpha1.EmbedChaos{}
	switch def.kind {
	case v1alpha1.TypeNetworkChaos:
		ec.NetworkChaos = c.network(s, sel)
	case v1alpha1.TypeStressChaos:
		ec.StressChaos = c.stress(s, containerSelector(s, sel))
	case v1alpha1.TypeHTTPChaos:
		ec.HTTPChaos = c.http(s, sel)
	case v1alpha1.TypeDNSChaos:
		ec.DNSChaos = c.dns(s, containerSelector(s, sel))
	case v1alpha1.TypeIOChaos:
		ec.IOChaos = c.io(s, containerSelector(s, sel))
	case v1alpha1.TypeTimeChaos:
		ec.TimeChaos = c.timeSkew(s, containerSelector(s, sel))
	case v1alpha1.TypePodChaos:
		ec.PodChaos = c.pod(s, sel)
	}
	out.chaos = ec
	if c.e.count() > before {
		return nil
	}
	return out
}

// checkContainer refuses a container that the target's pods do not have: Chaos Mesh would select none and
// the fault would never strike. The catalog knows each service's main container; with Istio, a meshed
// service's pods also run the istio-proxy sidecar.
func (c *env) checkContainer(s *scenario) {
	if s.Container == "" {
		return
	}
	svc, ok := c.app.Service(s.Target)
	if !ok {
		return // the target's own error says why
	}
	valid := []string{svc.ContainerName()}
	if c.opts.Istio && svc.Meshed() {
		valid = append(valid, apps.IstioSidecar)
	}
	if !slices.Contains(valid, s.Container) {
		err := notSupported(s.path("container"), s.Container, valid)
		err.Detail = fmt.Sprintf("not a container of %s's pods, so the fault would select nothing; %s", svc.Name, err.Detail)
		c.e.add(err)
	}
}

// checkDuration sets how long the fault lasts: the scenario's duration or the fault's default, at most
// maxDuration and, on a schedule, at most its interval.
func (c *env) checkDuration(s *scenario, out *compiled) {
	text := s.Duration
	if text == "" {
		text = defaultDuration(s.Fault, out.interval)
	}
	p := s.path("duration")
	d, ok := c.duration(p, text, true)
	if !ok {
		return
	}
	out.dur, out.duration = d, text
	switch {
	case d > maxDuration:
		c.e.add(field.Invalid(p, text, fmt.Sprintf("expected a fault of at most %s: a one-shot fault holds its injection for its whole duration, so a longer one is most likely a typo", maxDuration)))
	case out.interval > 0 && d > out.interval:
		c.e.add(field.Invalid(p, text, fmt.Sprintf("longer than the schedule's interval (%s); expected a duration of at most %s", out.interval, out.interval)))
	}
}
