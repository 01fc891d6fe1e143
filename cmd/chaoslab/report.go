package main

import "github.com/chaos-mesh-otel/chaos-mesh-otel/report"

// `chaoslab report`: judge a scenario's fault windows against the SLOs from Prometheus; see package report.
// Exit codes: 0 held/degraded, 1 usage, 2 violated, 3 missing data or Prometheus unreachable.
func init() {
	register("report", "judge a scenario's fault windows from Prometheus: report.md, report.json, PNG plots", report.Run)
}
