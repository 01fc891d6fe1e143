package experiment

import (
	"context"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

// attrs maps a span's attributes by key.
func attrs(kvs []attribute.KeyValue) map[string]string {
	out := map[string]string{}
	for _, kv := range kvs {
		out[string(kv.Key)] = kv.Value.Emit()
	}
	return out
}

// The trace of a run: one root span for the run, one span per phase and per fault window under it, each
// with its own times (a window's are Chaos Mesh's), and the attributes of the table.
func TestTheRunsTraceHasItsPhasesAndWindows(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := trace.NewTracerProvider(trace.WithSpanProcessor(rec))
	r := &run{o: Options{Stack: "dev"}, began: t0, plan: &Plan{ShopNamespace: "otel-demo"},
		ours: []Scenario{{Name: "checkout-pod-kill", Kind: KindSchedule, Fault: "pod-kill", Target: "checkout", Object: "checkout-pod-kill"}}}
	r.times = phaseTimes{switchOnStart: t0.Add(time.Second), switchOnEnd: t0.Add(4 * time.Second),
		switchOffStart: t0.Add(60 * time.Second), switchOffEnd: t0.Add(63 * time.Second), judgeStart: t0.Add(70 * time.Second), judgeEnd: t0.Add(71 * time.Second)}
	window := report.Window{Scenario: "checkout-pod-kill", Start: t0.Add(5 * time.Second), End: t0.Add(35 * time.Second), Target: "checkout",
		Source: "PodChaos/otel-demo/checkout-pod-kill-x7k2p"}
	r.emitTrace(tp, []report.Window{window}, ExitViolated, t0.Add(72*time.Second))

	spans := rec.Ended()
	byName := map[string]trace.ReadOnlySpan{}
	for _, s := range spans {
		byName[s.Name()] = s
	}
	root := byName[SpanRun]
	if len(spans) != 5 || root == nil {
		t.Fatalf("want the run and four spans under it, got %d: %v", len(spans), byName)
	}
	for _, name := range []string{SpanSwitchOn, SpanWindow, SpanSwitchOff, SpanJudge} {
		s := byName[name]
		if s == nil || s.Parent().SpanID() != root.SpanContext().SpanID() {
			t.Errorf("%s is not a child of the run", name)
		}
	}
	w := byName[SpanWindow]
	if !w.StartTime().Equal(window.Start) || !w.EndTime().Equal(window.End) {
		t.Errorf("the window span runs %s..%s, want Chaos Mesh's %s..%s", w.StartTime(), w.EndTime(), window.Start, window.End)
	}
	got := attrs(w.Attributes())
	for key, want := range map[string]string{AttrScenario: "checkout-pod-kill", AttrFault: "pod-kill", AttrTarget: "checkout",
		AttrKind: KindSchedule, AttrObject: "checkout-pod-kill", AttrSource: window.Source} {
		if got[key] != want {
			t.Errorf("window %s = %q, want %q", key, got[key], want)
		}
	}
	rootAttrs := attrs(root.Attributes())
	if rootAttrs[AttrExitCode] != "2" || rootAttrs[AttrOutcome] != "failed" || rootAttrs[AttrStack] != "dev" || root.Status().Code.String() != "Error" {
		t.Errorf("root: %v, status %v", rootAttrs, root.Status())
	}
	if !root.StartTime().Equal(t0) || !root.EndTime().Equal(t0.Add(72*time.Second)) {
		t.Errorf("root runs %s..%s", root.StartTime(), root.EndTime())
	}
}

// otlpReceiver is an OTLP/gRPC trace receiver that keeps what it is sent.
type otlpReceiver struct {
	collectortrace.UnimplementedTraceServiceServer
	mu   sync.Mutex
	reqs []*collectortrace.ExportTraceServiceRequest
}

func (o *otlpReceiver) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reqs = append(o.reqs, req)
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

// spans names every span received with its service: "service/span".
func (o *otlpReceiver) spans() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, req := range o.reqs {
		for _, rs := range req.ResourceSpans {
			service := ""
			for _, kv := range rs.Resource.Attributes {
				if kv.Key == "service.name" {
					service = kv.Value.GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					out = append(out, service+"/"+s.Name)
				}
			}
		}
	}
	return out
}

func startReceiver(t *testing.T) (*otlpReceiver, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	srv := grpc.NewServer()
	rec := &otlpReceiver{}
	collectortrace.RegisterTraceServiceServer(srv, rec)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return rec, lis.Addr().String()
}

// A whole run sends its trace over OTLP/gRPC to the collector (here a receiver of the test's), with the
// run's fault window in it.
func TestARunSendsItsTraceOverOTLP(t *testing.T) {
	receiver, addr := startReceiver(t)
	h := newHarness(t)
	h.judgeCode = ExitOK
	h.cluster.controller = killsOnePod(h)
	h.cluster.otlp = addr
	if code := h.run("--scenario", "checkout-pod-kill"); code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, h.stdout, h.stderr)
	}
	got := strings.Join(receiver.spans(), ",")
	for _, want := range []string{"chaoslab/" + SpanRun, "chaoslab/" + SpanSwitchOn, "chaoslab/" + SpanWindow, "chaoslab/" + SpanSwitchOff, "chaoslab/" + SpanJudge} {
		if !strings.Contains(got, want) {
			t.Errorf("received %s; want %s", got, want)
		}
	}
	assertInOrder(t, h.stdout.String(), "verdict: every SLO held", "sent the experiment's trace to the collector at "+addr)

	// --otlp-endpoint off sends nothing.
	before := len(receiver.spans())
	h2 := newHarness(t)
	h2.judgeCode = ExitOK
	h2.cluster.controller = killsOnePod(h2)
	h2.cluster.otlp = addr
	if code := h2.run("--scenario", "checkout-pod-kill", "--otlp-endpoint", OTLPOff); code != ExitOK || len(receiver.spans()) != before {
		t.Errorf("--otlp-endpoint off: exit %d, %d spans received after", code, len(receiver.spans())-before)
	}
}

// A collector that cannot be reached costs the trace, and nothing else: the run's verdict stands.
func TestAnUnreachableCollectorDoesNotChangeTheVerdict(t *testing.T) {
	h := newHarness(t)
	h.judgeCode = ExitOK
	h.cluster.controller = killsOnePod(h)
	if code := h.run("--scenario", "checkout-pod-kill", "--otlp-endpoint", "127.0.0.1:1"); code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, h.stdout, h.stderr)
	}
	if !strings.Contains(h.stdout.String(), "the experiment's trace was not sent to 127.0.0.1:1") {
		t.Errorf("stdout:\n%s", h.stdout)
	}
}

// Every attribute of the table is documented, in docs/continuous-chaos.md's table.
func TestTraceAttributesAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/continuous-chaos.md")
	must(t, err)
	for _, a := range TraceAttributes {
		if !strings.Contains(string(doc), "| `"+a.Key+"` | "+a.Spans+" | "+a.Meaning+" |") {
			t.Errorf("docs/continuous-chaos.md lacks the row of %s: | `%s` | %s | %s |", a.Key, a.Key, a.Spans, a.Meaning)
		}
	}
}
