package report

import (
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/cli"
)

// flagValues are the flags that are not Options themselves.
type flagValues struct {
	since              time.Duration
	sinceSet           bool
	from, to           string
	slosFile, sloNames string
}

// NewCommand is `chaoslab report`.
func NewCommand() *cobra.Command {
	var o Options
	var v flagValues
	cmd := &cobra.Command{
		Use:   "report --prometheus URL --out DIR [--scenario NAME] [--since 1h | --from T --to T] [--windows FILE]",
		Short: "judge a scenario's fault windows against the SLOs from Prometheus: report.md, report.json, PNG plots",
		Long: `Judges chaos fault windows against the SLOs, from Prometheus. For each window: the SLIs over a baseline
before the fault, during it and after it; the impact on the target service (p95, error ratio, pods not
ready, restarts); the observed blast radius (every service whose server p95 or error ratio moved beyond
tolerance against its own baseline, targeted or not); the time to recover; a verdict (held, degraded,
violated, or unknown when data is missing or the recovery was not observed); and a resilience score.
Writes report.md, report.json and PNG plots to --out, and JUnit XML with --junit.

It needs a reachable Prometheus (the lab's, through a port-forward). The fault windows are read from the
chaos objects' records on a cluster (--kubeconfig, --namespace), or, offline, from a YAML file given with
--windows:

  - scenario: checkout-pod-kill      # required
    start: "2026-01-02T10:00:00Z"    # required, RFC 3339
    end: "2026-01-02T10:05:00Z"      # required, after start
    target: checkout                 # optional: the service the fault hit; without it, --target, else
                                     # the preset's target when scenario names a preset

--slos reads SLOs in the shape of the chaos-mesh-otel:slos config key, in YAML or JSON: a list of
{name, service, kind, objective, thresholdMs, window}, or a Pulumi.<stack>.yaml that sets that key (read as
Pulumi reads it). Without --slos, the SLO model's defaults are judged.`,
		Example: `  chaoslab report --prometheus http://localhost:9090 --scenario checkout-pod-kill --since 2h --out out/report
  chaoslab report --prometheus http://localhost:9090 --windows windows.yaml --slos Pulumi.dev.yaml --out out/report
  chaoslab report --prometheus http://localhost:9090 --scenario frontend-catalog-latency --out out/report --junit out/junit.xml
  # the lab's Prometheus on localhost:9090, first:
  kubectl -n observability port-forward svc/prometheus-server 9090:80 &`,
		Args: cli.Args(0, 0, "no arguments (every input is a flag)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			v.sinceSet = cmd.Flags().Changed("since")
			return runParsed(o, v, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	bindFlags(cmd.Flags(), &o, &v)
	return cmd
}

// bindFlags declares the flags of `chaoslab report` over o and v.
func bindFlags(fs *pflag.FlagSet, o *Options, v *flagValues) {
	def := DefaultSettings()
	o.Settings = def
	fs.StringVar(&o.Prometheus, "prometheus", os.Getenv("PROMETHEUS_URL"), "Prometheus base URL, such as http://localhost:9090 (env PROMETHEUS_URL)")
	fs.StringVar(&o.Scenario, "scenario", "", "scenario name (Schedule/Workflow name); empty: every scenario")
	fs.DurationVar(&v.since, "since", time.Hour, "look back this long from now (ignored with --from/--to)")
	fs.StringVar(&v.from, "from", "", "start of the time range, RFC 3339")
	fs.StringVar(&v.to, "to", "", "end of the time range, RFC 3339 (default now)")
	fs.StringVar(&o.WindowsFile, "windows", "", "YAML list of {scenario, start, end[, target]} instead of reading the cluster")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig for reading the chaos objects' records (default $KUBECONFIG, else ~/.kube/config)")
	fs.StringVar(&o.Settings.Namespace, "namespace", def.Namespace, "namespace of the app and of the chaos objects")
	fs.StringVar(&o.OutDir, "out", "", "output directory for report.md, report.json and the PNG plots")
	fs.StringVar(&v.slosFile, "slos", "", "SLO list in YAML or JSON (the chaos-mesh-otel:slos shape), or a Pulumi.<stack>.yaml; default: the SLO model's defaults")
	fs.StringVar(&v.sloNames, "slo", "", "comma-separated SLO names to judge (default: all)")
	fs.StringVar(&o.Settings.Target, "target", "", "target service for windows that do not name one")
	fs.DurationVar(&o.Settings.Step, "step", def.Step, "series resolution")
	fs.DurationVar(&o.Settings.RateWindow, "rate-window", def.RateWindow, "PromQL range of the rolling SLIs")
	fs.DurationVar(&o.Settings.Baseline, "baseline", def.Baseline, "baseline length before each window")
	fs.DurationVar(&o.Settings.After, "after", def.After, "how long after each window recovery is watched")
	fs.Float64Var(&o.Settings.Tolerance, "tolerance", def.Tolerance, "share of the error budget an SLI may drift from its baseline")
	fs.IntVar(&o.Settings.Consecutive, "consecutive", def.Consecutive, "good samples in a row that make a recovery")
	fs.DurationVar(&o.Settings.RecoveryBudget, "recovery-budget", def.RecoveryBudget, "recovery time that costs the full 30 score points")
	fs.DurationVar(&o.Settings.Observed.P95Floor, "observed-p95-floor", def.Observed.P95Floor,
		"observed blast radius: a service's p95 moved when |Δ| reaches this, or --observed-p95-share of its baseline if more")
	fs.Float64Var(&o.Settings.Observed.P95Share, "observed-p95-share", def.Observed.P95Share,
		"observed blast radius: share of a service's baseline p95 that its p95 must move by (when above --observed-p95-floor)")
	fs.Float64Var(&o.Settings.Observed.ErrorRatioFloor, "observed-error-floor", def.Observed.ErrorRatioFloor,
		"observed blast radius: a service's error ratio moved when |Δ| reaches this (0.01 = 1 percentage point)")
	fs.StringVar(&o.JUnit, "junit", "", "also write the verdicts as JUnit XML to this file, one testcase per window")
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Second, "deadline of each Prometheus query")
	fs.StringVar(&o.Title, "title", "", "report title")
}
