package shopload

import (
	"context"
	"math/rand/v2"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// instruments are one service's metrics: the duration histograms that its HTTP, gRPC and database
// instrumentations record for each call, and its runtime's gauges. The runtime sets are estimates of what
// each language's runtime instrumentation reports (names from the semantic conventions; the number of
// attribute sets, such as memory pools and GC kinds, as a typical runtime has them).
type instruments struct {
	httpServer, httpClient, rpcServer, rpcClient, dbClient, messaging metric.Float64Histogram
}

// runtimeGauge is one runtime metric and its attribute sets.
type runtimeGauge struct {
	name, unit string
	sets       []attribute.Set
}

func sets(key string, values ...string) []attribute.Set {
	out := make([]attribute.Set, len(values))
	for i, v := range values {
		out[i] = attribute.NewSet(attribute.String(key, v))
	}
	return out
}

var one = []attribute.Set{*attribute.EmptySet()}

// runtimeMetrics are the runtime gauges by language.
var runtimeMetrics = map[string][]runtimeGauge{
	"go": {
		{"go.memory.used", "By", sets("go.memory.type", "stack", "other")},
		{"go.memory.limit", "By", one}, {"go.memory.allocated", "By", one}, {"go.memory.allocations", "{allocation}", one},
		{"go.memory.gc.goal", "By", one}, {"go.goroutine.count", "{goroutine}", one}, {"go.processor.limit", "{thread}", one},
		{"go.config.gogc", "%", one},
	},
	"java": {
		{"jvm.memory.used", "By", sets("jvm.memory.pool.name", "G1 Eden Space", "G1 Old Gen", "G1 Survivor Space", "Metaspace", "CodeHeap 'non-nmethods'", "CodeHeap 'profiled nmethods'", "CodeHeap 'non-profiled nmethods'", "Compressed Class Space")},
		{"jvm.memory.committed", "By", sets("jvm.memory.pool.name", "G1 Eden Space", "G1 Old Gen", "G1 Survivor Space", "Metaspace", "CodeHeap 'non-nmethods'", "CodeHeap 'profiled nmethods'", "CodeHeap 'non-profiled nmethods'", "Compressed Class Space")},
		{"jvm.memory.limit", "By", sets("jvm.memory.pool.name", "G1 Old Gen", "CodeHeap 'non-nmethods'", "CodeHeap 'profiled nmethods'", "CodeHeap 'non-profiled nmethods'", "Compressed Class Space")},
		{"jvm.memory.used_after_last_gc", "By", sets("jvm.memory.pool.name", "G1 Eden Space", "G1 Old Gen", "G1 Survivor Space")},
		{"jvm.thread.count", "{thread}", sets("jvm.thread.state", "runnable", "blocked", "waiting", "timed_waiting", "new", "terminated")},
		{"jvm.class.loaded", "{class}", one}, {"jvm.class.unloaded", "{class}", one}, {"jvm.class.count", "{class}", one},
		{"jvm.cpu.time", "s", one}, {"jvm.cpu.count", "{cpu}", one}, {"jvm.cpu.recent_utilization", "1", one},
		{"jvm.gc.duration", "s", sets("jvm.gc.name", "G1 Young Generation", "G1 Concurrent GC", "G1 Old Generation")},
	},
	"dotnet": {
		{"dotnet.gc.collections", "{collection}", sets("dotnet.gc.heap.generation", "gen0", "gen1", "gen2")},
		{"dotnet.gc.last_collection.heap.size", "By", sets("dotnet.gc.heap.generation", "gen0", "gen1", "gen2", "loh", "poh")},
		{"dotnet.gc.last_collection.heap.fragmentation.size", "By", sets("dotnet.gc.heap.generation", "gen0", "gen1", "gen2", "loh", "poh")},
		{"dotnet.gc.heap.total_allocated", "By", one}, {"dotnet.gc.last_collection.memory.committed_size", "By", one},
		{"dotnet.gc.pause.time", "s", one}, {"dotnet.jit.compiled_il.size", "By", one}, {"dotnet.jit.compiled_methods", "{method}", one},
		{"dotnet.jit.compilation.time", "s", one}, {"dotnet.monitor.lock_contentions", "{contention}", one},
		{"dotnet.thread_pool.thread.count", "{thread}", one}, {"dotnet.thread_pool.work_item.count", "{work_item}", one},
		{"dotnet.thread_pool.queue.length", "{work_item}", one}, {"dotnet.timer.count", "{timer}", one},
		{"dotnet.assembly.count", "{assembly}", one}, {"dotnet.exceptions", "{exception}", one}, {"dotnet.process.cpu.time", "s", sets("cpu.mode", "user", "system")},
		{"dotnet.process.memory.working_set", "By", one}, {"dotnet.process.cpu.count", "{cpu}", one},
	},
	"nodejs": {
		{"nodejs.eventloop.delay.min", "s", one}, {"nodejs.eventloop.delay.max", "s", one}, {"nodejs.eventloop.delay.mean", "s", one},
		{"nodejs.eventloop.delay.stddev", "s", one}, {"nodejs.eventloop.delay.p50", "s", one}, {"nodejs.eventloop.delay.p90", "s", one},
		{"nodejs.eventloop.delay.p99", "s", one}, {"nodejs.eventloop.utilization", "1", one},
		{"v8js.memory.heap.limit", "By", sets("v8js.heap.space.name", "new_space", "old_space", "code_space", "large_object_space", "shared_large_object_space", "trusted_space")},
		{"v8js.memory.heap.used", "By", sets("v8js.heap.space.name", "new_space", "old_space", "code_space", "large_object_space", "shared_large_object_space", "trusted_space")},
		{"v8js.heap.space.available_size", "By", sets("v8js.heap.space.name", "new_space", "old_space", "code_space", "large_object_space", "shared_large_object_space", "trusted_space")},
	},
	"python": {
		{"process.runtime.cpython.memory", "By", sets("type", "rss", "vms")},
		{"process.runtime.cpython.cpu_time", "s", sets("type", "user", "system")},
		{"process.runtime.cpython.gc_count", "By", sets("count", "0", "1", "2")},
		{"process.runtime.cpython.thread_count", "{thread}", one}, {"process.runtime.cpython.context_switches", "{switch}", sets("type", "voluntary", "involuntary")},
		{"process.runtime.cpython.cpu.utilization", "1", one},
	},
	"cpp":  {},
	"php":  {},
	"ruby": {},
	"rust": {},
}

// appMetrics are the demo's own counters, by service.
var appMetrics = map[string][]runtimeGauge{
	"currency":       {{"app.currency.counter", "{conversion}", sets("currency_code", "USD", "EUR", "CHF", "JPY", "CAD")}},
	"recommendation": {{"app.recommendations.counter", "{recommendation}", one}},
	"quote":          {{"app.quotes.counter", "{quote}", one}},
}

// defaultBuckets are the SDKs' default explicit bucket bounds (0, 5, 10, … 10000).
var defaultBuckets = []float64{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000}

func newInstruments(m metric.Meter, svc Service) (*instruments, error) {
	h := func(name, unit string) metric.Float64Histogram {
		hist, err := m.Float64Histogram(name, metric.WithUnit(unit), metric.WithExplicitBucketBoundaries(defaultBuckets...))
		if err != nil {
			panic(err) // the names and units here are constants: an error is a bug
		}
		return hist
	}
	in := &instruments{
		httpServer: h("http.server.request.duration", "s"), httpClient: h("http.client.request.duration", "s"),
		rpcServer: h("rpc.server.duration", "ms"), rpcClient: h("rpc.client.duration", "ms"),
		dbClient: h("db.client.operation.duration", "s"), messaging: h("messaging.process.duration", "s"),
	}
	for _, g := range append(append([]runtimeGauge{}, runtimeMetrics[svc.Language]...), appMetrics[svc.Name]...) {
		obs := g
		if _, err := m.Float64ObservableGauge(obs.name, metric.WithUnit(obs.unit), metric.WithFloat64Callback(func(_ context.Context, o metric.Float64Observer) error {
			for _, set := range obs.sets {
				o.Observe(1e6*rand.Float64(), metric.WithAttributeSet(set))
			}
			return nil
		})); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// metricKeys are the span attributes that the instrumentations put on their duration metrics (the
// semantic conventions' required and recommended ones; the rest stay on the span).
var metricKeys = map[attribute.Key]bool{
	"http.request.method": true, "http.route": true, "http.response.status_code": true, "url.scheme": true,
	"network.protocol.version": true, "server.address": true, "server.port": true, "rpc.system": true, "rpc.service": true,
	"rpc.method": true, "rpc.grpc.status_code": true, "db.system.name": true, "db.operation.name": true,
	"messaging.system": true, "messaging.destination.name": true, "messaging.operation.type": true, "error.type": true,
}

// record adds the span's duration to the histogram that its instrumentation records.
func (in *instruments) record(ctx context.Context, s *Span) {
	var kept []attribute.KeyValue
	attrs := s.Attrs
	if s.Error {
		attrs = failedAttrs(s)
	}
	for _, kv := range attrs {
		if metricKeys[kv.Key] {
			kept = append(kept, kv)
		}
	}
	opt := metric.WithAttributes(kept...)
	secs := s.Duration().Seconds()
	switch {
	case s.Proto == "http" && s.Kind == trace.SpanKindServer:
		in.httpServer.Record(ctx, secs, opt)
	case s.Proto == "http" && s.Kind == trace.SpanKindClient:
		in.httpClient.Record(ctx, secs, opt)
	case s.Proto == "grpc" && s.Kind == trace.SpanKindServer:
		in.rpcServer.Record(ctx, secs*1000, opt)
	case s.Proto == "grpc" && s.Kind == trace.SpanKindClient:
		in.rpcClient.Record(ctx, secs*1000, opt)
	case s.Proto == "db":
		in.dbClient.Record(ctx, secs, opt)
	case s.Proto == "messaging" && s.Kind == trace.SpanKindConsumer:
		in.messaging.Record(ctx, secs, opt)
	}
}
