package main

import (
	"fmt"
	"io"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/dashboards"
)

func init() {
	register("dashboards", "export the dashboards as JSON and the SLO rules as YAML", runDashboards)
}

func dashboardsHelp(w io.Writer) {
	fmt.Fprint(w, dashboards.CommandUsage+`
The files are exactly what the program provisions into Grafana and Prometheus, for review or for a
Grafana that the lab does not manage.

Example:
  chaoslab dashboards export out/dashboards

`+exitCodes)
}

func runDashboards(args []string, stdout, stderr io.Writer) int {
	if wantsHelp(args) {
		dashboardsHelp(stdout)
		return exitOK
	}
	if err := dashboards.Command(args, stdout); err != nil {
		fmt.Fprintln(stderr, "chaoslab dashboards:", err)
		return exitUsage
	}
	return exitOK
}
