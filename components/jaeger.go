package components

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Jaeger's addresses.
const (
	JaegerService      = "jaeger"
	JaegerOTLPGRPCPort = 4317
	JaegerUIPort       = 16686
	// JaegerBasePath matches the demo's frontend-proxy, which serves Jaeger's UI under /jaeger/ui.
	JaegerBasePath = "/jaeger/ui"
	// JaegerMaxTraces bounds the in-memory store, and with it Jaeger's memory.
	JaegerMaxTraces = 20000
)

// JaegerArgs configures Jaeger.
type JaegerArgs struct {
	Charts    ChartSource
	Namespace pulumi.StringInput
}

// Jaeger is Jaeger v2 all-in-one with in-memory storage: traces last as long as the pod, which suits a lab.
type Jaeger struct {
	pulumi.ResourceState

	QueryURL pulumi.StringOutput `pulumi:"queryURL"`
}

// JaegerConfig is Jaeger v2's own configuration: an OTLP receiver, a bounded in-memory trace store, and
// the query service with its UI.
func JaegerConfig() map[string]any {
	return map[string]any{
		"service": map[string]any{
			"extensions": []any{"jaeger_storage", "jaeger_query", "healthcheckv2"},
			"pipelines": map[string]any{"traces": map[string]any{
				"receivers": []any{"otlp"}, "processors": []any{"batch"}, "exporters": []any{"jaeger_storage_exporter"},
			}},
			"telemetry": map[string]any{"metrics": map[string]any{"readers": []any{map[string]any{
				"pull": map[string]any{"exporter": map[string]any{"prometheus": map[string]any{"host": "0.0.0.0", "port": 8888}}},
			}}}},
		},
		"extensions": map[string]any{
			"healthcheckv2": map[string]any{"use_v2": true, "http": map[string]any{"endpoint": "0.0.0.0:13133"}},
			"jaeger_query": map[string]any{
				"storage":   map[string]any{"traces": "memstore"},
				"base_path": JaegerBasePath,
			},
			"jaeger_storage": map[string]any{"backends": map[string]any{
				"memstore": map[string]any{"memory": map[string]any{"max_traces": JaegerMaxTraces}},
			}},
		},
		"receivers": map[string]any{"otlp": map[string]any{"protocols": map[string]any{
			"grpc": map[string]any{"endpoint": fmt.Sprintf("0.0.0.0:%d", JaegerOTLPGRPCPort)},
			"http": map[string]any{"endpoint": "0.0.0.0:4318"},
		}}},
		"processors": map[string]any{"batch": map[string]any{}},
		"exporters":  map[string]any{"jaeger_storage_exporter": map[string]any{"trace_storage": "memstore"}},
	}
}

// JaegerValues are the chart values.
func JaegerValues() map[string]any {
	return map[string]any{
		"fullnameOverride": JaegerService,
		"jaeger": map[string]any{
			"resources": jaegerBudget.Resources(),
			// The in-memory store holds up to JaegerMaxTraces traces: without a Go heap limit under the
			// container's, the heap may grow to twice what it holds before the GC runs (TestSpineBench saw
			// 434 MiB of heap for 20,000 traces). 80 % of the limit, as the collector's chart sets its own.
			"extraEnv": []any{map[string]any{"name": "GOMEMLIMIT", "value": fmt.Sprintf("%dMiB", jaegerBudget.MemoryMi*8/10)}},
		},
		"storage":    map[string]any{"type": "memory"},
		"userconfig": JaegerConfig(),
	}
}

// NewJaeger declares Jaeger.
func NewJaeger(ctx *pulumi.Context, name string, args *JaegerArgs, opts ...pulumi.ResourceOption) (*Jaeger, error) {
	j := &Jaeger{}
	if err := ctx.RegisterComponentResource("chaos-mesh-otel:observability:Jaeger", name, j, opts...); err != nil {
		return nil, err
	}
	release, err := newRelease(ctx, name, JaegerService, args.Charts, JaegerChart, args.Namespace, JaegerValues(), childOf(j, opts))
	if err != nil {
		return nil, err
	}
	j.QueryURL = pulumi.Sprintf("http://%s.%s.svc:%d%s", JaegerService, release.Namespace.Elem(), JaegerUIPort, JaegerBasePath)
	return j, ctx.RegisterResourceOutputs(j, pulumi.Map{"queryURL": j.QueryURL})
}
