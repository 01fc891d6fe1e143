package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// step is one entry of a game day's steps: a single scenario, or several run in parallel.
type step struct {
	path     string   // key path of the entry, for errors
	names    []string // one name, or the parallel group
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

// scenario is one parsed entry of the scenarios map. Fields hold raw strings; checks happen in validate.go.
type scenario struct {
	Name    string         // the config key
	keys    map[string]any // merged raw keys (preset + user)
	user    map[string]any // the user's keys only (nil for an untouched preset)
	Enabled bool

	Fault, Target, Mode, Value, Schedule, Duration, Description string
	AllowAll                                                    bool

	// network
	Latency, Jitter, Correlation, Loss, Duplicate, Corrupt, Rate, To, Direction string
	Limit, Buffer                                                               *int
	// stress
	Workers   string // an integer or "all"
	Load      *int
	Size      string
	Container string
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
	// game day
	Steps       []step
	SteadyState *steadyState
	stepsSet    bool
}

// commonKeys are accepted on every chaos scenario.
var commonKeys = []string{"enabled", "description", "fault", "target", "mode", "value", "schedule", "duration", "allowAll"}

// gamedayKeys are accepted on a scenario with steps.
var gamedayKeys = []string{"enabled", "description", "steps", "steadyState", "schedule"}

// flagKeys are accepted on a `flag` scenario.
var flagKeys = []string{"enabled", "description", "fault", "flag", "variant"}

var steadyStateKeys = []string{"url", "slo", "statusCode", "interval", "timeout", "failureThreshold"}

// allKeys is every key the parser knows, for typo suggestions.
var allKeys = func() []string {
	set := map[string]bool{}
	for _, k := range commonKeys {
		set[k] = true
	}
	for _, k := range gamedayKeys {
		set[k] = true
	}
	for _, k := range flagKeys {
		set[k] = true
	}
	for _, f := range faults {
		for _, k := range f.keys {
			set[k] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}()

// decodeJSON parses raw config JSON keeping numbers exact.
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

// reader reads typed values out of one raw object, recording errors with key paths.
type reader struct {
	path string
	m    map[string]any
	e    *errs
}

func (r reader) p(key string) string { return r.path + "." + key }

func (r reader) has(key string) bool {
	v, ok := r.m[key]
	return ok && v != nil
}

func (r reader) str(key string) string {
	v, ok := r.m[key]
	if !ok || v == nil {
		return ""
	}
	switch t := v.(type) {
	case string:
		return strings.TrimSpace(t)
	case json.Number:
		return t.String()
	case bool:
		r.e.add(r.p(key), "expected a string, got the boolean %t", t)
	default:
		r.e.add(r.p(key), "expected a string, got %s", describe(v))
	}
	return ""
}

func (r reader) boolean(key string) bool {
	v, ok := r.m[key]
	if !ok || v == nil {
		return false
	}
	switch t := v.(type) {
	case bool:
		return t
	case string:
		if b, err := strconv.ParseBool(strings.TrimSpace(t)); err == nil {
			return b
		}
	}
	r.e.add(r.p(key), "expected true or false, got %s", describe(v))
	return false
}

// integer reads a whole number (JSON number or numeric string). ok is false when absent or invalid.
func (r reader) integer(key string) *int {
	v, ok := r.m[key]
	if !ok || v == nil {
		return nil
	}
	var s string
	switch t := v.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = strings.TrimSpace(t)
	default:
		r.e.add(r.p(key), "expected a whole number, got %s", describe(v))
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		r.e.add(r.p(key), "expected a whole number, got %q", s)
		return nil
	}
	return &n
}

func (r reader) strList(key string) []string {
	v, ok := r.m[key]
	if !ok || v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		if s, isStr := v.(string); isStr {
			return []string{strings.TrimSpace(s)}
		}
		r.e.add(r.p(key), "expected a list of strings, got %s", describe(v))
		return nil
	}
	out := make([]string, 0, len(list))
	for i, item := range list {
		s, ok := item.(string)
		if !ok {
			r.e.add(fmt.Sprintf("%s[%d]", r.p(key), i), "expected a string, got %s", describe(item))
			continue
		}
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

// unknownKeys reports keys not in allowed, suggesting the closest known key.
func (r reader) unknownKeys(allowed []string, what string) {
	set := map[string]bool{}
	for _, k := range allowed {
		set[k] = true
	}
	keys := make([]string, 0, len(r.m))
	for k := range r.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if set[k] {
			continue
		}
		msg := fmt.Sprintf("unknown key for %s; expected one of: %s", what, strings.Join(allowed, ", "))
		if s := suggest(k, allowed); s != "" {
			msg = fmt.Sprintf("unknown key for %s (did you mean %q?); expected one of: %s", what, s, strings.Join(allowed, ", "))
		}
		r.e.add(r.p(k), "%s", msg)
	}
}

func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(t)
	case json.Number:
		return "the number " + t.String()
	case bool:
		return "the boolean " + strconv.FormatBool(t)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// suggest returns the candidate closest to s when it is close enough to be a typo.
func suggest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		d := levenshtein(strings.ToLower(s), strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(s) > 8 {
		limit = 3
	}
	if bestD <= limit {
		return best
	}
	return ""
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// parseScenario reads the merged keys of one scenario. It checks types and unknown keys only.
func parseScenario(name string, keys map[string]any, e *errs) *scenario {
	r := reader{path: "scenarios." + name, m: keys, e: e}
	s := &scenario{Name: name, keys: keys}
	s.Enabled = r.boolean("enabled")
	s.Description = r.str("description")

	if _, isGameday := keys["steps"]; isGameday {
		s.stepsSet = true
		r.unknownKeys(gamedayKeys, "a game day (a scenario with steps)")
		s.Schedule = r.str("schedule")
		s.Steps = parseSteps(r, e)
		s.SteadyState = parseSteadyState(r, e)
		return s
	}

	s.Fault = r.str("fault")
	if s.Fault == "flag" {
		r.unknownKeys(flagKeys, "fault flag")
		s.Flag = r.str("flag")
		s.Variant = r.str("variant")
		return s
	}
	allowed := append([]string{}, commonKeys...)
	what := "a scenario"
	if f, ok := faults[s.Fault]; ok {
		allowed = append(allowed, f.keys...)
		what = "fault " + s.Fault
	} else {
		// Unknown or missing fault: accept any key that some fault knows, so that the real error stands out.
		allowed = allKeys
	}
	r.unknownKeys(allowed, what)

	s.Target = r.str("target")
	s.Mode = r.str("mode")
	s.Value = r.str("value")
	s.Schedule = r.str("schedule")
	s.Duration = r.str("duration")
	s.AllowAll = r.boolean("allowAll")

	s.Latency = r.str("latency")
	s.Jitter = r.str("jitter")
	s.Correlation = r.str("correlation")
	s.Loss = r.str("loss")
	s.Duplicate = r.str("duplicate")
	s.Corrupt = r.str("corrupt")
	s.Rate = r.str("rate")
	s.Limit = r.integer("limit")
	s.Buffer = r.integer("buffer")
	s.To = r.str("to")
	s.Direction = r.str("direction")

	s.Workers = r.str("workers")
	s.Load = r.integer("load")
	s.Size = r.str("size")
	s.Container = r.str("container")

	s.Port = r.integer("port")
	s.Path = r.str("path")
	s.Method = r.str("method")
	s.Delay = r.str("delay")
	s.Code = r.integer("code")

	s.Patterns = r.strList("patterns")

	s.Errno = r.integer("errno")
	s.Percent = r.str("percent")
	s.VolumePath = r.str("volumePath")

	s.Offset = r.str("offset")
	return s
}

func parseSteps(r reader, e *errs) []step {
	v := r.m["steps"]
	list, ok := v.([]any)
	if !ok {
		e.add(r.p("steps"), "expected a list of scenario names or {parallel: [names]}, got %s", describe(v))
		return nil
	}
	if len(list) == 0 {
		e.add(r.p("steps"), "expected at least one step")
	}
	var out []step
	for i, item := range list {
		p := fmt.Sprintf("%s[%d]", r.p("steps"), i)
		switch t := item.(type) {
		case string:
			out = append(out, step{path: p, names: []string{strings.TrimSpace(t)}})
		case map[string]any:
			sr := reader{path: p, m: t, e: e}
			sr.unknownKeys([]string{"parallel"}, "a step")
			pv, ok := t["parallel"]
			if !ok {
				e.add(p+".parallel", "required: a step object needs parallel: [scenario names]")
				continue
			}
			items, ok := pv.([]any)
			if !ok || len(items) == 0 {
				e.add(p+".parallel", "expected a non-empty list of scenario names, got %s", describe(pv))
				continue
			}
			st := step{path: p + ".parallel", parallel: true}
			for j, it := range items {
				name, ok := it.(string)
				if !ok {
					e.add(fmt.Sprintf("%s.parallel[%d]", p, j), "expected a scenario name, got %s", describe(it))
					continue
				}
				st.names = append(st.names, strings.TrimSpace(name))
			}
			out = append(out, st)
		default:
			e.add(p, "expected a scenario name or {parallel: [names]}, got %s", describe(item))
		}
	}
	return out
}

func parseSteadyState(r reader, e *errs) *steadyState {
	v, ok := r.m["steadyState"]
	if !ok || v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		e.add(r.p("steadyState"), "expected an object {url, statusCode, interval, failureThreshold} or {slo: NAME}, got %s", describe(v))
		return nil
	}
	sr := reader{path: r.p("steadyState"), m: m, e: e}
	sr.unknownKeys(steadyStateKeys, "steadyState")
	ss := &steadyState{URL: sr.str("url"), SLO: sr.str("slo"), StatusCode: sr.str("statusCode")}
	ss.Interval = sr.secondsKey("interval", 10)
	ss.Timeout = sr.secondsKey("timeout", 5)
	ss.FailureThreshold = 3
	if ft := sr.integer("failureThreshold"); ft != nil {
		if *ft < 1 {
			e.add(sr.p("failureThreshold"), "expected a whole number of at least 1, got %d", *ft)
		}
		ss.FailureThreshold = *ft
	}
	return ss
}

// secondsKey reads a Go duration of whole seconds (at least 1s), or returns def when absent.
func (r reader) secondsKey(key string, def int) int {
	s := r.str(key)
	if s == "" {
		return def
	}
	d, err := parseDuration(s)
	if err != nil || d.Seconds() < 1 || d%1e9 != 0 {
		r.e.add(r.p(key), "expected a Go duration of whole seconds, at least 1s (e.g. 10s), got %q", s)
		return def
	}
	return int(d.Seconds())
}
