package scenarios

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// compileSteadyState checks a game day's steadyState and builds its StatusCheck. strict is set when the
// game day is in use; then slo: must name an SLO that this stack's gate answers for.
func (c *env) compileSteadyState(s *scenario, strict bool) *v1alpha1.StatusCheckSpec {
	ss := s.SteadyState
	p := root.Child(s.Name, "steadyState")
	before := c.e.count()
	var u, code string
	switch {
	case ss.SLO != "" && ss.URL != "":
		c.e.add(field.Forbidden(p, "url and slo together; expected either url (a check of your own) or slo (the SLO gate)"))
	case ss.SLO != "":
		c.checkGateSLO(p.Child("slo"), ss.SLO, strict)
		u = strings.TrimRight(c.opts.Gate.URL, "/") + "/slo/" + ss.SLO
		code = "200" // the gate answers 200 only while the SLO holds
		if ss.StatusCode != "" {
			c.e.add(field.Forbidden(p.Child("statusCode"), "not allowed with slo: the gate answers 200 while the SLO holds"))
		}
	case ss.URL != "":
		if pu, err := url.Parse(ss.URL); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			c.e.add(field.Invalid(p.Child("url"), ss.URL, "expected an absolute http(s) URL"))
		}
		u, code = ss.URL, "200-299"
		if ss.StatusCode != "" {
			if !validStatusRange(ss.StatusCode) {
				c.e.add(field.Invalid(p.Child("statusCode"), ss.StatusCode, "expected a status code or range such as 200 or 200-399"))
			}
			code = ss.StatusCode
		}
	default:
		c.e.add(field.Required(p, "url (with statusCode, interval, failureThreshold) or slo: NAME"))
	}
	if ss.Timeout > ss.Interval {
		c.e.add(field.Invalid(p.Child("timeout"), fmt.Sprintf("%ds", ss.Timeout), fmt.Sprintf("longer than interval (%ds); expected a timeout of at most the interval", ss.Interval)))
	}
	if c.e.count() > before {
		return nil
	}
	return &v1alpha1.StatusCheckSpec{
		Mode:             v1alpha1.StatusCheckContinuous,
		Type:             v1alpha1.TypeHTTP,
		IntervalSeconds:  ss.Interval,
		TimeoutSeconds:   ss.Timeout,
		FailureThreshold: ss.FailureThreshold,
		SuccessThreshold: 1,
		EmbedStatusCheck: &v1alpha1.EmbedStatusCheck{HTTPStatusCheck: &v1alpha1.HTTPStatusCheck{
			RequestUrl:    u,
			RequestMethod: v1alpha1.MethodGet,
			Criteria:      v1alpha1.HTTPCriteria{StatusCode: code},
		}},
	}
}

// checkGateSLO checks that a gate exists to call and that it answers for the SLO. An untouched preset
// that is not enabled is not checked against this stack's gate.
func (c *env) checkGateSLO(p *field.Path, slo string, strict bool) {
	switch {
	case !strict:
	case c.opts.Gate.URL == "":
		c.e.add(field.Invalid(p, slo, "no SLO gate in this stack to answer it: chaos-mesh-otel:sloGate is off and chaos-mesh-otel:sloGateURL is not set; set sloGateURL to a gate outside the cluster, or use url: with a check of your own"))
	case len(c.opts.Gate.SLOs) == 0:
		c.e.add(field.Invalid(p, slo, "this stack defines no SLOs"))
	case !slices.Contains(c.opts.Gate.SLOs, slo):
		c.e.add(notSupported(p, slo, c.opts.Gate.SLOs))
	}
}

// validStatusRange accepts "200" or "200-399" with codes from 100 to 599, low before high.
func validStatusRange(s string) bool {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := strconv.Atoi(strings.TrimSpace(lo))
	if err != nil || a < 100 || a > 599 {
		return false
	}
	if !isRange {
		return true
	}
	b, err := strconv.Atoi(strings.TrimSpace(hi))
	return err == nil && b >= a && b <= 599
}
