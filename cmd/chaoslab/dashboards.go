package main

import (
	"fmt"
	"io"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/dashboards"
)

func init() {
	register("dashboards", "export the dashboards as JSON and the SLO rules as YAML: dashboards export DIR", runDashboards)
}

func runDashboards(args []string, stdout, stderr io.Writer) int {
	if err := dashboards.Command(args, stdout); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	return 0
}
