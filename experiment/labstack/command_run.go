package labstack

import (
	"context"
	"io"
	"os"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/spf13/cobra"
	"k8s.io/utils/clock"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment/cluster"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// NewCommand is `chaoslab run` with the real stack, cluster and report; SIGINT and SIGTERM go to the run
// while it runs.
func NewCommand() *cobra.Command {
	w := Wiring(nil)
	w.Signals = experiment.NotifyInterrupts
	return experiment.NewCommand(w)
}

// Run is `chaoslab run` with args (without "run") and the interrupts given (tests deliver their own).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, interrupts <-chan os.Signal) int {
	return experiment.Main(ctx, args, stdout, stderr, Wiring(interrupts))
}

// Prometheus is the lab's Prometheus, which a run's report queries.
var Prometheus = cluster.Service{Namespace: components.ObservabilityNamespace, Name: components.PrometheusService,
	Port: components.PrometheusPort}

// Collector is the lab's OpenTelemetry Collector, which receives the experiment's trace.
var Collector = cluster.Service{Namespace: components.ObservabilityNamespace, Name: components.CollectorService,
	Port: components.CollectorOTLPGRPCPort}

// Wiring is the real run's dependencies.
func Wiring(interrupts <-chan os.Signal) experiment.Wiring {
	return experiment.Wiring{
		OpenStack: func(ctx context.Context, dir, stack string) (experiment.Engine, error) {
			return Open(ctx, dir, stack, Program(configFile(dir, stack)))
		},
		Parse:      Parse,
		Connect:    cluster.Connect(Prometheus, Collector),
		Judge:      report.Execute,
		Clock:      clock.RealClock{},
		Interrupts: interrupts,
	}
}

// Program is the lab's program for a run's updates. An inline program cannot list its stack's config keys
// as the Go language host does, so it reads them from the stack file (as the run has just written it): an
// unknown key then fails the run's update exactly as it fails `pulumi preview`, instead of being ignored.
func Program(stackFile string) pulumi.RunFunc {
	return stacks.LabWithConfigKeys(func() ([]string, error) {
		file, err := stacks.ReadStackFile(stackFile)
		if err != nil {
			return nil, err
		}
		return file.Keys(), nil
	})
}

// Parse is the program's own config parser (stacks.ParseConfig), reduced to what a run needs.
func Parse(lookup func(string) (string, bool)) (*experiment.Plan, error) {
	cfg, err := stacks.ParseConfig(stacks.Source{Get: lookup})
	if err != nil {
		return nil, err
	}
	plan := &experiment.Plan{Halt: cfg.Halt, Kubeconfig: cfg.Kubeconfig, Context: cfg.Context,
		ShopNamespace: cfg.Deployment.App.Namespace, SLOs: cfg.SLOs,
		Namespaces: components.LabNamespaces(cfg.Deployment.App.Namespace, cfg.Istio)}
	for _, s := range cfg.Scenarios.Enabled {
		plan.Enabled = append(plan.Enabled, experiment.Scenario{Name: s.Name, Kind: s.Kind, Fault: s.Fault, Target: s.Target})
	}
	// With one scenario enabled, its objects are the only ones: that is how a run learns its object's name
	// (the one of the scenario's kind, should it come with helpers of another kind).
	if len(plan.Enabled) == 1 {
		for _, obj := range cfg.Scenarios.Objects {
			if obj.Kind != plan.Enabled[0].Kind {
				continue
			}
			plan.Enabled[0].Object = obj.Name
			if sch, ok := obj.Typed.(*v1alpha1.Schedule); ok {
				plan.Enabled[0].Schedule = sch.Spec.Schedule
			}
		}
		for _, obj := range cfg.Scenarios.Objects {
			if s := &plan.Enabled[0]; s.Object != "" && obj.Typed.GetLabels()[scenarios.KickOffLabel] == s.Object {
				s.KickOff = obj.Name
			}
		}
	}
	return plan, nil
}
