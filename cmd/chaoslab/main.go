// Command chaoslab is the lab's tool beside `pulumi up`: it validates, renders and plans a stack from its
// stack file offline, exports the dashboards, judges experiments (report) and runs them end to end (run).
// The command line follows one set of house rules (internal/cli) and one exit-code table (internal/exitcode).
package main

import (
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment/labstack"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/cli"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes chaoslab with args (without the program name) and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	return cli.Execute(newRoot(), args, stdout, stderr)
}

// newRoot is the whole command tree.
func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "chaoslab",
		Short: "check, render, plan, judge and run the chaos lab's experiments",
		Long: `chaoslab is the chaos lab's tool beside pulumi up.

Offline, with neither a cluster nor the Pulumi CLI, it reads a stack's Pulumi.<stack>.yaml with Pulumi's own
loader and the program's own config parser, so that what it accepts is exactly what pulumi preview accepts:
validate checks it, render prints the chaos objects, plan shows their blast radius and checks the wiring,
and dashboards exports the dashboards and the SLO rules.

Online, report judges fault windows against the SLOs from a Prometheus (and reads the windows from a
cluster, or from a file), and run does a whole experiment on a live lab, through the Pulumi engine.`,
		Example: `  chaoslab validate Pulumi.dev.yaml
  chaoslab render Pulumi.dev.yaml > chaos.yaml
  chaoslab run --stack dev --scenario checkout-pod-kill
  chaoslab help run`,
		Version: versionLine(),
		RunE: func(cmd *cobra.Command, args []string) error {
			return cli.Usagef("a command is required: one of %s", strings.Join(commandNames(cmd), ", "))
		},
	}
	root.AddCommand(newValidateCmd(), newRenderCmd(), newPlanCmd(), newDashboardsCmd(), report.NewCommand(),
		labstack.NewCommand(), newVersionCmd())
	cli.Configure(root)
	return root
}

// commandNames are the root's subcommands that a user types, in order.
func commandNames(root *cobra.Command) []string {
	var names []string
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return names
}
