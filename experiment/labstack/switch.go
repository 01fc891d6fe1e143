package labstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// scenariosKey is the full config key of the scenarios.
var scenariosKey = stacks.ConfigNamespace + ":" + stacks.KeyScenarios

// Switch sets each scenario's enabled switch with `pulumi config set`. The scenarios are usually a map in the
// stack file: each switch is then one path (scenarios["name"].enabled), so nothing else in the map changes.
// When they are one JSON string (pulumi config set scenarios '{...}'), the string is rewritten whole.
func (e *engine) Switch(ctx context.Context, names []string, on bool) error {
	form, err := scenariosForm(e.file)
	if err != nil {
		return err
	}
	switch form {
	case formSecret:
		return fmt.Errorf("%s is a secret in %s; chaoslab run cannot switch scenarios in it", scenariosKey, e.file)
	case formString:
		return e.switchInString(ctx, names, on)
	}
	values := auto.ConfigMap{}
	for _, name := range names {
		values[fmt.Sprintf("%s[%s].enabled", scenariosKey, strconv.Quote(name))] = auto.ConfigValue{Value: strconv.FormatBool(on)}
	}
	return e.stack.SetAllConfigWithOptions(ctx, values, &auto.ConfigOptions{Path: true})
}

// How the scenarios are written in the stack file.
const (
	formMap    = "map" // or absent
	formString = "string"
	formSecret = "secret"
)

func scenariosForm(file string) (string, error) {
	f, err := stacks.ReadStackFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return formMap, nil
	}
	if err != nil {
		return "", err
	}
	_, set := f.Values[scenariosKey]
	switch {
	case f.Secure(scenariosKey):
		return formSecret, nil
	case set && !slices.Contains(f.Structured, scenariosKey):
		return formString, nil
	}
	return formMap, nil
}

func (e *engine) switchInString(ctx context.Context, names []string, on bool) error {
	return e.editString(ctx, func(entries map[string]any) {
		for _, name := range names {
			entry, _ := entries[name].(map[string]any)
			if entry == nil {
				entry = map[string]any{}
			}
			entry["enabled"] = on
			entries[name] = entry
		}
	})
}

// editString rewrites the scenarios when they are one JSON string: it reads the map, lets edit change it,
// and sets the string again.
func (e *engine) editString(ctx context.Context, edit func(entries map[string]any)) error {
	current, err := e.stack.GetConfig(ctx, scenariosKey)
	if err != nil {
		return err
	}
	entries := map[string]any{}
	if current.Value != "" {
		if err := json.Unmarshal([]byte(current.Value), &entries); err != nil {
			return fmt.Errorf("%s in %s: expected a JSON map of scenarios: %w", scenariosKey, e.file, err)
		}
	}
	edit(entries)
	raw, err := json.Marshal(entries)
	if err != nil {
		return err
	}
	return e.stack.SetConfig(ctx, scenariosKey, auto.ConfigValue{Value: string(raw)})
}

// Revert sets each scenario's enabled key back to what it was before a run, with `pulumi config set` or
// `rm` on that one path, so that nothing else of the stack file changes: a person's edits stay. A scenario
// that had no entry loses the entry the run added.
func (e *engine) Revert(ctx context.Context, switches []experiment.Switch) error {
	form, err := scenariosForm(e.file)
	if err != nil {
		return err
	}
	switch form {
	case formSecret:
		return fmt.Errorf("%s is a secret in %s; chaoslab run cannot revert scenarios in it", scenariosKey, e.file)
	case formString:
		return e.revertInString(ctx, switches)
	}
	opts := &auto.ConfigOptions{Path: true}
	for _, sw := range switches {
		entry := fmt.Sprintf("%s[%s]", scenariosKey, strconv.Quote(sw.Scenario))
		var err error
		switch {
		case sw.Set:
			err = e.stack.SetConfigWithOptions(ctx, entry+".enabled", auto.ConfigValue{Value: strconv.FormatBool(sw.Enabled)}, opts)
		case sw.Entry:
			err = e.stack.RemoveConfigWithOptions(ctx, entry+".enabled", opts)
		default:
			err = e.stack.RemoveConfigWithOptions(ctx, entry, opts)
		}
		if err != nil && !strings.Contains(err.Error(), "not found") {
			return fmt.Errorf("reverting %s.enabled: %w", entry, err)
		}
	}
	return nil
}

// revertInString is Revert when the scenarios are one JSON string.
func (e *engine) revertInString(ctx context.Context, switches []experiment.Switch) error {
	return e.editString(ctx, func(entries map[string]any) {
		for _, sw := range switches {
			entry, _ := entries[sw.Scenario].(map[string]any)
			switch {
			case sw.Set && entry != nil:
				entry["enabled"] = sw.Enabled
			case sw.Entry && entry != nil:
				delete(entry, "enabled")
			default:
				delete(entries, sw.Scenario)
			}
		}
	})
}
