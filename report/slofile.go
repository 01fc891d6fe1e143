package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks/stackfile"
)

// SLOsKey is the stack config key that holds the SLOs, as it appears in a Pulumi.<stack>.yaml.
const SLOsKey = "chaos-mesh-otel:slos"

// appKey is the stack config key that names the app under test, whose default SLOs apply when slos is unset.
const appKey = "chaos-mesh-otel:app"

// LoadSLOFile reads an SLO file, as --slos of `chaoslab report` and `chaoslab dashboards export` take it:
// a list in the shape of the chaos-mesh-otel:slos key, in YAML or JSON, or a Pulumi.<stack>.yaml, read
// with Pulumi's own loader (package stackfile), whose config sets that key; a stack file that does not set
// it means the defaults of its app, as it does for the program.
func LoadSLOFile(path string) ([]slo.SLO, error) {
	if isStackFile(path) {
		return stackSLOs(path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("neither YAML nor JSON: %w", err)
	}
	if top, ok := doc.(map[string]any); ok {
		hint := ""
		if _, hasConfig := top["config"]; hasConfig {
			hint = " (a stack file must be named Pulumi.<stack>.yaml, as Pulumi names it)"
		}
		return nil, fmt.Errorf("expected a list of {name, service, kind, objective, thresholdMs, window}, or a Pulumi stack file with %s under config%s", SLOsKey, hint)
	}
	asJSON, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return slo.Parse(asJSON, nil)
}

// isStackFile says whether a path names a Pulumi stack file (Pulumi.<stack>.yaml), which only Pulumi's own
// loader reads (package stackfile).
func isStackFile(path string) bool {
	base := filepath.Base(path)
	return strings.HasPrefix(base, "Pulumi.") && (strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml")) &&
		strings.Count(base, ".") >= 2
}

// stackSLOs are the SLOs of a stack file.
func stackSLOs(path string) ([]slo.SLO, error) {
	f, err := stackfile.Read(path)
	if err != nil {
		return nil, err
	}
	if f.Secure(SLOsKey) {
		return nil, fmt.Errorf("%s is encrypted in %s; give the SLOs as a list instead", SLOsKey, path)
	}
	app := apps.AstronomyShop
	if name := strings.TrimSpace(f.Values[appKey]); name != "" {
		if a, ok := apps.ByName(name); ok {
			app = a
		}
	}
	return slo.ParseFor(app, []byte(f.Values[SLOsKey]), nil)
}
