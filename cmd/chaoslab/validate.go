package main

import (
	"fmt"
	"io"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

func init() {
	register("validate", "check a Pulumi.<stack>.yaml exactly as pulumi preview checks its config", runValidate)
}

func validateHelp(w io.Writer) {
	fmt.Fprint(w, `usage: chaoslab validate Pulumi.<stack>.yaml

Checks a stack file with the program's own config parser (stacks.ParseConfig), so that it accepts exactly
what pulumi preview accepts: every key of the chaos-mesh-otel namespace (an unknown key is an error), the
app under test and Istio (app, istio), the scenarios, the SLOs, the SLO gate. Scenarios are checked
against the chosen app's services and, for mesh faults, against Istio being on. It prints every problem
at once, each naming its full key, and touches no cluster. On success it names the app and lists the
enabled scenarios.

Secrets are not decrypted: a grafanaAdminPassword stored encrypted (as make up stores the one it
generates) counts as set, and only pulumi preview checks its length. A file with no password at all is
invalid, as it is for pulumi preview: make up generates one before its first preview.

Example:
  chaoslab validate Pulumi.dev.yaml

`+exitCodes)
}

// runValidate is `chaoslab validate FILE`.
func runValidate(args []string, stdout, stderr io.Writer) int {
	path, code, ok := oneFile("validate", args, validateHelp, stdout, stderr)
	if !ok {
		return code
	}
	st, code, ok := loadStack("validate", path, stderr)
	if !ok {
		return code
	}
	plan := st.cfg.Scenarios
	switch {
	case len(plan.Enabled) == 0:
		fmt.Fprintf(stdout, "%s: valid for %s; no scenario enabled (presets stay off until enabled: true)%s\n", path, appNote(st.cfg), haltNote(st.cfg.Halt))
	default:
		fmt.Fprintf(stdout, "%s: valid for %s; %d scenario(s) enabled, %d Chaos Mesh object(s), %d Istio VirtualService(s)%s\n",
			path, appNote(st.cfg), len(plan.Enabled), len(plan.ChaosObjects()), len(plan.MeshObjects()), haltNote(st.cfg.Halt))
		for _, s := range plan.Enabled {
			fmt.Fprintf(stdout, "  %-28s %-14s %-18s %s\n", s.Name, s.Kind, s.Fault, s.Target)
		}
	}
	if st.passwordEncrypted() {
		fmt.Fprintf(stdout, "note: %s is encrypted in this file: counted as set; pulumi preview also checks its length\n", stacks.KeyGrafanaAdminPassword)
	}
	return exitOK
}

func haltNote(halt bool) string {
	if halt {
		return " (halt: Schedules paused, Workflows aborted, flag overrides dropped, mesh faults out of their VirtualServices)"
	}
	return ""
}

// appNote names the app under test and whether it runs in Istio's mesh, as chaos-mesh-otel:app and
// chaos-mesh-otel:istio set them: the scenarios were checked against that app.
func appNote(cfg *stacks.Config) string {
	if cfg.Istio {
		return cfg.Deployment.App.Name + " with Istio"
	}
	return cfg.Deployment.App.Name + " without Istio"
}
