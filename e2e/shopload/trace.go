package shopload

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Span is one span of a generated trace: which service reports it, what it is, and when it runs, as offsets
// from the trace's start. Times are laid out after the tree is built (layout), so that a fault's latency
// propagates to every caller as it would in the shop.
type Span struct {
	Service  string
	Name     string
	Kind     trace.SpanKind
	Attrs    []attribute.KeyValue
	Children []*Span
	// Async children (Kafka consumers) start after the span ends and do not delay it.
	Async bool
	// Proto is what the span's call speaks (http, grpc, db, messaging, or "" for internal work): it decides
	// the status attributes of a failed span.
	Proto string

	Start, End time.Duration
	Error      bool
	// self is the span's own time, drawn when it is built; a client span's is the network's.
	self time.Duration
	// failed marks the server span where an injected error starts.
	failed bool
}

// Duration is the span's length.
func (s *Span) Duration() time.Duration { return s.End - s.Start }

// Walk visits the span and all its descendants, parents first.
func (s *Span) Walk(visit func(*Span)) {
	visit(s)
	for _, c := range s.Children {
		c.Walk(visit)
	}
}

// Fault is what the generator injects into one service's server spans during a window: extra latency, and a
// share of requests that fail. Errors propagate to the callers, as a failed call does in the shop.
type Fault struct {
	Service      string
	ExtraLatency time.Duration
	ErrorRatio   float64
	From, To     time.Time
}

// active says whether the fault applies to a request at t.
func (f Fault) active(t time.Time) bool { return !t.Before(f.From) && t.Before(f.To) }

// builder makes the spans of one request, drawing latencies and errors.
type builder struct {
	rng    *rand.Rand
	faults []Fault // active ones only
}

// selfTime draws a service's own time: log-normal around its median with σ 0.5 (an estimate: a few
// requests several times slower than the median, as server latencies are), plus the active faults' latency.
func (b *builder) selfTime(service string) time.Duration {
	median := Services[service].SelfMs
	if median == 0 {
		median = 0.5
	}
	ms := median * math.Exp(0.5*b.rng.NormFloat64())
	d := time.Duration(ms * float64(time.Millisecond))
	for _, f := range b.faults {
		if f.Service == service {
			d += f.ExtraLatency
		}
	}
	return d
}

// fails draws whether an injected fault fails this request of the service.
func (b *builder) fails(service string) bool {
	for _, f := range b.faults {
		if f.Service == service && f.ErrorRatio > 0 && b.rng.Float64() < f.ErrorRatio {
			return true
		}
	}
	return false
}

// server is a SERVER (or CONSUMER) span of a service, with its own time drawn and an injected failure.
func (b *builder) server(service, name, proto string, kind trace.SpanKind, attrs ...attribute.KeyValue) *Span {
	s := &Span{Service: service, Name: name, Kind: kind, Proto: proto, Attrs: attrs, self: b.selfTime(service)}
	s.failed = b.fails(service)
	return s
}

// internal is an INTERNAL span of a service (the load generator's task spans, a db-less step).
func (b *builder) internal(service, name string, attrs ...attribute.KeyValue) *Span {
	return &Span{Service: service, Name: name, Kind: trace.SpanKindInternal, Attrs: attrs, self: b.selfTime(service) / 4}
}

// network is the time a call spends on the wire and in the client library: a fraction of a millisecond on
// one node.
func (b *builder) network() time.Duration {
	return time.Duration((0.2 + 0.3*b.rng.Float64()) * float64(time.Millisecond))
}

// call makes a CLIENT span in caller around the callee's span and hangs it under parent.
func (b *builder) call(parent *Span, name string, kind trace.SpanKind, callee *Span, attrs ...attribute.KeyValue) *Span {
	c := &Span{Service: parent.Service, Name: name, Kind: kind, Proto: callee.Proto, Attrs: attrs, self: b.network(), Children: []*Span{callee}}
	parent.Children = append(parent.Children, c)
	return callee
}

// consumerLag is how long after the publish a Kafka consumer starts on the message (an estimate: the
// consumers poll continuously).
const consumerLag = 5 * time.Millisecond

// layout gives every span its start and end: a span does its own work, half before and half after its
// synchronous children, which run one after the other; a client span wraps its server span with the network's
// time on both sides; async children start when the span ends. It returns the span's end.
func layout(s *Span, start time.Duration) time.Duration {
	s.Start = start
	t := start + s.self/2
	var async []*Span
	for _, c := range s.Children {
		if c.Async {
			async = append(async, c)
			continue
		}
		t = layout(c, t)
	}
	s.End = t + s.self - s.self/2
	for _, c := range async {
		layout(c, s.End+consumerLag)
	}
	return s.End
}

// propagate marks the failed spans and their callers as errors, up to the root, except across an async
// edge (a failed Kafka consumer does not fail the order). It reports whether s is an error.
func propagate(s *Span) bool {
	err := s.failed
	for _, c := range s.Children {
		if propagate(c) && !c.Async {
			err = true
		}
	}
	s.Error = err
	return err
}

// finish lays the tree out from the start and sets its error status; call once, on the root.
func finish(root *Span) *Span {
	layout(root, 0)
	propagate(root)
	return root
}

// Stats counts what a set of traces holds.
type Stats struct {
	Traces, Spans, ErrorSpans int
	ByService                 map[string]int
}

// Count adds one trace to the counts.
func (st *Stats) Count(root *Span) {
	if st.ByService == nil {
		st.ByService = map[string]int{}
	}
	st.Traces++
	root.Walk(func(s *Span) {
		st.Spans++
		st.ByService[s.Service]++
		if s.Error {
			st.ErrorSpans++
		}
	})
}

func (st Stats) String() string {
	return fmt.Sprintf("%d traces, %d spans (%.1f per trace), %d errors", st.Traces, st.Spans, float64(st.Spans)/math.Max(1, float64(st.Traces)), st.ErrorSpans)
}
