package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
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
	merged, names, refused := mergePresets(user, opts.Deployment.App, e)
	objectNames, renamed := objectNames(merged, names, e)
	for _, name := range names {
		checkStartNow(merged[name], e)
	}
	checkKickOffNames(merged, names, objectNames, e)
	c := &env{opts: opts, app: opts.Deployment.App, e: e}
	all := c.compileAll(merged, names)
	checkFlagConflicts(merged, names, e)
	gb := &gamedayBuilder{env: c, merged: merged, chaos: all.chaos, refused: refused}
	workflows := map[string]*v1alpha1.WorkflowSpec{}
	for _, gd := range all.gamedays {
		if ws := gb.build(gd); ws != nil {
			workflows[gd.Name] = ws
		}
	}
	if e.count() > 0 {
		return nil, e.sorted()
	}
	plan, err := assemble(names, merged, objectNames, all, workflows, gb, opts)
	if err != nil {
		return nil, field.ErrorList{err}
	}
	flagsOn := all.flagsOn
	if opts.Halt {
		flagsOn = nil
	}
	plan.FlagOverrides = flagDocument(opts.Deployment.App, flagsOn)
	plan.Renamed = renamed
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
// Presets are resolved for the app under test; one that cannot apply to it is left out, refused (with its
// reason in the returned map) only when the user names it.
func mergePresets(user map[string]map[string]any, app apps.App, e *errs) (map[string]*scenario, []string, map[string]string) {
	merged := map[string]*scenario{}
	refused := map[string]string{}
	for _, name := range PresetNames() {
		keys, refusal := presetFor(app, name)
		_, mentioned := user[name]
		switch {
		case refusal != "":
			refused[name] = refusal
			if mentioned {
				e.add(field.Forbidden(root.Child(name), fmt.Sprintf("the preset cannot apply to %s: %s", app.Name, refusal)))
			}
		case !mentioned:
			merged[name] = parseScenario(name, keys, e)
		}
	}
	for name, keys := range user {
		if refused[name] != "" {
			continue
		}
		m := map[string]any{}
		if _, ok := presets[name]; ok {
			m, _ = presetFor(app, name)
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
	return merged, names, refused
}

// objectNames derives each scenario's object name from its key; two enabled scenarios must not share one.
// renamed lists the enabled scenarios whose objects are not named as their key.
func objectNames(merged map[string]*scenario, names []string, e *errs) (out map[string]string, renamed []Rename) {
	out = map[string]string{}
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
		if on != name {
			renamed = append(renamed, Rename{Key: name, Object: on, Shortened: shortened(name)})
		}
		if prev, dup := owner[on]; dup {
			dup := field.Duplicate(root.Child(name), on)
			dup.Detail = "its object name is the same as that of scenario " + prev + "; rename one of them"
			e.add(dup)
			continue
		}
		owner[on] = name
	}
	return out, renamed
}

// compiledAll is every scenario of a config, checked: chaos scenarios and mesh faults by name, the enabled
// flag scenarios by flag, and the game days.
type compiledAll struct {
	chaos    map[string]*compiled
	meshes   map[string]*meshFault
	flagsOn  map[string]*scenario
	gamedays []*scenario
}

// compileAll checks every scenario, enabled or not, so that errors surface before a scenario is switched on.
func (c *env) compileAll(merged map[string]*scenario, names []string) compiledAll {
	out := compiledAll{chaos: map[string]*compiled{}, meshes: map[string]*meshFault{}, flagsOn: map[string]*scenario{}}
	for _, name := range names {
		s := merged[name]
		_, known := faults[s.Fault]
		switch {
		case s.isGameDay:
			out.gamedays = append(out.gamedays, s)
		case s.Fault == "":
			c.e.add(field.Required(s.path("fault"), "one of "+strings.Join(FaultNames(), ", ")+" (or steps: for a game day)"))
		case !known:
			c.e.add(notSupported(s.path("fault"), string(s.Fault), FaultNames()))
		case s.Fault == FlagFault:
			if c.compileFlag(s) && s.Enabled {
				out.flagsOn[s.Flag] = s
			}
		case s.Fault == MeshFault:
			if m := c.compileMesh(s); m != nil {
				out.meshes[name] = m
			}
		default:
			if cc := c.compileChaos(s); cc != nil {
				out.chaos[name] = cc
			}
		}
	}
	return out
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
func assemble(names []string, merged map[string]*scenario, objectNames map[string]string, all compiledAll,
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
		case s.Fault == MeshFault:
			obj := meshObject(on, all.meshes[name], opts)
			plan.Objects = append(plan.Objects, obj)
			plan.Enabled = append(plan.Enabled, Summary{Name: name, Fault: string(s.Fault), Target: s.Target, Kind: obj.Kind})
		case s.isGameDay:
			obj := gamedayObject(on, s, workflows[name], opts)
			plan.Objects = append(plan.Objects, obj)
			if s.startsNow() {
				plan.Objects = append(plan.Objects, gamedayKickOff(on, workflows[name], opts))
			}
			plan.Enabled = append(plan.Enabled, Summary{Name: name, Fault: GameDay, Target: strings.Join(gb.targets(s), ","), Kind: obj.Kind})
		default:
			obj := chaosObject(on, all.chaos[name], opts)
			plan.Objects = append(plan.Objects, obj)
			if s.startsNow() {
				plan.Objects = append(plan.Objects, chaosKickOff(on, all.chaos[name], opts))
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
