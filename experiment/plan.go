package experiment

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/agext/levenshtein"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

// configKeyScenarios is the stack config key that holds the scenarios (without the project namespace).
const configKeyScenarios = "scenarios"

// configError is a problem with the stack's config or the scenarios asked for. invalid says that the
// config itself is refused, as pulumi preview would refuse it (exit 2); else a --scenario names nothing (a
// usage error, exit 1).
type configError struct {
	lines   []string
	invalid bool
}

func (e *configError) Error() string { return strings.Join(e.lines, "\n") }

// planRun works out, from the stack's config values, what the run switches on: the whole config parsed as it
// will read with the scenarios on (so that a bad config fails here, before any change), and each asked-for
// scenario with the object it becomes. It changes nothing.
func planRun(cfg map[string]string, asked []string, parse ParseFunc, file string) (*Plan, []Scenario, error) {
	entries, err := scenarioEntries(cfg[configKeyScenarios])
	if err != nil {
		return nil, nil, &configError{lines: []string{fmt.Sprintf("%s: chaos-mesh-otel:%s: %v", file, configKeyScenarios, err)}, invalid: true}
	}
	if err := checkNames(asked, entries, file); err != nil {
		return nil, nil, err
	}
	plan, err := parse(lookupWith(cfg, switched(entries, asked, false)))
	if err != nil {
		return nil, nil, &configError{lines: append([]string{fmt.Sprintf("%s, with %s switched on:", file, strings.Join(asked, ", "))},
			strings.Split(err.Error(), "\n")...), invalid: true}
	}
	var ours []Scenario
	for _, name := range asked {
		// Parsed alone, a scenario's objects are its own: this maps it to its object without knowing how the
		// scenarios package names objects.
		alone, err := parse(lookupWith(cfg, switched(entries, []string{name}, true)))
		if err != nil {
			return nil, nil, &configError{lines: []string{fmt.Sprintf("%s: scenario %s: %v", file, name, err)}, invalid: true}
		}
		i := slices.IndexFunc(alone.Enabled, func(s Scenario) bool { return s.Name == name })
		if i < 0 {
			return nil, nil, &configError{lines: []string{fmt.Sprintf("%s: scenario %s is not enabled by chaos-mesh-otel:%s.%s.enabled: true", file, name, configKeyScenarios, name)}, invalid: true}
		}
		ours = append(ours, alone.Enabled[i])
	}
	return plan, ours, nil
}

// scenarioEntries decodes the scenarios config value (JSON, as the engine hands it over); absent is empty.
func scenarioEntries(raw string) (map[string]any, error) {
	entries := map[string]any{}
	if strings.TrimSpace(raw) == "" {
		return entries, nil
	}
	if err := json.Unmarshal([]byte(raw), &entries); err != nil {
		return nil, fmt.Errorf("expected a map of scenarios: %v", err)
	}
	return entries, nil
}

// checkNames refuses names that are neither a preset nor a key of the config, with the closest match.
func checkNames(asked []string, entries map[string]any, file string) error {
	known := append(scenarios.PresetNames(), slices.Collect(maps.Keys(entries))...)
	slices.Sort(known)
	known = slices.Compact(known)
	var lines []string
	for _, name := range asked {
		if slices.Contains(known, name) {
			continue
		}
		line := fmt.Sprintf("--scenario %s: no such scenario: not a preset and not a key of chaos-mesh-otel:%s in %s", name, configKeyScenarios, file)
		if best := closest(name, known); best != "" {
			line += fmt.Sprintf(" (did you mean %s?)", best)
		}
		lines = append(lines, line)
	}
	if len(lines) > 0 {
		return &configError{lines: append(lines, "known scenarios: "+strings.Join(known, ", "))}
	}
	return nil
}

// closest is the known name within a third of name's length in edits, if any.
func closest(name string, known []string) string {
	best, bestDist := "", len(name)/3+1
	for _, k := range known {
		if d := levenshtein.Distance(name, k, nil); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// switched is a copy of the entries with the named scenarios enabled; with others off, every other entry is
// disabled too.
func switched(entries map[string]any, on []string, othersOff bool) map[string]any {
	out := map[string]any{}
	for name, v := range entries {
		m, ok := v.(map[string]any)
		if !ok {
			out[name] = v
			continue
		}
		m = maps.Clone(m)
		if othersOff {
			m["enabled"] = false
		}
		out[name] = m
	}
	for _, name := range on {
		m, _ := out[name].(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		m["enabled"] = true
		out[name] = m
	}
	return out
}

// lookupWith reads cfg, with the scenarios key replaced.
func lookupWith(cfg map[string]string, entries map[string]any) func(string) (string, bool) {
	raw, _ := json.Marshal(entries)
	return func(key string) (string, bool) {
		if key == configKeyScenarios {
			return string(raw), true
		}
		v, ok := cfg[key]
		return v, ok
	}
}

// originalSwitches are the scenarios' enabled keys as the config holds them before the run: what a revert
// puts back.
func originalSwitches(cfg map[string]string, names []string) []Switch {
	entries, _ := scenarioEntries(cfg[configKeyScenarios])
	out := make([]Switch, 0, len(names))
	for _, name := range names {
		sw := Switch{Scenario: name}
		if v, ok := entries[name]; ok {
			sw.Entry = true
			if m, isMap := v.(map[string]any); isMap {
				if enabled, set := m["enabled"]; set {
					sw.Set = true
					sw.Enabled, _ = enabled.(bool)
				}
			}
		}
		out = append(out, sw)
	}
	return out
}
