package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/cli"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// stackFileArg is how usage errors name the one positional argument of validate, render and plan.
const stackFileArg = "one stack file, Pulumi.<stack>.yaml"

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate Pulumi.<stack>.yaml",
		Short: "check a stack file exactly as pulumi preview checks it",
		Long: `Checks a stack file as pulumi preview does, offline, and touches no cluster.

The file is read with Pulumi's own loader (YAML 1.2: yes, on and off are strings; a key written twice is
refused with its lines; keys without a namespace are the project's), checked against Pulumi.yaml's config
schema as the Pulumi CLI checks it (declared types, secrets given in plain text, required keys), then with
the program's own config parser: every key of the chaos-mesh-otel namespace (an unknown key is an error),
the app under test and Istio, the scenarios (against the chosen app's services and containers, and, for
mesh faults, Istio being on), the SLOs and the SLO gate. Every problem is printed at once, each at its key.
On success it names the app and lists the enabled scenarios.

The config schema is the Pulumi.yaml beside the stack file or in a directory above it, as for the Pulumi CLI;
without one, the lab's own Pulumi.yaml, compiled into chaoslab, is used (and a notice says so).

Secrets are not decrypted: a grafanaAdminPassword stored encrypted counts as set, and only pulumi preview
checks its length. On a fresh clone there is no password yet: that is a notice, not an error, because make
up generates one (encrypted) before its first preview; pulumi preview itself requires it.`,
		Example: "  chaoslab validate Pulumi.dev.yaml",
		Args:    cli.Args(1, 1, stackFileArg),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runValidate(args[0], cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
}

// runValidate is `chaoslab validate FILE`.
func runValidate(path string, stdout, stderr io.Writer) error {
	st, err := loadStack(path, stderr)
	if err != nil {
		return err
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
	if st.file.Secure(passwordKey) {
		fmt.Fprintf(stdout, "note: %s is encrypted in this file: counted as set; pulumi preview also checks its length\n", stacks.KeyGrafanaAdminPassword)
	}
	return nil
}

func haltNote(halt bool) string {
	if halt {
		return " (halt: nothing strikes; Schedules paused, Workflows aborted, flag overrides dropped, mesh faults out of their VirtualServices)"
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
