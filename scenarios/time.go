package scenarios

import (
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// timeSkew builds a TimeChaos: the target's clock shifted by an offset.
func (c *env) timeSkew(s *scenario, cs v1alpha1.ContainerSelector) *v1alpha1.TimeChaosSpec {
	if s.Offset == "" {
		c.e.add(field.Required(s.path("offset"), "a Go duration to shift the clock by, e.g. -10m or 1h"))
	} else if _, err := time.ParseDuration(s.Offset); err != nil {
		c.e.add(field.Invalid(s.path("offset"), s.Offset, "expected a Go duration to shift the clock by, e.g. -10m or 1h"))
	}
	return &v1alpha1.TimeChaosSpec{ContainerSelector: cs, TimeOffset: s.Offset}
}
