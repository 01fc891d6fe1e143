package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// gamedayBuilder turns game days' steps into workflow templates, checking references and cycles.
type gamedayBuilder struct {
	*env
	merged map[string]*scenario
	chaos  map[string]*compiled
	// refused are the presets that cannot apply to the app under test, with the reason.
	refused map[string]string
}

// templates are the templates of one workflow being built, with unique names.
type templates struct {
	list []v1alpha1.Template
	used map[string]bool
}

// name returns a template name derived from base that no other template of the workflow has.
func (w *templates) name(base string) string {
	name := dnsName(base)
	if name == "" {
		name = "t"
	}
	candidate := name
	for i := 2; w.used[candidate]; i++ {
		candidate = fmt.Sprintf("%s-%d", name, i)
	}
	w.used[candidate] = true
	return candidate
}

func (w *templates) add(t v1alpha1.Template) { w.list = append(w.list, t) }

// build checks one game day and returns its workflow spec, or nil when it is invalid.
func (g *gamedayBuilder) build(gd *scenario) *v1alpha1.WorkflowSpec {
	before := g.e.count()
	interval, _ := g.schedule(gd)
	w := &templates{used: map[string]bool{}}
	entry, total := g.gameday(gd, w, []string{gd.Name}, true, false)
	if g.e.count() > before {
		return nil
	}
	if interval > 0 && total > interval {
		g.e.add(field.Invalid(gd.path("schedule"), gd.Schedule, fmt.Sprintf(
			"the game day runs for %s, longer than the schedule's interval (%s); expected a sparser schedule or shorter steps", total, interval)))
		return nil
	}
	return &v1alpha1.WorkflowSpec{Entry: entry, Templates: w.list}
}

// gameday adds the templates of a game day (possibly nested in another) and returns its root template and
// how long it runs. chain is the game days that include this one, to find cycles. strict is set when an
// enclosing game day is in use; then its steady state must resolve against this stack's gate.
func (g *gamedayBuilder) gameday(gd *scenario, w *templates, chain []string, top, strict bool) (string, time.Duration) {
	strict = strict || gd.Enabled || gd.user != nil
	children, total := g.steps(gd, w, chain, strict)
	base := "entry"
	if !top {
		base = gd.Name
	}
	if gd.SteadyState == nil {
		name := w.name(base)
		w.add(v1alpha1.Template{Name: name, Type: v1alpha1.TypeSerial, Children: children})
		return name, total
	}
	// The steps run beside a StatusCheck that aborts the whole workflow when the steady state breaks.
	check := g.compileSteadyState(gd, strict)
	stepsName := w.name(base + "-steps")
	w.add(v1alpha1.Template{Name: stepsName, Type: v1alpha1.TypeSerial, Children: children, Deadline: deadline(total)})
	checkName := w.name(base + "-steady-state")
	if check != nil {
		check.Duration = deadline(total)
		w.add(v1alpha1.Template{Name: checkName, Type: v1alpha1.TypeStatusCheck, Deadline: deadline(total), StatusCheck: check, AbortWithStatusCheck: true})
	}
	name := w.name(base)
	w.add(v1alpha1.Template{Name: name, Type: v1alpha1.TypeParallel, Children: []string{stepsName, checkName}})
	return name, total
}

// steps adds the templates of a game day's steps in order and returns their names and total length: a
// parallel group lasts as long as its longest member.
func (g *gamedayBuilder) steps(gd *scenario, w *templates, chain []string, strict bool) ([]string, time.Duration) {
	var children []string
	var total time.Duration
	for _, st := range gd.Steps {
		var group []string
		var longest time.Duration
		for i, ref := range st.names {
			p := st.path
			if st.parallel {
				p = st.path.Index(i)
			}
			if name, d := g.stepRef(ref, p, w, chain, gd.Enabled, strict); name != "" {
				group = append(group, name)
				longest = max(longest, d)
			}
		}
		switch {
		case len(group) == 0:
			continue
		case st.parallel:
			name := w.name("parallel")
			w.add(v1alpha1.Template{Name: name, Type: v1alpha1.TypeParallel, Children: group, Deadline: deadline(longest)})
			children = append(children, name)
		default:
			children = append(children, group...)
		}
		total += longest
	}
	return children, total
}

func deadline(d time.Duration) *string {
	s := d.String()
	return &s
}

// stepRef resolves one step to a template name and its length; "" when it cannot be a step.
func (g *gamedayBuilder) stepRef(ref string, path *field.Path, w *templates, chain []string, enabled, strict bool) (string, time.Duration) {
	s, ok := g.merged[ref]
	switch {
	case !ok && g.refused[ref] != "":
		// A preset of another app: only a game day in use is refused for it.
		if enabled || strict {
			g.e.add(field.Invalid(path, ref, fmt.Sprintf("the preset cannot apply to %s: %s", g.app.Name, g.refused[ref])))
		}
		return "", 0
	case !ok:
		err := notSupported(path, ref, g.scenarioNames())
		err.Detail = "not a preset or a scenario of this config; " + err.Detail
		g.e.add(err)
		return "", 0
	case slices.Contains(chain, ref):
		g.e.add(field.Invalid(path, ref, fmt.Sprintf("cycle: %s → %s; a game day cannot include itself", strings.Join(chain, " → "), ref)))
		return "", 0
	case s.isGameDay:
		return g.gameday(s, w, append(slices.Clone(chain), ref), false, strict)
	case s.Fault == FlagFault:
		g.e.add(field.Invalid(path, ref, "a flag scenario: flags change flagd's configuration on `pulumi up` and cannot be a workflow step"))
		return "", 0
	case s.Fault == MeshFault:
		g.e.add(field.Invalid(path, ref, "a mesh fault: an Istio VirtualService, in force while its scenario is enabled; Chaos Mesh cannot run it as a workflow step: enable the scenario itself instead"))
		return "", 0
	}
	cc, ok := g.chaos[ref]
	if !ok {
		// The scenario itself is invalid and has its own errors already.
		if !g.e.under(root.Child(ref)) {
			g.e.add(field.Invalid(path, ref, "the scenario is invalid"))
		}
		return "", 0
	}
	if why := g.meshConflict(cc.s); why != "" && enabled {
		g.e.add(field.Invalid(path, ref, why))
		return "", 0
	}
	if enabled {
		for _, svc := range []string{cc.s.Target, cc.s.To} {
			if why := g.notDeployed(svc); svc != "" && why != "" {
				g.e.add(field.Invalid(path, ref, fmt.Sprintf("the scenario touches %s, %s", svc, why)))
				return "", 0
			}
		}
	}
	name := w.name(ref)
	w.add(chaosTemplate(name, cc))
	return name, cc.dur
}

func (g *gamedayBuilder) scenarioNames() []string {
	names := make([]string, 0, len(g.merged))
	for n := range g.merged {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// targets lists the services a game day touches, through nested game days too.
func (g *gamedayBuilder) targets(gd *scenario) []string {
	var out []string
	var walk func(s *scenario, depth int)
	walk = func(s *scenario, depth int) {
		if depth > 32 { // cycles are refused elsewhere; this only bounds the walk
			return
		}
		for _, st := range s.Steps {
			for _, ref := range st.names {
				switch r := g.merged[ref]; {
				case r == nil:
				case r.isGameDay:
					walk(r, depth+1)
				case r.Target != "" && !slices.Contains(out, r.Target):
					out = append(out, r.Target)
				}
			}
		}
	}
	walk(gd, 0)
	slices.Sort(out)
	return out
}
