package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// Config keys of the program (project chaos-mesh-otel).
const (
	keyScenarios     = "chaos-mesh-otel:scenarios"
	keyHalt          = "chaos-mesh-otel:halt"
	keyLLMComponents = "chaos-mesh-otel:llmComponents"
	keySLOs          = "chaos-mesh-otel:slos"
)

// stackConfig is what chaoslab reads from a Pulumi.<stack>.yaml.
type stackConfig struct {
	Scenarios []byte // raw JSON of chaos-mesh-otel:scenarios, nil when absent
	Options   scenarios.Options
}

// loadStackConfig reads a Pulumi.<stack>.yaml and derives the scenario options the way the program does.
// Problems with the file itself come back as ValidationErrors too, so that validate prints one line each.
func loadStackConfig(path string) (*stackConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseStackConfig(data)
}

func parseStackConfig(data []byte) (*stackConfig, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, scenarios.ValidationErrors{{Path: "config", Message: "not valid YAML: " + err.Error()}}
	}
	var doc struct {
		Config map[string]json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		return nil, scenarios.ValidationErrors{{Path: "config", Message: "expected a Pulumi stack file with a config: map: " + err.Error()}}
	}
	var errs scenarios.ValidationErrors
	boolKey := func(key string) bool {
		raw, ok := doc.Config[key]
		if !ok {
			return false
		}
		var v any
		_ = json.Unmarshal(raw, &v)
		switch t := v.(type) {
		case nil:
			return false
		case bool:
			return t
		case string:
			if b, err := strconv.ParseBool(strings.TrimSpace(t)); err == nil {
				return b
			}
		}
		errs = append(errs, scenarios.FieldError{Path: strings.TrimPrefix(key, "chaos-mesh-otel:"), Message: "expected true or false, got " + string(raw)})
		return false
	}
	halt := boolKey(keyHalt)
	llm := boolKey(keyLLMComponents)

	slos := slo.Defaults()
	if raw, ok := doc.Config[keySLOs]; ok {
		parsed, err := slo.Parse(unwrapString(raw), components.ShopDeployment(llm).ServiceNames())
		if err != nil {
			if fes, ok := err.(slo.Errors); ok {
				for _, fe := range fes {
					errs = append(errs, scenarios.FieldError{Path: fe.Path, Message: fe.Message})
				}
			} else {
				errs = append(errs, scenarios.FieldError{Path: "slos", Message: err.Error()})
			}
		} else {
			slos = parsed
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	cfg := &stackConfig{Options: scenarios.Options{
		Deployment: components.ShopDeployment(llm),
		Gate:       scenarios.Gate{URL: components.SLOGateInClusterURL(components.ObservabilityNamespace), SLOs: slo.Names(slos)},
		Halt:       halt,
	}}
	if raw, ok := doc.Config[keyScenarios]; ok {
		cfg.Scenarios = unwrapString(raw)
	}
	return cfg, nil
}

// unwrapString accepts both an object value and a JSON document stored as a string (pulumi config set).
func unwrapString(raw json.RawMessage) []byte {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return []byte(s)
	}
	return raw
}

// errorLines formats an error as one line per problem.
func errorLines(err error) []string {
	if ve, ok := err.(scenarios.ValidationErrors); ok {
		out := make([]string, len(ve))
		for i, fe := range ve {
			out[i] = fe.Error()
		}
		return out
	}
	return []string{fmt.Sprint(err)}
}
