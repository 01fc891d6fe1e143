package scenarios

import (
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// step is one entry of a game day's steps: a single scenario, or several run in parallel.
type step struct {
	path     *field.Path // the entry's key path, for errors
	names    []string    // one name, or the parallel group
	parallel bool
}

// steadyState is the HTTP check that guards a game day.
type steadyState struct {
	URL              string
	SLO              string
	StatusCode       string
	Interval         int // seconds
	Timeout          int // seconds
	FailureThreshold int
}

// scenario is one parsed entry of the scenarios map. Fields hold the raw values; the fault families check
// them when they build their specs.
type scenario struct {
	Name    string         // the config key
	keys    map[string]any // merged raw keys (preset + user)
	user    map[string]any // the user's keys only (nil for an untouched preset)
	Enabled bool

	Fault                                                Fault
	Target, Mode, Value, Schedule, Duration, Description string
	AllowAll                                             bool
	// StartNow is the startNow key, nil when absent: a scheduled scenario also strikes once at switch-on
	// unless it is false (kickoff.go).
	StartNow *bool

	// network
	Latency, Jitter, Correlation, Loss, Duplicate, Corrupt, Rate, To, Direction string
	Limit, Buffer                                                               *int
	// stress
	Workers   string // an integer or "all"
	Load      *int
	Size      string
	Container string
	AllowOOM  bool // memory-stress: a size over the container's limit is meant
	// http
	Port         *int
	Path, Method string
	Delay        string
	Code         *int
	// dns
	Patterns []string
	// io
	Errno      *int
	Percent    string
	VolumePath string
	// time
	Offset string
	// flag
	Flag, Variant string
	// mesh (with Delay and Port above)
	Abort, DelayPercent, AbortPercent, From string
	// game day
	Steps       []step
	SteadyState *steadyState
	isGameDay   bool
}

// path is the key path of one of the scenario's keys.
func (s *scenario) path(key string) *field.Path { return root.Child(s.Name, key) }

// commonKeys are accepted on every chaos scenario.
var commonKeys = []string{"enabled", "description", "fault", "target", "mode", "value", "schedule", "startNow", "duration", "allowAll"}

// gamedayKeys are accepted on a scenario with steps.
var gamedayKeys = []string{"enabled", "description", "steps", "steadyState", "schedule", "startNow"}

// flagKeys are accepted on a flag scenario.
var flagKeys = []string{"enabled", "description", "fault", "flag", "variant"}

var steadyStateKeys = []string{"url", "slo", "statusCode", "interval", "timeout", "failureThreshold"}

// allKeys is every key the parser knows, for typo suggestions when the fault itself is unknown.
var allKeys = func() []string {
	all := slices.Concat(commonKeys, gamedayKeys, flagKeys)
	for _, f := range faults {
		all = append(all, f.keys...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}()

// parseScenario reads the merged keys of one scenario. It checks types and unknown keys only.
func parseScenario(name string, keys map[string]any, e *errs) *scenario {
	r := reader{path: root.Child(name), m: keys, e: e}
	s := &scenario{Name: name, keys: keys}
	s.Enabled = r.boolean("enabled")
	s.Description = r.str("description")
	if _, isGameDay := keys["steps"]; isGameDay {
		s.isGameDay = true
		r.unknownKeys(gamedayKeys, "a game day (a scenario with steps)")
		s.Schedule = r.str("schedule")
		s.StartNow = r.optBoolean("startNow")
		s.Steps = parseSteps(r)
		s.SteadyState = parseSteadyState(r)
		return s
	}
	s.Fault = Fault(r.str("fault"))
	if s.Fault == FlagFault {
		r.unknownKeys(flagKeys, "fault flag")
		s.Flag = r.str("flag")
		s.Variant = r.str("variant")
		return s
	}
	if def, ok := faults[s.Fault]; ok {
		r.unknownKeys(slices.Concat(commonKeys, def.keys), "fault "+string(s.Fault))
	} else {
		// Unknown or missing fault: accept any key that some fault knows, so that the real error stands out.
		r.unknownKeys(allKeys, "a scenario")
	}
	s.readCommon(r)
	s.readFamilies(r)
	return s
}

func (s *scenario) readCommon(r reader) {
	s.Target = r.str("target")
	s.Mode = r.str("mode")
	s.Value = r.str("value")
	s.Schedule = r.str("schedule")
	s.StartNow = r.optBoolean("startNow")
	s.Duration = r.str("duration")
	s.AllowAll = r.boolean("allowAll")
}

// readFamilies reads the keys of every fault family; unknownKeys has refused those of other families.
func (s *scenario) readFamilies(r reader) {
	s.Latency, s.Jitter, s.Correlation = r.str("latency"), r.str("jitter"), r.str("correlation")
	s.Loss, s.Duplicate, s.Corrupt = r.str("loss"), r.str("duplicate"), r.str("corrupt")
	s.Rate, s.Limit, s.Buffer = r.str("rate"), r.integer("limit"), r.integer("buffer")
	s.To, s.Direction = r.str("to"), r.str("direction")

	s.Workers, s.Load, s.Size, s.Container = r.str("workers"), r.integer("load"), r.str("size"), r.str("container")
	s.AllowOOM = r.boolean("allowOOM")

	s.Port, s.Path, s.Method = r.integer("port"), r.str("path"), r.str("method")
	s.Delay, s.Code = r.str("delay"), r.integer("code")

	s.Patterns = r.strList("patterns")

	s.Errno, s.Percent, s.VolumePath = r.integer("errno"), r.str("percent"), r.str("volumePath")

	s.Offset = r.str("offset")

	s.Abort, s.DelayPercent, s.AbortPercent, s.From = r.str("abort"), r.str("delayPercent"), r.str("abortPercent"), r.str("from")
}

func parseSteps(r reader) []step {
	v := r.m["steps"]
	list, ok := v.([]any)
	if !ok {
		r.e.add(typeError(r.p("steps"), v, "expected a list of scenario names or {parallel: [names]}"))
		return nil
	}
	if len(list) == 0 {
		r.e.add(field.Required(r.p("steps"), "at least one step: a scenario name or {parallel: [names]}"))
	}
	var out []step
	for i, item := range list {
		p := r.p("steps").Index(i)
		switch t := item.(type) {
		case string:
			out = append(out, step{path: p, names: []string{strings.TrimSpace(t)}})
		case map[string]any:
			if st, ok := parseParallel(reader{path: p, m: t, e: r.e}); ok {
				out = append(out, st)
			}
		default:
			r.e.add(typeError(p, item, "expected a scenario name or {parallel: [names]}"))
		}
	}
	return out
}

// parseParallel reads a step {parallel: [names]}.
func parseParallel(r reader) (step, bool) {
	r.unknownKeys([]string{"parallel"}, "a step")
	pv, ok := r.m["parallel"]
	if !ok {
		r.e.add(field.Required(r.p("parallel"), "a step object needs parallel: [scenario names]"))
		return step{}, false
	}
	items, ok := pv.([]any)
	switch {
	case !ok:
		r.e.add(typeError(r.p("parallel"), pv, "expected a non-empty list of scenario names"))
		return step{}, false
	case len(items) == 0:
		r.e.add(field.Required(r.p("parallel"), "a non-empty list of scenario names"))
		return step{}, false
	}
	st := step{path: r.p("parallel"), parallel: true}
	for j, it := range items {
		name, ok := it.(string)
		if !ok {
			r.e.add(typeError(r.p("parallel").Index(j), it, "expected a scenario name"))
			continue
		}
		st.names = append(st.names, strings.TrimSpace(name))
	}
	return st, true
}

func parseSteadyState(r reader) *steadyState {
	v, ok := r.m["steadyState"]
	if !ok || v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		r.e.add(typeError(r.p("steadyState"), v, "expected an object {url, statusCode, interval, failureThreshold} or {slo: NAME}"))
		return nil
	}
	sr := reader{path: r.p("steadyState"), m: m, e: r.e}
	sr.unknownKeys(steadyStateKeys, "steadyState")
	ss := &steadyState{URL: sr.str("url"), SLO: sr.str("slo"), StatusCode: sr.str("statusCode")}
	ss.Interval = sr.seconds("interval", 10)
	ss.Timeout = sr.seconds("timeout", 5)
	ss.FailureThreshold = 3
	if ft := sr.integer("failureThreshold"); ft != nil {
		if *ft < 1 {
			r.e.add(field.Invalid(sr.p("failureThreshold"), *ft, "expected a whole number of at least 1"))
		}
		ss.FailureThreshold = *ft
	}
	return ss
}

// seconds reads a Go duration of whole seconds (at least 1s), or returns def when absent.
func (r reader) seconds(key string, def int) int {
	s := r.str(key)
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Second || d%time.Second != 0 {
		r.e.add(field.Invalid(r.p(key), s, "expected a Go duration of whole seconds, at least 1s (e.g. 10s)"))
		return def
	}
	return int(d.Seconds())
}
