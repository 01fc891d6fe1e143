package scenarios

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// env is what compiling a scenario needs: the stack's options, the app under test, and the errors so far.
type env struct {
	opts Options
	app  apps.App
	e    *errs
}

// service checks a service name used at path and returns its catalog entry. mustRun refuses a service that
// this stack does not deploy; a scenario that is not enabled may name one.
func (c *env) service(path *field.Path, name string, mustRun bool) (apps.Service, bool) {
	if name == "" {
		c.e.add(field.Required(path, fmt.Sprintf("a service of %s (%s)", c.app.Name, strings.Join(c.opts.Deployment.ServiceNames(), ", "))))
		return apps.Service{}, false
	}
	svc, ok := c.app.Service(name)
	if !ok {
		err := notSupported(path, name, c.opts.Deployment.ServiceNames())
		err.Detail = fmt.Sprintf("not a service of %s in namespace %s; %s", c.app.Name, c.app.Namespace, err.Detail)
		c.e.add(err)
		return apps.Service{}, false
	}
	if why := c.notDeployed(name); mustRun && why != "" {
		c.e.add(field.Invalid(path, name, why))
		return svc, false
	}
	return svc, true
}

// notDeployed says why a service of the catalog is not deployed in this stack, or "" when it is.
func (c *env) notDeployed(name string) string {
	if why := c.opts.Deployment.WhyNot(name); why != "" {
		return "not deployed in this stack: " + why
	}
	return ""
}

// selector selects the pods of one service of the app.
func (c *env) selector(service string) v1alpha1.PodSelectorSpec {
	return v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{
		Namespaces:     []string{c.app.Namespace},
		LabelSelectors: c.app.Selector(service),
	}}
}

var validModes = []string{"one", "all", "fixed", "fixed-percent", "random-max-percent"}

// podSelector checks target, mode, value and allowAll, and selects the target's pods.
func (c *env) podSelector(s *scenario) v1alpha1.PodSelector {
	svc, targetOK := c.service(s.path("target"), s.Target, s.Enabled)
	mode := s.Mode
	if mode == "" {
		mode = "one"
	}
	c.checkModeValue(s, mode)
	value := strings.TrimSuffix(s.Value, "%")
	everyPod := mode == "all" || ((mode == "fixed-percent" || mode == "random-max-percent") && value == "100")
	if targetOK && svc.Stateful && everyPod && !s.AllowAll {
		c.e.add(field.Invalid(s.path("allowAll"), s.AllowAll, fmt.Sprintf(
			"must be true to hit every pod of the stateful service %s (mode %s); expected allowAll: true or a smaller mode such as one", svc.Name, mode)))
	}
	return v1alpha1.PodSelector{Selector: c.selector(s.Target), Mode: v1alpha1.SelectorMode(mode), Value: value}
}

// checkModeValue checks that value fits the mode: none for one and all, a count or a percent otherwise.
func (c *env) checkModeValue(s *scenario, mode string) {
	switch mode {
	case "one", "all":
		if s.Value != "" {
			c.e.add(field.Invalid(s.path("value"), s.Value, fmt.Sprintf("must be empty with mode %s; value is only for fixed, fixed-percent and random-max-percent", mode)))
		}
	case "fixed":
		if n, err := strconv.Atoi(s.Value); s.Value == "" || err != nil || n < 1 {
			c.e.add(valueError(s, "mode fixed needs value: a whole number of pods, at least 1"))
		}
	case "fixed-percent", "random-max-percent":
		if _, ok := wholePercent(s.Value); !ok {
			c.e.add(valueError(s, fmt.Sprintf("mode %s needs value: a whole percent from 1 to 100", mode)))
		}
	default:
		c.e.add(notSupported(s.path("mode"), s.Mode, validModes))
	}
}

// valueError is a missing or wrong value for the mode.
func valueError(s *scenario, detail string) *field.Error {
	if s.Value == "" {
		return field.Required(s.path("value"), detail)
	}
	return field.Invalid(s.path("value"), s.Value, detail)
}

// containerSelector selects the target's pods and, when the scenario names one, a container of them.
func containerSelector(s *scenario, sel v1alpha1.PodSelector) v1alpha1.ContainerSelector {
	cs := v1alpha1.ContainerSelector{PodSelector: sel}
	if s.Container != "" {
		cs.ContainerNames = []string{s.Container}
	}
	return cs
}
