package main

import (
	"fmt"
	"io"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

func init() {
	register("validate", "check the scenarios of a Pulumi.<stack>.yaml (exit 0 valid, 1 invalid)", runValidate)
}

// runValidate is `chaoslab validate FILE`.
func runValidate(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: chaoslab validate Pulumi.<stack>.yaml")
		return 2
	}
	cfg, err := loadStackConfig(args[0])
	if err == nil {
		var plan *scenarios.Plan
		plan, err = scenarios.Build(cfg.Scenarios, cfg.Options)
		if err == nil {
			fmt.Fprintf(stdout, "%s: valid; %d scenario(s) enabled, %d Chaos Mesh object(s)%s\n", args[0], len(plan.Enabled), len(plan.Objects), haltNote(cfg.Options.Halt))
			for _, s := range plan.Enabled {
				fmt.Fprintf(stdout, "  %-28s %-9s %-18s %s\n", s.Name, s.Kind, s.Fault, s.Target)
			}
			return 0
		}
	}
	for _, line := range errorLines(err) {
		fmt.Fprintln(stderr, line)
	}
	return 1
}

func haltNote(halt bool) string {
	if halt {
		return " (halt: Schedules paused, Workflows aborted, flag overrides dropped)"
	}
	return ""
}
