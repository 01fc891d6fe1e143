package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Istio's standard request metrics, as the sidecars expose them on their merged metrics endpoint.
const (
	IstioRequests       = "istio_requests_total"
	IstioDurationBucket = "istio_request_duration_milliseconds_bucket"
)

// faultFlags matches an Envoy response_flags value (a comma separated list) that holds the flag of a fault
// that Istio injected: FI for an abort, DI for a delay.
func faultFlags(flag string) string {
	return fmt.Sprintf(`response_flags=~"(.*,)?%s(,.*)?"`, flag)
}

// meshRequests selects the client sidecars' view of the requests to the app's services. The source reporter
// is where Istio injects faults, so aborted requests, which never reach the server, are counted there. An
// aborted request's destination workload is unknown (no peer answered), so the app is picked by the
// destination Service's namespace, which comes from the route.
func meshRequests(opts Options) string {
	return fmt.Sprintf(`reporter="source", destination_service_namespace="%s"`, opts.App.Namespace)
}

// meshRow is the mesh's view of the app, from Istio's request metrics: what the sidecars see, including the
// faults that mesh-fault scenarios inject, which spans of the faulted calls may not show.
func meshRow(b *dashboard.DashboardBuilder, opts Options) *dashboard.DashboardBuilder {
	return b.WithRow(dashboard.NewRowBuilder("Mesh (Istio)")).
		WithPanel(meshRequestRate(opts)).
		WithPanel(meshFaultShare(opts)).
		WithPanel(meshLatencyP95(opts))
}

func meshRequestRate(opts Options) *timeseries.PanelBuilder {
	return opts.graph("Mesh request rate by response",
		"Requests per second to each service of the app, as the calling sidecars report them, by HTTP response code and gRPC status. Aborts that Istio injects show here with their status.",
		"reqps",
		q(fmt.Sprintf(`sum by (destination_service_name, response_code, grpc_response_status) (rate(%s{%s}[$__rate_interval]))`,
			IstioRequests, meshRequests(opts)),
			"{{destination_service_name}} HTTP {{response_code}} gRPC {{grpc_response_status}}"))
}

func meshFaultShare(opts Options) *timeseries.PanelBuilder {
	share := func(flag string) string {
		return fmt.Sprintf(`sum by (destination_service_name) (rate(%s{%s, %s}[$__rate_interval])) / sum by (destination_service_name) (rate(%s{%s}[$__rate_interval]))`,
			IstioRequests, meshRequests(opts), faultFlags(flag), IstioRequests, meshRequests(opts))
	}
	return opts.graph("Mesh injected faults",
		"Share of the requests to each service that Istio's fault injection aborted (response flag FI) or delayed (DI): a mesh-fault scenario's percentages, as applied.",
		"percentunit",
		q(share("FI"), "{{destination_service_name}} aborted (FI)"),
		q(share("DI"), "{{destination_service_name}} delayed (DI)")).
		Min(0)
}

func meshLatencyP95(opts Options) *timeseries.PanelBuilder {
	p95 := opts.graph("Mesh latency p95",
		"95th percentile request duration to each service, as the calling sidecars measure it: injected delays included. The dashed line is the latency SLOs' threshold.",
		"ms",
		q(fmt.Sprintf(`histogram_quantile(0.95, sum by (destination_service_name, le) (rate(%s{%s}[$__rate_interval])))`,
			IstioDurationBucket, meshRequests(opts)), "{{destination_service_name}}"))
	if th, ok := latencyThreshold(opts.SLOs); ok {
		p95 = thresholdLine(p95, step(th, "red"))
	}
	return p95.Span(24)
}
