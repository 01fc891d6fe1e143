package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/dashboards"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/cli"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/exitcode"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

func newDashboardsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dashboards export DIR",
		Short: "export the dashboards as JSON and the SLO rules as YAML",
		Long: `Exports exactly what the program provisions into Grafana and Prometheus, for review or for a Grafana that
the lab does not manage.`,
		Example: "  chaoslab dashboards export out/dashboards",
		Args:    cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("unknown subcommand %q: the one subcommand is export", args[0])
			}
			return cli.Usagef("expected a subcommand: export DIR")
		},
	}
	cmd.AddCommand(newDashboardsExportCmd())
	return cmd
}

func newDashboardsExportCmd() *cobra.Command {
	opts := dashboards.Options{}
	var slosFile string
	cmd := &cobra.Command{
		Use:   "export [--slos FILE] DIR",
		Short: "write every dashboard as DIR/<uid>.json and the SLO rules as DIR/" + slo.ExportRulesFile,
		Long: `Writes every dashboard as DIR/<uid>.json and the SLO rules as DIR/` + slo.ExportRulesFile + `: exactly what the program
provisions into Grafana and Prometheus.

--slos reads SLOs in the shape of the chaos-mesh-otel:slos config key, in YAML or JSON, or a
Pulumi.<stack>.yaml that sets that key (read as Pulumi reads it), as chaoslab report --slos does.`,
		Example: `  chaoslab dashboards export out/dashboards
  chaoslab dashboards export --slos Pulumi.dev.yaml out/dashboards`,
		Args: cli.Args(1, 1, "one output directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if slosFile != "" {
				slos, err := report.LoadSLOFile(slosFile)
				if err != nil {
					return cli.Usagef("--slos %s:\n%v", slosFile, err)
				}
				opts.SLOs = slos
			}
			paths, err := dashboards.Export(args[0], opts)
			for _, p := range paths {
				fmt.Fprintln(cmd.OutOrStdout(), "wrote", p)
			}
			if err != nil {
				return cli.Fail(exitcode.Usage, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.PrometheusUID, "prometheus-uid", dashboards.DefaultPrometheusUID, "Grafana uid of the Prometheus datasource")
	cmd.Flags().StringVar(&opts.JaegerUID, "jaeger-uid", dashboards.DefaultJaegerUID, "Grafana uid of the Jaeger datasource")
	cmd.Flags().StringVar(&slosFile, "slos", "", "SLOs in YAML or JSON (the chaos-mesh-otel:slos shape), or a Pulumi.<stack>.yaml (default: the built-in SLOs)")
	return cmd
}
