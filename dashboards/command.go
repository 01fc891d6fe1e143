package dashboards

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// CommandUsage describes the `chaoslab dashboards` subcommand.
const CommandUsage = `usage: chaoslab dashboards export [flags] DIR

Writes every dashboard as DIR/<uid>.json and the SLO rules as DIR/` + slo.ExportRulesFile + `.

flags:
  -prometheus-uid UID   Grafana uid of the Prometheus datasource (default "prometheus")
  -jaeger-uid UID       Grafana uid of the Jaeger datasource (default "jaeger")
  -slos FILE            SLOs as JSON, in the format of the chaos-mesh-otel:slos config key (default: the built-in SLOs)
`

// Command runs `chaoslab dashboards <args>`; cmd/chaoslab only forwards its arguments here.
func Command(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "export" {
		return errors.New(CommandUsage)
	}
	fs := flag.NewFlagSet("dashboards export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	promUID := fs.String("prometheus-uid", DefaultPrometheusUID, "")
	jaegerUID := fs.String("jaeger-uid", DefaultJaegerUID, "")
	slosFile := fs.String("slos", "", "")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%v\n%s", err, CommandUsage)
	}
	if fs.NArg() != 1 {
		return errors.New(CommandUsage)
	}
	opts := Options{PrometheusUID: *promUID, JaegerUID: *jaegerUID}
	if *slosFile != "" {
		raw, err := os.ReadFile(*slosFile)
		if err != nil {
			return err
		}
		slos, err := slo.Parse(raw, nil)
		if err != nil {
			return fmt.Errorf("%s:\n%w", *slosFile, err)
		}
		opts.SLOs = slos
	}
	paths, err := Export(fs.Arg(0), opts)
	for _, p := range paths {
		fmt.Fprintln(stdout, "wrote", p)
	}
	return err
}
