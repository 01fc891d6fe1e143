package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/cli"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/exitcode"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/wiring"
)

func newPlanCmd() *cobra.Command {
	wd, _ := os.Getwd()
	var chartsDir, kubeconfig string
	cmd := &cobra.Command{
		Use:   "plan [--charts-dir DIR] Pulumi.<stack>.yaml | plan --kubeconfig PATH",
		Short: "preview a stack offline: the blast radius of its scenarios and the wiring findings",
		Long: `Previews a stack offline. It checks the stack file as validate does, runs the program under Pulumi's mocks
and renders every chart with the Helm library, then prints:
  - the blast radius of the enabled scenarios: for each fault, the workloads it selects and how many of
    their pods it hits; for a mesh fault (an Istio VirtualService), the workloads whose requests it delays
    or aborts, the share of requests, and the callers whose sidecars inject it (rows of a halted stack are
    marked paused, aborted or fault removed: they strike nothing until halt is false again);
  - the wiring findings: addresses, ports, selectors, metrics and rules that would not resolve.
With --kubeconfig it checks the objects of a live cluster instead of rendering a file.

Rendering needs the pinned chart archives in a directory (--charts-dir); without them, plan lists the
archives and the helm commands that fetch them.`,
		Example: `  chaoslab plan Pulumi.dev.yaml
  chaoslab plan --charts-dir ../shared/charts Pulumi.dev.yaml
  chaoslab plan --kubeconfig ~/.kube/config`,
		Args: cli.Args(0, 1, stackFileArg+" (none with --kubeconfig)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlan(cmd, args, chartsDir, kubeconfig)
		},
	}
	cmd.Flags().StringVar(&chartsDir, "charts-dir", components.OfflineChartsDir(wd),
		"chart archives <name>-<version>.tgz ($CHARTS_DIR, else ../shared/charts beside the repository)")
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "check a live cluster's objects (no stack file)")
	return cmd
}

// renderLab renders the lab's objects; tests replace it.
var renderLab = wiring.Render

// fromCluster reads a live cluster's objects; tests replace it.
var fromCluster = wiring.FromCluster

// placeholderPassword stands in for grafanaAdminPassword when the stack file holds none that chaoslab can
// read (encrypted, as make up stores it, or not generated yet): rendering needs a value, and no object that
// the checks read depends on it.
const placeholderPassword = "chaoslab-plan-placeholder"

func runPlan(cmd *cobra.Command, args []string, chartsDir, kubeconfig string) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	var objs *wiring.Objects
	switch {
	case kubeconfig != "" && len(args) == 0:
		var err error
		if objs, err = fromCluster(context.Background(), kubeconfig); err != nil {
			return cli.Fail(exitcode.Usage, err)
		}
	case kubeconfig != "":
		return cli.Usagef("--kubeconfig checks a live cluster and takes no stack file")
	case len(args) == 0:
		return cli.Usagef("expected %s (or --kubeconfig PATH)", stackFileArg)
	default:
		var err error
		if objs, err = renderStack(args[0], chartsDir, stderr); err != nil {
			return err
		}
	}
	report := wiring.Check(objs, wiring.Options{RequirePromtool: os.Getenv("CI") == "true"})
	fmt.Fprintf(stdout, "Blast radius (%s objects):\n", objs.Source)
	switch {
	case len(report.Blast) == 0:
		fmt.Fprintln(stdout, "  no scenario enabled")
	default:
		if markHalted(objs, report.Blast) > 0 {
			fmt.Fprintln(stdout, "  halt is on: the rows marked halted strike nothing until halt is false again")
		}
		wiring.WriteBlastRadius(stdout, report.Blast)
	}
	fmt.Fprintln(stdout)
	report.WriteFindings(stdout)
	if len(report.Findings) > 0 {
		return cli.Exit(exitcode.Failed)
	}
	return nil
}

// renderStack checks a stack file as validate does and renders what the program declares for it.
func renderStack(path, chartsDir string, stderr io.Writer) (*wiring.Objects, error) {
	st, err := loadStack(path, stderr)
	if err != nil {
		return nil, err
	}
	if err := checkChartsDir(chartsDir); err != nil {
		return nil, err
	}
	values := maps.Clone(st.file.Values)
	if st.passwordUnreadable() {
		values[passwordKey] = placeholderPassword
	}
	objs, err := renderLab(context.Background(), values, chartsDir)
	if err != nil {
		var ce *stacks.ConfigError
		if errors.As(err, &ce) {
			fmt.Fprintf(stderr, "%s: %v\n", path, err)
			return nil, cli.Exit(exitcode.Failed)
		}
		return nil, cli.Fail(exitcode.Usage, err)
	}
	return objs, nil
}

// checkChartsDir says which pinned chart archives are missing and how to fetch them.
func checkChartsDir(dir string) error {
	shown := dir
	if dir == "" {
		shown = "charts"
	}
	missing := components.MissingArchives(dir)
	if dir != "" && len(missing) == 0 {
		return nil
	}
	if dir == "" {
		missing = components.AllCharts
	}
	var b strings.Builder
	if dir == "" {
		b.WriteString("no charts directory: plan renders every chart of the lab from its archive; give --charts-dir DIR (or set CHARTS_DIR)")
	} else {
		abs, _ := filepath.Abs(dir)
		fmt.Fprintf(&b, "the charts directory %s lacks %d of the %d pinned chart archives", abs, len(missing), len(components.AllCharts))
	}
	b.WriteString(".\nThe archives it needs, and the helm commands that fetch them at their pinned versions:\n")
	for _, c := range missing {
		fmt.Fprintf(&b, "  %-36s %s\n", fmt.Sprintf("%s-%s.tgz", c.Name, c.Version), c.PullCommand(shown))
	}
	return cli.Fail(exitcode.Usage, errors.New(strings.TrimRight(b.String(), "\n")))
}

// markHalted marks the rows of the blast radius whose object halt has paused or aborted, and counts them.
func markHalted(objs *wiring.Objects, blast []wiring.Blast) int {
	halted := 0
	for i := range blast {
		kind, ref, _ := strings.Cut(blast[i].Object, " ")
		namespace, name, _ := strings.Cut(ref, "/")
		u := objs.Get(kind, namespace, name)
		if u == nil {
			continue
		}
		switch annotations := u.GetAnnotations(); {
		case annotations[scenarios.PauseAnnotation] == "true":
			blast[i].Scenario += " (halted: paused)"
			halted++
		case annotations[scenarios.AbortAnnotation] == "true":
			blast[i].Scenario += " (halted: aborted)"
			halted++
		case annotations[scenarios.HaltedAnnotation] == "true":
			blast[i].Scenario += " (halted: fault removed)"
			halted++
		}
	}
	return halted
}
