package scenarios

import (
	"strings"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// dns builds a DNSChaos: errors or random answers for the names the target resolves (every name when no
// pattern is given). It needs Chaos Mesh's DNS server.
func (c *env) dns(s *scenario, cs v1alpha1.ContainerSelector) *v1alpha1.DNSChaosSpec {
	spec := &v1alpha1.DNSChaosSpec{ContainerSelector: cs, Action: v1alpha1.ErrorAction, DomainNamePatterns: s.Patterns}
	if s.Fault == DNSRandom {
		spec.Action = v1alpha1.RandomAction
	}
	for i, p := range s.Patterns {
		if p == "" || strings.ContainsAny(p, " /:") {
			c.e.add(field.Invalid(s.path("patterns").Index(i), p, "expected a domain pattern such as product-catalog or *.svc.cluster.local"))
		}
	}
	return spec
}
