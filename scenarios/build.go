package scenarios

import (
	"slices"
	"strings"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Build parses the raw value of the `chaos-mesh-otel:scenarios` config key (JSON; empty or "null" means
// none), merges the presets, checks everything and returns what to apply. When the config is invalid it
// returns every problem found, each a field.Error whose path names the key, sorted by path.
func Build(raw []byte, opts Options) (*Plan, field.ErrorList) {
	e := &errs{}
	user, ok := userScenarios(raw, e)
	if !ok {
		return nil, e.sorted()
	}
	if opts.Deployment.App.Namespace == "" {
		e.add(field.Required(field.NewPath("options", "deployment"), "the app under test and the services this stack deploys"))
		return nil, e.sorted()
	}
	merged, names := mergePresets(user, e)
	objectNames := objectNames(merged, names, e)
	for _, name := range names {
		checkStartNow(merged[name], e)
	}
	checkKickOffNames(merged, names, objectNames, e)
	c := &env{opts: opts, app: opts.Deployment.App, e: e}
	chaos, flagsOn, gamedays := c.compileAll(merged, names)
	checkFlagConflicts(merged, names, e)
	gb := &gamedayBuilder{env: c, merged: merged, chaos: chaos}
	workflows := map[string]*v1alpha1.WorkflowSpec{}
	for _, gd := range gamedays {
		if ws := gb.build(gd); ws != nil {
			workflows[gd.Name] = ws
		}
	}
	if e.count() > 0 {
		return nil, e.sorted()
	}
	plan, err := assemble(names, merged, objectNames, chaos, workflows, gb, opts)
	if err != nil {
		return nil, field.ErrorList{err}
	}
	if opts.Halt {
		flagsOn = nil
	}
	plan.FlagOverrides = flagDocument(opts.Deployment.App, flagsOn)
	return plan, nil
}

// userScenarios reads the config's map of scenario name to settings. ok is false when its shape is wrong
// altogether, and nothing more can be checked.
func userScenarios(raw []byte, e *errs) (map[string]map[string]any, bool) {
	user := map[string]map[string]any{}
	trimmed := strings.TrimSpace(string(raw))
	if trimmed == "" || trimmed == "null" {
		return user, true
	}
	v, err := decodeJSON([]byte(trimmed))
	if err != nil {
		e.add(field.Invalid(root, field.OmitValueType{}, "expected a map of scenario name to settings (JSON object): "+err.Error()))
		return nil, false
	}
	top, isMap := v.(map[string]any)
	if !isMap {
		e.add(typeError(root, v, "expected a map of scenario name to settings"))
		return nil, false
	}
	for name, val := range top {
		switch t := val.(type) {
		case map[string]any:
			user[name] = t
		case nil:
			user[name] = map[string]any{}
		default:
			e.add(typeError(root.Child(name), val, "expected an object of scenario settings (enabled, fault, target, ...)"))
		}
	}
	return user, true
}

// mergePresets parses every preset and user scenario; a user's keys override a preset's of the same name.
func mergePresets(user map[string]map[string]any, e *errs) (map[string]*scenario, []string) {
	merged := map[string]*scenario{}
	for name, keys := range presets {
		if _, mentioned := user[name]; !mentioned {
			merged[name] = parseScenario(name, cloneMap(keys), e)
		}
	}
	for name, keys := range user {
		m := map[string]any{}
		if p, ok := presets[name]; ok {
			m = cloneMap(p)
		}
		for k, v := range keys {
			m[k] = v
		}
		s := parseScenario(name, m, e)
		s.user = keys
		merged[name] = s
	}
	names := make([]string, 0, len(merged))
	for name := range merged {
		names = append(names, name)
	}
	slices.Sort(names)
	return merged, names
}

// objectNames derives each scenario's object name from its key; two enabled scenarios must not share one.
func objectNames(merged map[string]*scenario, names []string, e *errs) map[string]string {
	out := map[string]string{}
	owner := map[string]string{}
	for _, name := range names {
		on := dnsName(name)
		if on == "" {
			e.add(field.Invalid(root.Child(name), name, "the name must contain letters or digits: it becomes the object's name"))
			continue
		}
		out[name] = on
		if s := merged[name]; !s.Enabled || s.Fault == FlagFault {
			continue // only enabled chaos scenarios become objects
		}
		if prev, dup := owner[on]; dup {
			dup := field.Duplicate(root.Child(name), on)
			dup.Detail = "its object name is the same as that of scenario " + prev + "; rename one of them"
			e.add(dup)
			continue
		}
		owner[on] = name
	}
	return out
}

// compileAll checks every scenario, enabled or not, so that errors surface before a scenario is switched on.
// It returns the compiled chaos scenarios, the enabled flag scenarios by flag, and the game days.
func (c *env) compileAll(merged map[string]*scenario, names []string) (map[string]*compiled, map[string]*scenario, []*scenario) {
	chaos := map[string]*compiled{}
	flagsOn := map[string]*scenario{}
	var gamedays []*scenario
	for _, name := range names {
		s := merged[name]
		_, known := faults[s.Fault]
		switch {
		case s.isGameDay:
			gamedays = append(gamedays, s)
		case s.Fault == "":
			c.e.add(field.Required(s.path("fault"), "one of "+strings.Join(FaultNames(), ", ")+" (or steps: for a game day)"))
		case !known:
			c.e.add(notSupported(s.path("fault"), string(s.Fault), FaultNames()))
		case s.Fault == FlagFault:
			if c.compileFlag(s) && s.Enabled {
				flagsOn[s.Flag] = s
			}
		default:
			if cc := c.compileChaos(s); cc != nil {
				chaos[name] = cc
			}
		}
	}
	return chaos, flagsOn, gamedays
}

// checkFlagConflicts refuses two enabled flag scenarios that set one flag.
func checkFlagConflicts(merged map[string]*scenario, names []string, e *errs) {
	setBy := map[string]string{}
	for _, name := range names {
		s := merged[name]
		if s.Fault != FlagFault || !s.Enabled || s.Flag == "" {
			continue
		}
		if prev, dup := setBy[s.Flag]; dup {
			e.add(field.Invalid(s.path("flag"), s.Flag, "already set by enabled scenario "+prev+"; enable only one of them"))
		}
		setBy[s.Flag] = name
	}
}

// assemble makes the plan of a valid config: one summary per enabled scenario, and its object, with the
// kick-off Workflow beside a Schedule (kickoff.go).
func assemble(names []string, merged map[string]*scenario, objectNames map[string]string, chaos map[string]*compiled,
	workflows map[string]*v1alpha1.WorkflowSpec, gb *gamedayBuilder, opts Options) (*Plan, *field.Error) {
	plan := &Plan{}
	for _, name := range names {
		s := merged[name]
		if !s.Enabled {
			continue
		}
		on := objectNames[name]
		switch {
		case s.Fault == FlagFault:
			plan.Enabled = append(plan.Enabled, Summary{Name: name, Fault: string(FlagFault), Target: flagService(opts.Deployment.App, s.Flag), Kind: KindFlag})
		case s.isGameDay:
			obj := gamedayObject(on, s, workflows[name], opts)
			plan.Objects = append(plan.Objects, obj)
			if s.startsNow() {
				plan.Objects = append(plan.Objects, gamedayKickOff(on, workflows[name], opts))
			}
			plan.Enabled = append(plan.Enabled, Summary{Name: name, Fault: GameDay, Target: strings.Join(gb.targets(s), ","), Kind: obj.Kind})
		default:
			obj := chaosObject(on, chaos[name], opts)
			plan.Objects = append(plan.Objects, obj)
			if s.startsNow() {
				plan.Objects = append(plan.Objects, chaosKickOff(on, chaos[name], opts))
			}
			plan.Enabled = append(plan.Enabled, Summary{Name: name, Fault: string(s.Fault), Target: s.Target, Kind: obj.Kind})
		}
	}
	for i := range plan.Objects {
		m, err := toManifest(plan.Objects[i].Typed)
		if err != nil {
			return nil, field.InternalError(root.Child(plan.Objects[i].Name), err)
		}
		plan.Objects[i].Manifest = m
	}
	slices.SortStableFunc(plan.Objects, func(a, b Object) int { return strings.Compare(a.Name, b.Name) })
	return plan, nil
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
