package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"strings"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/wiring"
)

func init() {
	register("plan", "preview a stack offline: blast radius of its scenarios and wiring findings", runPlan)
}

func planHelp(w io.Writer, defaultCharts string) {
	fmt.Fprintf(w, `usage: chaoslab plan [--charts-dir DIR] Pulumi.<stack>.yaml
       chaoslab plan --kubeconfig PATH

Previews a stack offline. It checks the stack file as validate does, runs the program under Pulumi's mocks
and renders every chart with the Helm library, then prints:
  - the blast radius of the enabled scenarios: for each fault, the workloads it selects and how many of
    their pods it hits; for a mesh fault (an Istio VirtualService), the workloads whose requests it delays
    or aborts, the share of requests, and the callers whose sidecars inject it (rows of a halted stack are
    marked paused, aborted or fault removed: they strike nothing until halt is false again);
  - the wiring findings: addresses, ports, selectors, metrics and rules that would not resolve.
With --kubeconfig it checks the objects of a live cluster instead of rendering a file.

Flags:
  --charts-dir DIR     chart archives <name>-<version>.tgz (default %q: $CHARTS_DIR, else
                       ../shared/charts beside the repository)
  --kubeconfig PATH    check a live cluster's objects (no stack file)

Example:
  chaoslab plan --charts-dir ../shared/charts Pulumi.dev.yaml

`+exitCodes, defaultCharts)
}

// renderLab renders the lab's objects; tests replace it.
var renderLab = wiring.Render

// fromCluster reads a live cluster's objects; tests replace it.
var fromCluster = wiring.FromCluster

// placeholderPassword stands in for grafanaAdminPassword when the stack file holds it encrypted, as make
// up stores it: rendering needs a value, and no object that the checks read depends on it.
const placeholderPassword = "chaoslab-plan-placeholder"

func runPlan(args []string, stdout, stderr io.Writer) int {
	wd, _ := os.Getwd()
	defaultCharts := components.OfflineChartsDir(wd)
	if wantsHelp(args) {
		planHelp(stdout, defaultCharts)
		return exitOK
	}
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	chartsDir := fs.String("charts-dir", defaultCharts, "")
	kubeconfig := fs.String("kubeconfig", "", "")
	usageError := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "chaoslab plan: "+format+"\n\n", a...)
		planHelp(stderr, defaultCharts)
		return exitUsage
	}
	if err := fs.Parse(args); err != nil {
		return usageError("%v", err)
	}
	var objs *wiring.Objects
	switch {
	case *kubeconfig != "" && fs.NArg() == 0:
		var err error
		if objs, err = fromCluster(context.Background(), *kubeconfig); err != nil {
			fmt.Fprintln(stderr, "chaoslab plan:", err)
			return exitUsage
		}
	case *kubeconfig == "" && fs.NArg() == 1:
		var code int
		if objs, code = renderStack(fs.Arg(0), *chartsDir, stderr); objs == nil {
			return code
		}
	case *kubeconfig != "":
		return usageError("--kubeconfig checks a live cluster and takes no stack file")
	default:
		return usageError("expected one stack file, got %d arguments", fs.NArg())
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
		return exitFailed
	}
	return exitOK
}

// renderStack checks a stack file as validate does and renders what the program declares for it. It
// returns nil and the exit code when it cannot.
func renderStack(path, chartsDir string, stderr io.Writer) (*wiring.Objects, int) {
	st, code, ok := loadStack("plan", path, stderr)
	if !ok {
		return nil, code
	}
	if chartsDir == "" {
		fmt.Fprintln(stderr, "chaoslab plan: no charts directory: pass --charts-dir or set CHARTS_DIR")
		return nil, exitUsage
	}
	values := maps.Clone(st.file.Values)
	if st.passwordEncrypted() {
		values[stacks.ConfigNamespace+":"+stacks.KeyGrafanaAdminPassword] = placeholderPassword
	}
	objs, err := renderLab(context.Background(), values, chartsDir)
	if err != nil {
		var ce *stacks.ConfigError
		if errors.As(err, &ce) {
			fmt.Fprintf(stderr, "%s: %v\n", path, err)
			return nil, exitFailed
		}
		fmt.Fprintln(stderr, "chaoslab plan:", err)
		return nil, exitUsage
	}
	return objs, exitOK
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
