package shopload

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

func newBuilder(seed uint64, faults ...Fault) *builder {
	return &builder{rng: rand.New(rand.NewPCG(seed, 1)), faults: faults}
}

// iterations runs n iterations of fresh users and returns every root.
func iterations(b *builder, n int) []*Span {
	var roots []*Span
	for range n {
		u := &user{session: b.uuid()}
		roots = append(roots, b.iteration(u)...)
	}
	return roots
}

func TestServicesAreTheDeployedShop(t *testing.T) {
	shop := apps.AstronomyShop.Deploy()
	for name, s := range Services {
		if s.Name != name {
			t.Errorf("%s: named %q", name, s.Name)
		}
		if !shop.Has(name) {
			t.Errorf("%s is not a service that the lab deploys", name)
		}
		if _, ok := sdkResource[s.Language]; !ok {
			t.Errorf("%s: no resource for language %q", name, s.Language)
		}
		if _, ok := runtimeMetrics[s.Language]; !ok {
			t.Errorf("%s: no runtime metrics for language %q", name, s.Language)
		}
	}
	// Every deployed service reports, except the stores, which appear as their clients' database spans.
	for _, svc := range shop.Services() {
		if _, ok := Services[svc.Name]; !ok && !svc.Stateful {
			t.Errorf("the lab deploys %s, which the generator does not model", svc.Name)
		}
	}
}

func TestTaskWeightsAreTheScripts(t *testing.T) {
	want := map[string]int{"index": 1, "browseProduct": 10, "getRecommendations": 3, "getAds": 3, "viewCart": 3,
		"addToCart": 2, "checkout": 1, "checkoutMulti": 1, "floodHome": 5}
	total := 0
	for _, task := range Tasks {
		if want[task.Name] != task.Weight {
			t.Errorf("%s: weight %d, the script's is %d", task.Name, task.Weight, want[task.Name])
		}
		total += task.Weight
	}
	if total != 29 || len(Tasks) != len(want) {
		t.Errorf("%d tasks weighing %d, want %d weighing 29", len(Tasks), total, len(want))
	}
}

// Every call between services in a generated trace is one that the catalog lists, so that the traces and the
// lab's wiring proof describe the same shop.
func TestTracesFollowTheCatalogsCalls(t *testing.T) {
	calls := func(from, to string) bool {
		s, ok := apps.AstronomyShop.Service(from)
		return ok && slices.Contains(s.Calls, to)
	}
	seen := map[string]bool{}
	for _, root := range iterations(newBuilder(1), 2000) {
		root.Walk(func(s *Span) {
			for _, c := range s.Children {
				edge := ""
				switch {
				case c.Proto == "db":
					db := attr(c, "server.address")
					if !calls(s.Service, db) {
						t.Errorf("%s queries %s, which the catalog does not list among its calls", s.Service, db)
					}
					edge = s.Service + "→" + db
				case c.Service != s.Service && s.Kind == trace.SpanKindProducer:
					if !calls(s.Service, "kafka") || !calls(c.Service, "kafka") {
						t.Errorf("%s → kafka → %s is not in the catalog", s.Service, c.Service)
					}
					edge = s.Service + "→kafka→" + c.Service
				case c.Service != s.Service:
					if !calls(s.Service, c.Service) {
						t.Errorf("%s calls %s (%s), which the catalog does not list", s.Service, c.Service, c.Name)
					}
					edge = s.Service + "→" + c.Service
				}
				if edge != "" {
					seen[edge] = true
				}
			}
		})
	}
	for _, want := range []string{"load-generator→frontend-proxy", "load-generator→flagd", "frontend-proxy→frontend",
		"frontend→product-catalog", "frontend→checkout", "checkout→payment", "shipping→quote", "checkout→kafka→accounting",
		"product-catalog→astronomy-db", "cart→valkey-cart"} {
		if !seen[want] {
			t.Errorf("no trace has the call %s", want)
		}
	}
}

func attr(s *Span, key string) string {
	for _, kv := range s.Attrs {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// The spans of a trace nest: a synchronous child runs inside its parent, a client span wraps the server
// span it calls, and a Kafka consumer starts after its producer ends.
func TestLayoutNests(t *testing.T) {
	for _, root := range iterations(newBuilder(2), 500) {
		if root.Start != 0 || root.End <= 0 {
			t.Fatalf("root %s: %s..%s", root.Name, root.Start, root.End)
		}
		root.Walk(func(s *Span) {
			for _, c := range s.Children {
				if c.Async {
					if c.Start < s.End {
						t.Errorf("consumer %s starts before its producer ends", c.Name)
					}
					continue
				}
				if c.Start < s.Start || c.End > s.End {
					t.Errorf("%s/%s [%s, %s] is outside its parent %s/%s [%s, %s]", c.Service, c.Name, c.Start, c.End, s.Service, s.Name, s.Start, s.End)
				}
			}
		})
	}
}

// spansOf collects the spans of a kind of one service.
func spansOf(roots []*Span, service string, kind trace.SpanKind) []*Span {
	var out []*Span
	for _, r := range roots {
		r.Walk(func(s *Span) {
			if s.Service == service && s.Kind == kind {
				out = append(out, s)
			}
		})
	}
	return out
}

func p95(spans []*Span) time.Duration {
	d := make([]time.Duration, len(spans))
	for i, s := range spans {
		d[i] = s.Duration()
	}
	slices.Sort(d)
	return d[len(d)*95/100]
}

func errorRatio(spans []*Span) float64 {
	n := 0
	for _, s := range spans {
		if s.Error {
			n++
		}
	}
	return float64(n) / float64(len(spans))
}

// The lab's default SLOs (availability 99 %, p95 < 500 ms) hold without a fault, and a fault on
// product-catalog breaks both, for it and for the proxy in front of the shop.
func TestFaultBreaksTheSLOsAndPropagates(t *testing.T) {
	healthy := iterations(newBuilder(3), 3000)
	for _, svc := range apps.AstronomyShop.SLOServices {
		spans := spansOf(healthy, svc, trace.SpanKindServer)
		if len(spans) < 50 {
			t.Fatalf("only %d server spans of %s", len(spans), svc)
		}
		if p := p95(spans); p >= 500*time.Millisecond {
			t.Errorf("%s: p95 %s without a fault, over the SLO", svc, p)
		}
		if r := errorRatio(spans); r != 0 {
			t.Errorf("%s: error ratio %.3f without a fault", svc, r)
		}
	}
	fault := Fault{Service: "product-catalog", ExtraLatency: 800 * time.Millisecond, ErrorRatio: 0.5}
	faulty := iterations(newBuilder(4, fault), 3000)
	pc := spansOf(faulty, "product-catalog", trace.SpanKindServer)
	if p := p95(pc); p < 800*time.Millisecond {
		t.Errorf("product-catalog p95 %s under an 800 ms fault", p)
	}
	if r := errorRatio(pc); math.Abs(r-0.5) > 0.05 {
		t.Errorf("product-catalog error ratio %.3f, want about 0.5", r)
	}
	proxy := spansOf(faulty, "frontend-proxy", trace.SpanKindServer)
	// About a third of the proxy's requests reach product-catalog (products, recommendations, checkout).
	if r := errorRatio(proxy); r < 0.1 {
		t.Errorf("frontend-proxy error ratio %.3f: product-catalog's errors do not reach the proxy", r)
	}
	if p := p95(proxy); p < 800*time.Millisecond {
		t.Errorf("frontend-proxy p95 %s: product-catalog's latency does not reach the proxy", p)
	}
	// Services that product-catalog does not serve stay healthy.
	if r := errorRatio(spansOf(faulty, "ad", trace.SpanKindServer)); r != 0 {
		t.Errorf("ad error ratio %.3f under a product-catalog fault", r)
	}
}

func TestFailedConsumerDoesNotFailTheOrder(t *testing.T) {
	roots := iterations(newBuilder(5, Fault{Service: "fraud-detection", ErrorRatio: 1}), 3000)
	fraud := spansOf(roots, "fraud-detection", trace.SpanKindConsumer)
	if len(fraud) == 0 || errorRatio(fraud) != 1 {
		t.Fatalf("fraud-detection: %d consumer spans, error ratio %.2f", len(fraud), errorRatio(fraud))
	}
	if r := errorRatio(spansOf(roots, "checkout", trace.SpanKindServer)); r != 0 {
		t.Errorf("checkout error ratio %.3f: a failed consumer failed the order", r)
	}
}

// The size of the model, for the docs: spans per iteration and per service.
func TestSpansPerIteration(t *testing.T) {
	var st Stats
	const n = 5000
	for _, r := range iterations(newBuilder(6), n) {
		st.Count(r)
	}
	per := float64(st.Spans) / n
	t.Logf("%s; %.1f spans per iteration (first iterations of their users, so with the session's first page)", st, per)
	if per < 10 || per > 60 {
		t.Errorf("%.1f spans per iteration: outside 10..60, the estimate for the demo's request mix", per)
	}
	// The broker reports only its JVM's metrics; images are fetched by browsers, which the script has none of.
	metricsOnly := []string{"kafka", "image-provider"}
	for name := range Services {
		if st.ByService[name] == 0 && !slices.Contains(metricsOnly, name) {
			t.Errorf("no span of %s", name)
		}
	}
}

func TestIterationsPerSecond(t *testing.T) {
	if got := IterationsPerSecond(5, 1); math.Abs(got-5/5.7) > 1e-9 {
		t.Errorf("5 users: %.3f/s", got)
	}
	if got := IterationsPerSecond(5, 10); math.Abs(got-50/5.7) > 1e-9 {
		t.Errorf("5 users at 10×: %.3f/s", got)
	}
}
