package scenarios

import "sort"

// Protocol is what a port speaks. HTTP faults need a plain-HTTP port: HTTPChaos cannot see inside gRPC.
type Protocol string

const (
	HTTP Protocol = "HTTP"
	GRPC Protocol = "gRPC"
	TCP  Protocol = "TCP" // anything else: Kafka, PostgreSQL, Valkey, OpAMP
	// Metrics is a Prometheus scrape endpoint: HTTP on the wire, but not a hop of the shop worth faulting.
	Metrics Protocol = "metrics"
)

// Port is a container port of a shop service.
type Port struct {
	Name     string
	Number   int32
	Protocol Protocol
}

// Service is one component of the OpenTelemetry Demo (chart opentelemetry-demo 0.41.0), selected by the
// label app.kubernetes.io/component=<Name>.
type Service struct {
	Name     string
	Ports    []Port // empty for workers that serve nothing (accounting, fraud-detection, load-generator)
	Stateful bool   // holds data: `mode: all` needs allowAll
	LLM      bool   // part of the optional LLM components (agent, chatbot, mcp)
	Volume   string // a writable volume mount of its container, usable by IOChaos; "" when none
	Dropped  string // why the lab never deploys it; "" for a service it deploys
}

// HTTPPorts returns the service's plain-HTTP ports.
func (s Service) HTTPPorts() []Port {
	var out []Port
	for _, p := range s.Ports {
		if p.Protocol == HTTP {
			out = append(out, p)
		}
	}
	return out
}

// droppedReason is why the lab leaves the docs site and the OpAMP demo server out.
const droppedReason = "the lab leaves it out: it costs memory and shows nothing under chaos"

// catalog lists the shop's services. Facts come from the demo chart's values (service ports, extra ports,
// mounted empty dirs) and from what each service speaks on its main port.
var catalog = map[string]Service{
	"accounting":      {Name: "accounting"},
	"ad":              {Name: "ad", Ports: []Port{{"grpc", 8080, GRPC}, {"prometheus", 9465, Metrics}}},
	"agent":           {Name: "agent", Ports: []Port{{"http", 8010, HTTP}}, LLM: true},
	"astronomy-db":    {Name: "astronomy-db", Ports: []Port{{"postgres", 5432, TCP}}, Stateful: true},
	"cart":            {Name: "cart", Ports: []Port{{"grpc", 8080, GRPC}}},
	"chatbot":         {Name: "chatbot", Ports: []Port{{"http", 7860, HTTP}}, LLM: true},
	"checkout":        {Name: "checkout", Ports: []Port{{"grpc", 8080, GRPC}}, Volume: "/tmp"},
	"currency":        {Name: "currency", Ports: []Port{{"grpc", 8080, GRPC}}},
	"email":           {Name: "email", Ports: []Port{{"http", 8080, HTTP}}},
	"flagd":           {Name: "flagd", Ports: []Port{{"rpc", 8013, GRPC}, {"ofrep", 8016, HTTP}, {"ui", 4000, HTTP}}, Volume: "/etc/flagd"},
	"fraud-detection": {Name: "fraud-detection"},
	"frontend":        {Name: "frontend", Ports: []Port{{"http", 8080, HTTP}}},
	"frontend-proxy":  {Name: "frontend-proxy", Ports: []Port{{"http", 8080, HTTP}}},
	"image-provider":  {Name: "image-provider", Ports: []Port{{"http", 8081, HTTP}}},
	"kafka":           {Name: "kafka", Ports: []Port{{"plaintext", 9092, TCP}, {"controller", 9093, TCP}}, Stateful: true},
	"load-generator":  {Name: "load-generator"},
	"mcp":             {Name: "mcp", Ports: []Port{{"http", 8011, HTTP}}, LLM: true},
	"opamp-server":    {Name: "opamp-server", Ports: []Port{{"opamp", 4320, TCP}, {"opamp-ui", 4321, HTTP}}, Dropped: droppedReason},
	"payment":         {Name: "payment", Ports: []Port{{"grpc", 8080, GRPC}}},
	"product-catalog": {Name: "product-catalog", Ports: []Port{{"grpc", 8080, GRPC}}, Volume: "/tmp"},
	"quote":           {Name: "quote", Ports: []Port{{"http", 8080, HTTP}}},
	"recommendation":  {Name: "recommendation", Ports: []Port{{"grpc", 8080, GRPC}}},
	"shipping":        {Name: "shipping", Ports: []Port{{"http", 8080, HTTP}}, Volume: "/tmp"},
	"telemetry-docs":  {Name: "telemetry-docs", Ports: []Port{{"http", 8000, HTTP}}, Dropped: droppedReason},
	"valkey-cart":     {Name: "valkey-cart", Ports: []Port{{"valkey", 6379, TCP}}, Stateful: true},
}

// Services returns the catalog of shop services, sorted by name.
func Services() []Service {
	out := make([]Service, 0, len(catalog))
	for _, s := range catalog {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupService returns the catalog entry of a shop service.
func LookupService(name string) (Service, bool) {
	s, ok := catalog[name]
	return s, ok
}

func serviceNames() []string {
	names := make([]string, 0, len(catalog))
	for n := range catalog {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Flag is one of the demo's flagd feature flags (flagd/demo.flagd.json of the chart).
type Flag struct {
	Name     string
	Service  string         // the service whose behaviour it changes
	Default  string         // default variant
	Variants map[string]any // variant name → value, as flagd declares them
}

func onOff() map[string]any { return map[string]any{"off": false, "on": true} }

func percents(ninety float64) map[string]any {
	return map[string]any{"off": 0, "10%": 0.1, "25%": 0.25, "50%": 0.5, "75%": 0.75, "90%": ninety, "100%": 1}
}

var flags = map[string]Flag{
	"adFailure":                  {Name: "adFailure", Service: "ad", Default: "off", Variants: onOff()},
	"adHighCpu":                  {Name: "adHighCpu", Service: "ad", Default: "off", Variants: onOff()},
	"adManualGc":                 {Name: "adManualGc", Service: "ad", Default: "off", Variants: onOff()},
	"cartFailure":                {Name: "cartFailure", Service: "cart", Default: "off", Variants: percents(0.9)},
	"emailMemoryLeak":            {Name: "emailMemoryLeak", Service: "email", Default: "off", Variants: map[string]any{"off": 0, "1x": 1, "10x": 10, "100x": 100, "1000x": 1000, "10000x": 10000}},
	"failedReadinessProbe":       {Name: "failedReadinessProbe", Service: "cart", Default: "off", Variants: onOff()},
	"imageSlowLoad":              {Name: "imageSlowLoad", Service: "image-provider", Default: "off", Variants: map[string]any{"off": 0, "5sec": 5000, "10sec": 10000}},
	"intlShippingSlowdown":       {Name: "intlShippingSlowdown", Service: "shipping", Default: "off", Variants: map[string]any{"off": 0, "5sec": 5, "10sec": 10}},
	"kafkaQueueProblems":         {Name: "kafkaQueueProblems", Service: "kafka", Default: "off", Variants: map[string]any{"off": 0, "on": 100}},
	"loadGeneratorTraffic":       {Name: "loadGeneratorTraffic", Service: "load-generator", Default: "on", Variants: map[string]any{"off": 0, "on": 1}},
	"loadGeneratorVUs":           {Name: "loadGeneratorVUs", Service: "load-generator", Default: "5", Variants: map[string]any{"5": 5, "10": 10, "25": 25, "50": 50}},
	"paymentFailure":             {Name: "paymentFailure", Service: "payment", Default: "off", Variants: percents(0.95)},
	"paymentUnreachable":         {Name: "paymentUnreachable", Service: "checkout", Default: "off", Variants: onOff()},
	"productCatalogFailure":      {Name: "productCatalogFailure", Service: "product-catalog", Default: "off", Variants: onOff()},
	"recommendationCacheFailure": {Name: "recommendationCacheFailure", Service: "recommendation", Default: "off", Variants: onOff()},
}

// Flags returns the demo's feature flags, sorted by name.
func Flags() []Flag {
	out := make([]Flag, 0, len(flags))
	for _, f := range flags {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func flagNames() []string {
	names := make([]string, 0, len(flags))
	for n := range flags {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func variantNames(f Flag) []string {
	names := make([]string, 0, len(f.Variants))
	for n := range f.Variants {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
