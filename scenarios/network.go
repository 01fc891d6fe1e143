package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// network builds a NetworkChaos: delay, loss, duplicate, corrupt, bandwidth or partition, towards an
// optional peer service.
func (c *env) network(s *scenario, sel v1alpha1.PodSelector) *v1alpha1.NetworkChaosSpec {
	spec := &v1alpha1.NetworkChaosSpec{PodSelector: sel}
	switch s.Fault {
	case NetworkDelay:
		spec.Action = v1alpha1.DelayAction
		c.duration(s.path("latency"), s.Latency, true)
		if s.Jitter != "" {
			if j, err := time.ParseDuration(s.Jitter); err != nil || j < 0 {
				c.e.add(field.Invalid(s.path("jitter"), s.Jitter, "expected a Go duration such as 50ms"))
			}
		}
		spec.Delay = &v1alpha1.DelaySpec{Latency: s.Latency, Jitter: s.Jitter, Correlation: c.correlation(s)}
	case NetworkLoss:
		spec.Action = v1alpha1.LossAction
		spec.Loss = &v1alpha1.LossSpec{Loss: c.percent(s.path("loss"), s.Loss, true), Correlation: c.correlation(s)}
	case NetworkDuplicate:
		spec.Action = v1alpha1.DuplicateAction
		spec.Duplicate = &v1alpha1.DuplicateSpec{Duplicate: c.percent(s.path("duplicate"), s.Duplicate, true), Correlation: c.correlation(s)}
	case NetworkCorrupt:
		spec.Action = v1alpha1.CorruptAction
		spec.Corrupt = &v1alpha1.CorruptSpec{Corrupt: c.percent(s.path("corrupt"), s.Corrupt, true), Correlation: c.correlation(s)}
	case NetworkBandwidth:
		spec.Action = v1alpha1.BandwidthAction
		spec.Bandwidth = c.bandwidth(s)
	case NetworkPartition:
		spec.Action = v1alpha1.PartitionAction
		if s.To == "" {
			c.e.add(field.Required(s.path("to"), "network-partition needs the peer service to cut the target off from"))
		}
	}
	c.peer(s, spec)
	return spec
}

// correlation checks how much each packet's fate depends on the previous one's, in percent.
func (c *env) correlation(s *scenario) string {
	if s.Correlation == "" {
		return ""
	}
	t := strings.TrimSpace(strings.TrimSuffix(s.Correlation, "%"))
	if f, err := strconv.ParseFloat(t, 64); err != nil || f < 0 || f > 100 {
		c.e.add(field.Invalid(s.path("correlation"), s.Correlation, "expected a percent from 0 to 100 (how much each packet's fate depends on the previous one)"))
		return ""
	}
	return t
}

// bandwidth checks a rate limit and its queue and bucket sizes.
func (c *env) bandwidth(s *scenario) *v1alpha1.BandwidthSpec {
	bw := &v1alpha1.BandwidthSpec{Rate: s.Rate, Limit: 20971520, Buffer: 10000}
	if s.Rate == "" {
		c.e.add(field.Required(s.path("rate"), "a rate such as 1mbps, 500kbps or 10mbit"))
	} else if r := v1alpha1.Rate(s.Rate); len(r.Validate(nil, nil)) > 0 {
		c.e.add(field.Invalid(s.path("rate"), s.Rate, "expected a rate such as 1mbps, 500kbps or 10mbit (units bps, kbps, mbps, gbps, tbps, bit, kbit, mbit, gbit, tbit)"))
	}
	size := func(key string, v *int, what string, into *uint32) {
		switch {
		case v == nil:
		case *v < 1:
			c.e.add(field.Invalid(s.path(key), *v, fmt.Sprintf("expected a whole number of bytes (%s), at least 1", what)))
		default:
			*into = uint32(min(*v, 1<<31))
		}
	}
	size("limit", s.Limit, "queued", &bw.Limit)
	size("buffer", s.Buffer, "the bucket's size", &bw.Buffer)
	return bw
}

// peer checks `to` and `direction`: the service on the other end, and which way the fault applies.
func (c *env) peer(s *scenario, spec *v1alpha1.NetworkChaosSpec) {
	if s.To != "" {
		if _, ok := c.service(s.path("to"), s.To, s.Enabled); ok {
			spec.Target = &v1alpha1.PodSelector{Selector: c.selector(s.To), Mode: v1alpha1.AllMode}
		}
	}
	switch s.Direction {
	case "":
		if s.To != "" {
			spec.Direction = v1alpha1.To
		}
	case "to", "from", "both":
		if s.To == "" {
			c.e.add(field.Invalid(s.path("direction"), s.Direction, "needs `to`: a direction is only meaningful towards a peer service"))
		}
		spec.Direction = v1alpha1.Direction(s.Direction)
	default:
		c.e.add(field.NotSupported(s.path("direction"), s.Direction, []string{"to", "from", "both"}))
	}
}
