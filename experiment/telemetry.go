package experiment

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/exitcode"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

// A run is itself telemetry: it sends one trace of the experiment over OTLP to the lab's collector, so that
// Jaeger shows the switch-on, each fault window, the judging and the switch-off beside the app's own traces
// of the same minutes, and a trace query by chaos.scenario finds them.

// The attributes of the experiment's spans. TraceAttributes is their one table; docs/continuous-chaos.md
// is tested against it.
const (
	AttrStack     = "chaos.stack"
	AttrScenarios = "chaos.scenarios"
	AttrScenario  = "chaos.scenario"
	AttrFault     = "chaos.fault"
	AttrTarget    = "chaos.target"
	AttrKind      = "chaos.kind"
	AttrObject    = "chaos.object"
	AttrNamespace = "chaos.namespace"
	AttrSource    = "chaos.window.source"
	AttrExitCode  = "chaos.exit_code"
	AttrOutcome   = "chaos.outcome"
)

// TraceAttribute is one attribute key of the experiment's trace and the spans that carry it.
type TraceAttribute struct{ Key, Spans, Meaning string }

// TraceAttributes is the table of the experiment's span attributes.
var TraceAttributes = []TraceAttribute{
	{AttrStack, "chaoslab run", "the lab's Pulumi stack"},
	{AttrScenarios, "chaoslab run", "the scenarios the run switched on"},
	{AttrNamespace, "chaoslab run", "the app's namespace, where the chaos objects live"},
	{AttrExitCode, "chaoslab run", "the run's exit code (README, exit codes)"},
	{AttrOutcome, "chaoslab run", "the exit code's name: ok, failed, unknown, chaos-left, no-strike, usage"},
	{AttrScenario, "fault window, switch-on, switch-off", "the scenario's key in chaos-mesh-otel:scenarios"},
	{AttrFault, "fault window", "the fault (pod-kill, network-delay, ...; gameday for a game day)"},
	{AttrTarget, "fault window", "the service the fault hit"},
	{AttrKind, "fault window", "what the scenario became: Schedule, Workflow or Flag"},
	{AttrObject, "fault window", "the Schedule or Workflow that the lab declared for it"},
	{AttrSource, "fault window", "where the window was read: Kind/namespace/name of the chaos object, or the flag"},
}

// The span names of the experiment's trace.
const (
	SpanRun       = "chaoslab run"
	SpanSwitchOn  = "switch-on"
	SpanWindow    = "fault window"
	SpanSwitchOff = "switch-off"
	SpanJudge     = "judge"
)

// phaseTimes are when the run's phases began and ended; zero when a phase did not happen.
type phaseTimes struct {
	switchOnStart, switchOnEnd   time.Time
	switchOffStart, switchOffEnd time.Time
	judgeStart, judgeEnd         time.Time
}

// emitTrace records the run as spans of tp: the run, its phases, and a span per fault window with the
// window's own start and end.
func (r *run) emitTrace(tp trace.TracerProvider, windows []report.Window, code int, end time.Time) {
	tracer := tp.Tracer("github.com/chaos-mesh-otel/chaos-mesh-otel/experiment")
	ctx, root := tracer.Start(context.Background(), SpanRun, trace.WithTimestamp(r.began), trace.WithAttributes(
		attribute.String(AttrStack, r.o.Stack), attribute.StringSlice(AttrScenarios, r.names()),
		attribute.String(AttrNamespace, r.plan.ShopNamespace)))
	phase := func(name string, start, stop time.Time, attrs ...attribute.KeyValue) {
		if start.IsZero() {
			return
		}
		if stop.IsZero() {
			stop = start
		}
		_, span := tracer.Start(ctx, name, trace.WithTimestamp(start), trace.WithAttributes(attrs...))
		span.End(trace.WithTimestamp(stop))
	}
	names := attribute.StringSlice(AttrScenarios, r.names())
	phase(SpanSwitchOn, r.times.switchOnStart, r.times.switchOnEnd, names)
	for _, w := range windows {
		s := r.scenario(w.Scenario)
		phase(SpanWindow, w.Start, w.End, attribute.String(AttrScenario, w.Scenario), attribute.String(AttrFault, s.Fault),
			attribute.String(AttrTarget, orNone(w.Target)), attribute.String(AttrKind, s.Kind), attribute.String(AttrObject, s.Object),
			attribute.String(AttrSource, w.Source))
	}
	phase(SpanSwitchOff, r.times.switchOffStart, r.times.switchOffEnd, names)
	phase(SpanJudge, r.times.judgeStart, r.times.judgeEnd)
	root.SetAttributes(attribute.Int(AttrExitCode, code), attribute.String(AttrOutcome, exitcode.Name(code)))
	if code != ExitOK {
		root.SetStatus(codes.Error, verdictWords(code))
	}
	root.End(trace.WithTimestamp(end))
}

// scenario is the run's scenario of that name (an empty one when it is none of the run's).
func (r *run) scenario(name string) Scenario {
	for _, s := range r.ours {
		if s.Name == name {
			return s
		}
	}
	return Scenario{Name: name}
}

// exportTimeout bounds the export at the end of a run, and exportRetry its retries: the trace is a courtesy,
// never a reason to hang.
const (
	exportTimeout = 5 * time.Second
	exportRetry   = 2 * time.Second
)

// exportTrace sends the run's trace to the OTLP endpoint (host:port, gRPC, plain text as the lab's
// collector serves it in the cluster). A failure is said and changes nothing else.
func (r *run) exportTrace(ctx context.Context, endpoint string, windows []report.Window, code int) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), exportTimeout)
	defer cancel()
	exporter, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: true, InitialInterval: 500 * time.Millisecond,
			MaxInterval: 2 * time.Second, MaxElapsedTime: exportRetry}))
	if err != nil {
		r.out.say("the experiment's trace was not sent: %v", err)
		return
	}
	res := resource.NewSchemaless(semconv.ServiceName("chaoslab"), semconv.ServiceNamespace("chaos-mesh-otel"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter), sdktrace.WithResource(res))
	r.emitTrace(tp, windows, code, r.w.Clock.Now())
	if err := tp.Shutdown(ctx); err != nil {
		r.out.say("the experiment's trace was not sent to %s: %v", endpoint, err)
		return
	}
	r.out.say("sent the experiment's trace to the collector at %s (service chaoslab; find it in Jaeger by the tag %s=%s)",
		endpoint, AttrStack, r.o.Stack)
}

// traceTarget says where the trace goes, opening a port-forward to the lab's collector when no endpoint was
// given; "" when the trace is not sent.
func (r *run) traceTarget(ctx context.Context) (string, func()) {
	if r.o.OTLP == OTLPOff || r.cluster == nil {
		return "", func() {}
	}
	addr, closeFwd, err := r.cluster.Collector(ctx, r.o.OTLP)
	if err != nil {
		r.out.say("the experiment's trace will not be sent: the collector: %v (give --otlp-endpoint, or --otlp-endpoint %s)", err, OTLPOff)
		return "", func() {}
	}
	return addr, closeFwd
}

// OTLPOff is the --otlp-endpoint value that sends no trace.
const OTLPOff = "off"
