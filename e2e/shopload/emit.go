package shopload

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
)

// Pod is where a service runs: its name becomes host.name, and its IP is the address the service's
// telemetry comes from, so that the collector's k8sattributes processor finds the pod by the connection, as
// it does in the cluster.
type Pod struct {
	Name string
	IP   string // empty: the machine's default source address
}

// Collector is where the services send OTLP: the collector's gRPC (4317) and HTTP (4318) endpoints, host:port.
type Collector struct {
	GRPC, HTTP string
}

// client is one pod's SDK: a tracer, meter and logger provider, each with its OTLP exporter, as the
// service's SDK sets them up by default (batch span processor, periodic metric reader, batch log processor).
type client struct {
	svc    Service
	pod    Pod
	tp     *sdktrace.TracerProvider
	mp     *sdkmetric.MeterProvider
	lp     *sdklog.LoggerProvider
	tracer trace.Tracer
	logger otellog.Logger
	inst   *instruments
}

// newClient starts a pod's SDK. metricInterval is the periodic reader's interval (the SDK's default 60 s).
func newClient(ctx context.Context, svc Service, pod Pod, col Collector, metricInterval time.Duration) (*client, error) {
	attrs := resourceOf(svc)
	for i, kv := range attrs {
		if kv.Key == "host.name" && pod.Name != "" {
			attrs[i] = attribute.String("host.name", pod.Name)
		}
	}
	res := resource.NewWithAttributes("", attrs...)
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if pod.IP != "" {
		dialer.LocalAddr = &net.TCPAddr{IP: net.ParseIP(pod.IP)}
	}
	var (
		te  sdktrace.SpanExporter
		me  sdkmetric.Exporter
		le  sdklog.Exporter
		err error
	)
	switch svc.Protocol {
	case GRPC:
		dial := grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) { return dialer.DialContext(ctx, "tcp", addr) })
		if te, err = otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(col.GRPC), otlptracegrpc.WithInsecure(), otlptracegrpc.WithDialOption(dial)); err != nil {
			return nil, err
		}
		if me, err = otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(col.GRPC), otlpmetricgrpc.WithInsecure(), otlpmetricgrpc.WithDialOption(dial)); err != nil {
			return nil, err
		}
		if le, err = otlploggrpc.New(ctx, otlploggrpc.WithEndpoint(col.GRPC), otlploggrpc.WithInsecure(), otlploggrpc.WithDialOption(dial)); err != nil {
			return nil, err
		}
	default:
		hc := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 2}}
		if te, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(col.HTTP), otlptracehttp.WithInsecure(), otlptracehttp.WithHTTPClient(hc)); err != nil {
			return nil, err
		}
		if me, err = otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpoint(col.HTTP), otlpmetrichttp.WithInsecure(), otlpmetrichttp.WithHTTPClient(hc)); err != nil {
			return nil, err
		}
		if le, err = otlploghttp.New(ctx, otlploghttp.WithEndpoint(col.HTTP), otlploghttp.WithInsecure(), otlploghttp.WithHTTPClient(hc)); err != nil {
			return nil, err
		}
	}
	c := &client{svc: svc, pod: pod}
	c.tp = sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(te), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	c.mp = sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(sdkmetric.NewPeriodicReader(me, sdkmetric.WithInterval(metricInterval))))
	c.lp = sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithProcessor(sdklog.NewBatchProcessor(le)))
	scope := "shopload/" + svc.Language
	c.tracer = c.tp.Tracer(scope)
	c.logger = c.lp.Logger(scope)
	if c.inst, err = newInstruments(c.mp.Meter(scope), svc); err != nil {
		return nil, err
	}
	return c, nil
}

// shutdown flushes and closes the pod's exporters.
func (c *client) shutdown(ctx context.Context) error {
	return errors.Join(c.tp.Shutdown(ctx), c.mp.Shutdown(ctx), c.lp.Shutdown(ctx))
}

// emit reports one finished trace, whose start is at, through the clients of its spans' services.
func emit(ctx context.Context, clients func(service string) *client, root *Span, at time.Time) {
	emitSpan(ctx, clients, root, at, nil)
}

func emitSpan(ctx context.Context, clients func(string) *client, s *Span, at time.Time, parent *Span) {
	c := clients(s.Service)
	if c == nil {
		// No pod of the service: its spans are lost, as they would be, and its calls still report.
		for _, child := range s.Children {
			emitSpan(ctx, clients, child, at, parent)
		}
		return
	}
	if parent != nil && parent.Service != s.Service {
		// A call between services: the parent is known only from the propagated context.
		ctx = trace.ContextWithRemoteSpanContext(ctx, trace.SpanContextFromContext(ctx))
	}
	attrs := s.Attrs
	if s.Error {
		attrs = failedAttrs(s)
	}
	ctx, span := c.tracer.Start(ctx, s.Name, trace.WithSpanKind(s.Kind), trace.WithTimestamp(at.Add(s.Start)), trace.WithAttributes(attrs...))
	for _, child := range s.Children {
		emitSpan(ctx, clients, child, at, s)
	}
	if s.Error {
		span.SetStatus(codes.Error, statusMessage(s))
		if s.failed {
			span.AddEvent("exception", trace.WithTimestamp(at.Add(s.End)), trace.WithAttributes(
				attribute.String("exception.type", "ShopFault"), attribute.String("exception.message", statusMessage(s)),
				attribute.String("exception.stacktrace", stacktrace(s))))
		}
	}
	span.End(trace.WithTimestamp(at.Add(s.End)))
	c.inst.record(ctx, s)
	if c.svc.Logs && (s.Kind == trace.SpanKindServer || s.Kind == trace.SpanKindConsumer) {
		c.log(ctx, s, at)
	}
}

// failedAttrs are a failed span's attributes with the status that its protocol reports: HTTP 500, gRPC
// UNAVAILABLE (14) where the failure came from the callee, INTERNAL (13) where it started.
func failedAttrs(s *Span) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, len(s.Attrs)+1)
	for _, kv := range s.Attrs {
		switch kv.Key {
		case "http.response.status_code":
			kv = attribute.Int("http.response.status_code", 500)
		case "rpc.grpc.status_code":
			code := 14
			if s.failed {
				code = 13
			}
			kv = attribute.Int("rpc.grpc.status_code", code)
		}
		out = append(out, kv)
	}
	return append(out, attribute.String("error.type", "ShopFault"))
}

func statusMessage(s *Span) string {
	if s.failed {
		return fmt.Sprintf("%s: injected fault in %s", s.Name, s.Service)
	}
	return fmt.Sprintf("%s: a call failed", s.Name)
}

// stacktrace is a stack of the size that the demo's Java and .NET services attach to an exception event
// (some twenty frames).
func stacktrace(s *Span) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ShopFault: injected fault in %s\n", s.Service)
	for i := range 20 {
		fmt.Fprintf(&b, "\tat oteldemo.%s.Handler.frame%02d(Handler.java:%d)\n", strings.ReplaceAll(s.Service, "-", ""), i, 100+i*7)
	}
	return b.String()
}

// log writes the record that the service logs for a request it served, with the span's context.
func (c *client) log(ctx context.Context, s *Span, at time.Time) {
	var r otellog.Record
	r.SetTimestamp(at.Add(s.End))
	r.SetObservedTimestamp(at.Add(s.End))
	r.SetSeverity(otellog.SeverityInfo)
	r.SetSeverityText("INFO")
	body := fmt.Sprintf("[%s] request served in %s", s.Name, s.Duration().Round(time.Microsecond))
	if s.Error {
		r.SetSeverity(otellog.SeverityError)
		r.SetSeverityText("ERROR")
		body = statusMessage(s)
	}
	r.SetBody(attribute.StringValue(body))
	r.AddAttributes(attribute.String("code.function.name", s.Name), attribute.String("logger.name", c.svc.Name))
	c.logger.Emit(ctx, r)
}
