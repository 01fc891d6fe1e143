package main

import (
	"fmt"
	"io"

	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

func init() {
	register("render", "print the Chaos Mesh Schedules and Workflows of a Pulumi.<stack>.yaml as YAML", runRender)
}

// runRender is `chaoslab render FILE`: the objects Build returns, as multi-document YAML.
func runRender(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: chaoslab render Pulumi.<stack>.yaml")
		return 2
	}
	cfg, err := loadStackConfig(args[0])
	var plan *scenarios.Plan
	if err == nil {
		plan, err = scenarios.Build(cfg.Scenarios, cfg.Options)
	}
	if err != nil {
		for _, line := range errorLines(err) {
			fmt.Fprintln(stderr, line)
		}
		return 1
	}
	if err := writeYAML(stdout, plan.Objects); err != nil {
		fmt.Fprintln(stderr, "chaoslab render:", err)
		return 1
	}
	return 0
}

// writeYAML writes the manifests as multi-document YAML, one document per object.
func writeYAML(w io.Writer, objs []scenarios.Object) error {
	for _, o := range objs {
		b, err := yaml.Marshal(o.Manifest)
		if err != nil {
			return fmt.Errorf("%s %s: %w", o.Kind, o.Name, err)
		}
		if _, err := fmt.Fprintf(w, "---\n%s", b); err != nil {
			return err
		}
	}
	return nil
}
