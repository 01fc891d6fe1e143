package scenarios

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// Annotations and labels written on the objects.
const (
	PauseAnnotation = v1alpha1.PauseAnnotationKey      // experiment.chaos-mesh.org/pause
	AbortAnnotation = v1alpha1.WorkflowAnnotationAbort // workflow.chaos-mesh.org/abort
	ScenarioLabel   = "chaos-mesh-otel.io/scenario"
	// maxNameLen leaves room for the suffixes Chaos Mesh appends to spawned objects and workflow nodes.
	maxNameLen = 48
)

var apiVersion = v1alpha1.SchemeGroupVersion.String()

// Build parses the raw value of the `chaos-mesh-otel:scenarios` config key (JSON; empty or "null" means none),
// merges the presets, validates everything and returns what to apply. The error, when not nil, is
// ValidationErrors with every problem found.
func Build(raw []byte, opts Options) (*Plan, error) {
	e := &errs{}
	user := map[string]map[string]any{}
	if trimmed := strings.TrimSpace(string(raw)); trimmed != "" && trimmed != "null" {
		v, err := decodeJSON([]byte(trimmed))
		if err != nil {
			return nil, ValidationErrors{{Path: "scenarios", Message: fmt.Sprintf("expected a map of scenario name to settings (JSON object): %v", err)}}
		}
		top, ok := v.(map[string]any)
		if !ok && v != nil {
			return nil, ValidationErrors{{Path: "scenarios", Message: "expected a map of scenario name to settings, got " + describe(v)}}
		}
		for name, val := range top {
			switch t := val.(type) {
			case map[string]any:
				user[name] = t
			case nil:
				user[name] = map[string]any{}
			default:
				e.add("scenarios."+name, "expected an object of scenario settings (enabled, fault, target, ...), got %s", describe(val))
			}
		}
	}
	app := opts.Deployment.App
	if app.Namespace == "" {
		e.add("options.deployment", "required: the app under test and the services this stack deploys")
	}

	// Merge presets: a user's keys override the preset's.
	merged := map[string]*scenario{}
	names := make([]string, 0, len(user)+len(presets))
	for name, keys := range presets {
		if _, mentioned := user[name]; !mentioned {
			merged[name] = parseScenario(name, cloneMap(keys), e)
			names = append(names, name)
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
		names = append(names, name)
	}
	sort.Strings(names)

	// Object names derive from the keys; they must stay distinct.
	objName := map[string]string{}
	owner := map[string]string{}
	for _, name := range names {
		on := dnsName(name)
		if on == "" {
			e.add("scenarios."+name, "the name must contain letters or digits: it becomes the object's name")
			continue
		}
		objName[name] = on
		s := merged[name]
		if !s.Enabled || s.Fault == "flag" {
			continue // only enabled scenarios become objects
		}
		if prev, dup := owner[on]; dup {
			e.add("scenarios."+name, "its object name %q is the same as that of scenario %q; rename one of them", on, prev)
			continue
		}
		owner[on] = name
	}

	c := &env{opts: opts, app: app, e: e}

	// Compile every scenario, so that errors surface even for disabled ones.
	chaos := map[string]*compiled{}
	flagsOn := map[string]*scenario{}
	var gamedays []*scenario
	for _, name := range names {
		s := merged[name]
		switch {
		case s.stepsSet:
			gamedays = append(gamedays, s)
		case s.Fault == "":
			e.add("scenarios."+name+".fault", "required: one of %s (or steps: for a game day)", strings.Join(FaultNames(), ", "))
		case s.Fault == "flag":
			if c.compileFlag(s) && s.Enabled {
				flagsOn[s.Flag] = s
			}
		default:
			if _, ok := faults[s.Fault]; !ok {
				msg := fmt.Sprintf("unknown fault %q; expected one of: %s", s.Fault, strings.Join(FaultNames(), ", "))
				if sg := suggest(s.Fault, FaultNames()); sg != "" {
					msg = fmt.Sprintf("unknown fault %q (did you mean %q?); expected one of: %s", s.Fault, sg, strings.Join(FaultNames(), ", "))
				}
				e.add("scenarios."+name+".fault", "%s", msg)
				continue
			}
			if cc := c.compileChaos(s); cc != nil {
				chaos[name] = cc
			}
		}
	}
	// Two enabled flag scenarios must not fight over one flag.
	seenFlag := map[string]string{}
	for _, name := range names {
		s := merged[name]
		if s.Fault == "flag" && s.Enabled && s.Flag != "" {
			if prev, dup := seenFlag[s.Flag]; dup {
				e.add("scenarios."+name+".flag", "flag %s is already set by enabled scenario %s; enable only one of them", s.Flag, prev)
			}
			seenFlag[s.Flag] = name
		}
	}

	gb := &gamedayBuilder{env: c, merged: merged, chaos: chaos}
	built := map[string]*v1alpha1.WorkflowSpec{}
	for _, gd := range gamedays {
		if ws := gb.build(gd); ws != nil {
			built[gd.Name] = ws
		}
	}

	if len(e.list) > 0 {
		sort.SliceStable(e.list, func(i, j int) bool { return e.list[i].Path < e.list[j].Path })
		return nil, dedupe(e.list)
	}

	plan := &Plan{}
	for _, name := range names {
		s := merged[name]
		if !s.Enabled {
			continue
		}
		on := objName[name]
		switch {
		case s.Fault == "flag":
			plan.Enabled = append(plan.Enabled, Summary{Name: name, Fault: "flag", Target: flagService(app, s.Flag), Kind: KindFlag})
		case s.stepsSet:
			obj := gamedayObject(on, s, built[name], opts)
			plan.Objects = append(plan.Objects, obj)
			plan.Enabled = append(plan.Enabled, Summary{Name: name, Fault: "gameday", Target: strings.Join(gb.targets(s), ","), Kind: obj.Kind})
		default:
			obj := chaosObject(on, chaos[name], opts)
			plan.Objects = append(plan.Objects, obj)
			plan.Enabled = append(plan.Enabled, Summary{Name: name, Fault: s.Fault, Target: s.Target, Kind: obj.Kind})
		}
	}
	for i := range plan.Objects {
		m, err := toManifest(plan.Objects[i].Typed)
		if err != nil {
			return nil, ValidationErrors{{Path: "scenarios." + plan.Objects[i].Name, Message: "internal error converting to unstructured: " + err.Error()}}
		}
		plan.Objects[i].Manifest = m
	}
	sort.SliceStable(plan.Objects, func(i, j int) bool { return plan.Objects[i].Name < plan.Objects[j].Name })
	if opts.Halt {
		flagsOn = nil
	}
	plan.FlagOverrides = flagDocument(app, flagsOn)
	return plan, nil
}

func dedupe(list ValidationErrors) ValidationErrors {
	out := list[:0]
	seen := map[FieldError]bool{}
	for _, fe := range list {
		if !seen[fe] {
			seen[fe] = true
			out = append(out, fe)
		}
	}
	return out
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

var notDNS = regexp.MustCompile(`[^a-z0-9-]+`)

// dnsName derives a DNS-1123 label from a config key: lower case, runs of other characters become '-',
// no leading or trailing '-', at most maxNameLen characters.
func dnsName(key string) string {
	s := notDNS.ReplaceAllString(strings.ToLower(key), "-")
	s = strings.Trim(s, "-")
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "-")
	}
	if len(s) > maxNameLen {
		s = strings.TrimRight(s[:maxNameLen], "-")
	}
	return s
}

func (c *env) compileFlag(s *scenario) bool {
	before := len(c.e.list)
	p := "scenarios." + s.Name
	flagNames := c.app.FlagNames()
	f, ok := c.app.Flag(s.Flag)
	switch {
	case len(flagNames) == 0:
		c.e.add(p+".fault", "%s has no feature flags; expected a Chaos Mesh fault", c.app.Name)
	case s.Flag == "":
		c.e.add(p+".flag", "required: one of the demo's flagd flags: %s", strings.Join(flagNames, ", "))
	case !ok:
		msg := fmt.Sprintf("unknown flag %q; expected one of: %s", s.Flag, strings.Join(flagNames, ", "))
		if sg := suggest(s.Flag, flagNames); sg != "" {
			msg = fmt.Sprintf("unknown flag %q (did you mean %q?); expected one of: %s", s.Flag, sg, strings.Join(flagNames, ", "))
		}
		c.e.add(p+".flag", "%s", msg)
	case s.Variant == "":
		c.e.add(p+".variant", "required: a variant of %s: %s", s.Flag, strings.Join(f.VariantNames(), ", "))
	default:
		if _, ok := f.Variants[s.Variant]; !ok {
			c.e.add(p+".variant", "unknown variant %q of flag %s; expected one of: %s", s.Variant, s.Flag, strings.Join(f.VariantNames(), ", "))
		}
	}
	if why := c.notDeployed(f.Service); s.Enabled && ok && why != "" {
		c.e.add(p+".flag", "flag %s acts on %s: %s", s.Flag, f.Service, why)
	}
	return len(c.e.list) == before
}

// flagDocument renders the flagd overrides: each flag keeps its variants and gets the chosen default.
func flagDocument(app apps.App, on map[string]*scenario) []byte {
	type flagDef struct {
		State          string         `json:"state"`
		DefaultVariant string         `json:"defaultVariant"`
		Variants       map[string]any `json:"variants"`
	}
	doc := struct {
		Flags map[string]flagDef `json:"flags"`
	}{Flags: map[string]flagDef{}}
	for name, s := range on {
		f, _ := app.Flag(name)
		doc.Flags[name] = flagDef{State: "ENABLED", DefaultVariant: s.Variant, Variants: f.Variants}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return []byte(`{"flags":{}}`)
	}
	return b
}

func objectMeta(name, scenario string, opts Options) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:      name,
		Namespace: opts.Deployment.App.Namespace,
		Labels:    map[string]string{apps.PartOfLabel: apps.PartOfValue, ScenarioLabel: name},
	}
}

// withDuration returns a copy of the chaos whose spec carries the duration (used by Schedules).
func withDuration(ec *v1alpha1.EmbedChaos, d string) v1alpha1.EmbedChaos {
	out := *ec.DeepCopy()
	ds := &d
	switch {
	case out.NetworkChaos != nil:
		out.NetworkChaos.Duration = ds
	case out.StressChaos != nil:
		out.StressChaos.Duration = ds
	case out.HTTPChaos != nil:
		out.HTTPChaos.Duration = ds
	case out.DNSChaos != nil:
		out.DNSChaos.Duration = ds
	case out.IOChaos != nil:
		out.IOChaos.Duration = ds
	case out.TimeChaos != nil:
		out.TimeChaos.Duration = ds
	case out.PodChaos != nil:
		out.PodChaos.Duration = ds
	}
	return out
}

// chaosObject makes the Schedule (with schedule) or the one-shot Workflow of a single-fault scenario.
func chaosObject(name string, cc *compiled, opts Options) Object {
	meta := objectMeta(name, cc.s.Name, opts)
	if cc.s.Schedule != "" {
		sch := &v1alpha1.Schedule{
			TypeMeta:   metav1.TypeMeta{APIVersion: apiVersion, Kind: v1alpha1.KindSchedule},
			ObjectMeta: meta,
			Spec: v1alpha1.ScheduleSpec{
				Schedule:          cc.s.Schedule,
				ConcurrencyPolicy: v1alpha1.ForbidConcurrent,
				HistoryLimit:      5,
				Type:              v1alpha1.ScheduleTemplateType(cc.kind),
				ScheduleItem:      v1alpha1.ScheduleItem{EmbedChaos: withDuration(cc.chaos, cc.duration)},
			},
		}
		if opts.Halt {
			setAnnotation(&sch.ObjectMeta, PauseAnnotation)
		}
		return Object{Name: name, Kind: KindSchedule, Typed: sch}
	}
	wf := &v1alpha1.Workflow{
		TypeMeta:   metav1.TypeMeta{APIVersion: apiVersion, Kind: v1alpha1.KindWorkflow},
		ObjectMeta: meta,
		Spec: v1alpha1.WorkflowSpec{
			Entry: "entry",
			Templates: []v1alpha1.Template{
				{Name: "entry", Type: v1alpha1.TypeSerial, Children: []string{name}},
				chaosTemplate(name, cc),
			},
		},
	}
	if opts.Halt {
		setAnnotation(&wf.ObjectMeta, AbortAnnotation)
	}
	return Object{Name: name, Kind: KindWorkflow, Typed: wf}
}

func chaosTemplate(name string, cc *compiled) v1alpha1.Template {
	d := cc.duration
	return v1alpha1.Template{Name: name, Type: cc.kind, Deadline: &d, EmbedChaos: cc.chaos.DeepCopy()}
}

func setAnnotation(m *metav1.ObjectMeta, key string) {
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[key] = "true"
}

func gamedayObject(name string, s *scenario, ws *v1alpha1.WorkflowSpec, opts Options) Object {
	meta := objectMeta(name, s.Name, opts)
	if s.Schedule != "" {
		sch := &v1alpha1.Schedule{
			TypeMeta:   metav1.TypeMeta{APIVersion: apiVersion, Kind: v1alpha1.KindSchedule},
			ObjectMeta: meta,
			Spec: v1alpha1.ScheduleSpec{
				Schedule:          s.Schedule,
				ConcurrencyPolicy: v1alpha1.ForbidConcurrent,
				HistoryLimit:      5,
				Type:              v1alpha1.ScheduleTypeWorkflow,
				ScheduleItem:      v1alpha1.ScheduleItem{Workflow: ws},
			},
		}
		if opts.Halt {
			setAnnotation(&sch.ObjectMeta, PauseAnnotation)
		}
		return Object{Name: name, Kind: KindSchedule, Typed: sch}
	}
	wf := &v1alpha1.Workflow{
		TypeMeta:   metav1.TypeMeta{APIVersion: apiVersion, Kind: v1alpha1.KindWorkflow},
		ObjectMeta: meta,
		Spec:       *ws,
	}
	if opts.Halt {
		setAnnotation(&wf.ObjectMeta, AbortAnnotation)
	}
	return Object{Name: name, Kind: KindWorkflow, Typed: wf}
}

// toManifest converts a typed object to its unstructured form without status.
func toManifest(obj client.Object) (map[string]any, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	delete(m, "status")
	if meta, ok := m["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	return m, nil
}

// gamedayBuilder turns steps into workflow templates, checking references and cycles.
type gamedayBuilder struct {
	*env
	merged map[string]*scenario
	chaos  map[string]*compiled
}

type wfCtx struct {
	templates []v1alpha1.Template
	used      map[string]bool
}

func (w *wfCtx) uniq(base string) string {
	name := dnsName(base)
	if name == "" {
		name = "t"
	}
	cand := name
	for i := 2; w.used[cand]; i++ {
		cand = fmt.Sprintf("%s-%d", name, i)
	}
	w.used[cand] = true
	return cand
}

// build validates one game day and returns its workflow spec, or nil when invalid.
func (g *gamedayBuilder) build(gd *scenario) *v1alpha1.WorkflowSpec {
	before := len(g.e.list)
	interval, _ := g.schedule(gd, true)
	w := &wfCtx{used: map[string]bool{}}
	root, total := g.gameday(gd, w, []string{gd.Name}, true, false)
	if len(g.e.list) > before {
		return nil
	}
	if interval > 0 && total > interval {
		g.e.add("scenarios."+gd.Name+".schedule", "the game day runs for %s, longer than the schedule's interval (%s); expected a sparser schedule or shorter steps", total, interval)
		return nil
	}
	return &v1alpha1.WorkflowSpec{Entry: root, Templates: w.templates}
}

// gameday adds the templates of a game day (possibly nested) and returns the root template and its length.
//
// strict is set when an enclosing game day is in use; then references to SLOs must resolve. An untouched
// preset that is not enabled is not checked against the stack's SLOs.
func (g *gamedayBuilder) gameday(gd *scenario, w *wfCtx, stack []string, top, strict bool) (string, time.Duration) {
	enabled := gd.Enabled
	strict = strict || gd.Enabled || gd.user != nil
	var children []string
	var total time.Duration
	for _, st := range gd.Steps {
		var group []string
		var longest time.Duration
		for i, ref := range st.names {
			p := st.path
			if st.parallel {
				p = fmt.Sprintf("%s[%d]", st.path, i)
			}
			name, d := g.stepRef(ref, p, w, stack, enabled, strict)
			if name != "" {
				group = append(group, name)
				longest = max(longest, d)
			}
		}
		if len(group) == 0 {
			continue
		}
		if st.parallel {
			pn := w.uniq("parallel")
			w.templates = append(w.templates, v1alpha1.Template{Name: pn, Type: v1alpha1.TypeParallel, Children: group, Deadline: deadline(longest)})
			children = append(children, pn)
		} else {
			children = append(children, group...)
		}
		total += longest
	}
	base := "entry"
	if !top {
		base = gd.Name
	}
	if gd.SteadyState == nil {
		name := w.uniq(base)
		w.templates = append(w.templates, v1alpha1.Template{Name: name, Type: v1alpha1.TypeSerial, Children: children})
		return name, total
	}
	sc := g.compileSteadyState(gd, strict)
	stepsName := w.uniq(base + "-steps")
	w.templates = append(w.templates, v1alpha1.Template{Name: stepsName, Type: v1alpha1.TypeSerial, Children: children, Deadline: deadline(total)})
	checkName := w.uniq(base + "-steady-state")
	if sc != nil {
		sc.Duration = deadline(total)
		w.templates = append(w.templates, v1alpha1.Template{
			Name: checkName, Type: v1alpha1.TypeStatusCheck, Deadline: deadline(total),
			StatusCheck: sc, AbortWithStatusCheck: true,
		})
	}
	name := w.uniq(base)
	w.templates = append(w.templates, v1alpha1.Template{Name: name, Type: v1alpha1.TypeParallel, Children: []string{stepsName, checkName}})
	return name, total
}

func deadline(d time.Duration) *string {
	s := d.String()
	return &s
}

// stepRef resolves one step entry to a template name and its duration.
func (g *gamedayBuilder) stepRef(ref, path string, w *wfCtx, stack []string, enabled, strict bool) (string, time.Duration) {
	s, ok := g.merged[ref]
	if !ok {
		var all []string
		for n := range g.merged {
			all = append(all, n)
		}
		sort.Strings(all)
		msg := fmt.Sprintf("unknown scenario %q; expected a preset or a scenario of this config: %s", ref, strings.Join(all, ", "))
		if sg := suggest(ref, all); sg != "" {
			msg = fmt.Sprintf("unknown scenario %q (did you mean %q?); expected a preset or a scenario of this config", ref, sg)
		}
		g.e.add(path, "%s", msg)
		return "", 0
	}
	for _, on := range stack {
		if on == ref {
			g.e.add(path, "cycle: %s → %s; a game day cannot include itself", strings.Join(stack, " → "), ref)
			return "", 0
		}
	}
	switch {
	case s.stepsSet:
		return g.gameday(s, w, append(append([]string{}, stack...), ref), false, strict)
	case s.Fault == "flag":
		g.e.add(path, "%s is a flag scenario; flags change flagd's configuration on `pulumi up` and cannot be a workflow step", ref)
		return "", 0
	}
	cc, ok := g.chaos[ref]
	if !ok {
		// The scenario itself is invalid and has its own errors already.
		if !g.hasErrorUnder("scenarios." + ref) {
			g.e.add(path, "scenario %s is invalid", ref)
		}
		return "", 0
	}
	if enabled {
		for _, svc := range []string{cc.s.Target, cc.s.To} {
			if why := g.notDeployed(svc); svc != "" && why != "" {
				g.e.add(path, "scenario %s touches %s: %s", ref, svc, why)
				return "", 0
			}
		}
	}
	name := w.uniq(ref)
	t := chaosTemplate(name, cc)
	w.templates = append(w.templates, t)
	return name, cc.dur
}

func (g *gamedayBuilder) hasErrorUnder(prefix string) bool {
	for _, fe := range g.e.list {
		if fe.Path == prefix || strings.HasPrefix(fe.Path, prefix+".") {
			return true
		}
	}
	return false
}

// targets lists the services a game day touches.
func (g *gamedayBuilder) targets(gd *scenario) []string {
	set := map[string]bool{}
	var walk func(s *scenario, depth int)
	walk = func(s *scenario, depth int) {
		if depth > 32 {
			return
		}
		for _, st := range s.Steps {
			for _, ref := range st.names {
				r := g.merged[ref]
				if r == nil {
					continue
				}
				if r.stepsSet {
					walk(r, depth+1)
				} else if r.Target != "" {
					set[r.Target] = true
				}
			}
		}
	}
	walk(gd, 0)
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// flagService is the service that a flag of the app acts on.
func flagService(app apps.App, flag string) string {
	f, _ := app.Flag(flag)
	return f.Service
}
