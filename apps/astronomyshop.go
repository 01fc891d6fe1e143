package apps

// LLM is the Astronomy Shop's optional group of services that need an external LLM.
const LLM Group = "llm"

// AstronomyShop is the OpenTelemetry Demo "Astronomy Shop" (chart opentelemetry-demo 0.41.0). The catalog's
// facts come from the chart's values (service ports, extra ports, mounted empty dirs) and from what each
// service speaks on its main port; the flags from the chart's flagd/demo.flagd.json.
var AstronomyShop = App{
	Name:          "astronomy-shop",
	Title:         "the Astronomy Shop",
	Namespace:     "otel-demo",
	SelectorLabel: "app.kubernetes.io/component",
	Entry:         "frontend-proxy",
	EntryPort:     8080,
	SLOServices:   []string{"frontend-proxy", "checkout", "product-catalog"},
	Groups: map[Group]string{
		LLM: "it is an LLM component, which needs an external LLM; set chaos-mesh-otel:llmComponents: true to deploy it",
	},
	Services: []Service{
		{Name: "accounting", Calls: calls("astronomy-db", "kafka")},
		{Name: "ad", Ports: []Port{port("grpc", 8080, GRPC), port("prometheus", 9465, Metrics)}, Calls: calls("flagd")},
		{Name: "agent", Ports: []Port{port("http", 8010, HTTP)}, Group: LLM, Calls: calls("frontend", "mcp")},
		{Name: "astronomy-db", Ports: []Port{port("postgres", 5432, TCP)}, Stateful: true},
		{Name: "cart", Ports: []Port{port("grpc", 8080, GRPC)}, Calls: calls("flagd", "valkey-cart")},
		{Name: "chatbot", Ports: []Port{port("http", 7860, HTTP)}, Group: LLM, Calls: calls("agent")},
		{Name: "checkout", Ports: []Port{port("grpc", 8080, GRPC)}, Volume: "/tmp", Calls: calls("cart", "currency", "email", "flagd", "kafka", "payment", "product-catalog", "shipping")},
		{Name: "currency", Ports: []Port{port("grpc", 8080, GRPC)}},
		{Name: "email", Ports: []Port{port("http", 8080, HTTP)}, Calls: calls("flagd")},
		{Name: "firepit", Ports: []Port{port("http", 8080, HTTP), port("otlp-grpc", 4317, GRPC), port("otlp-http", 4318, HTTP)},
			Dropped: "it receives the eBPF profiler's profiles, and the chart switches both off"},
		{Name: "flagd", Ports: []Port{port("rpc", 8013, GRPC), port("ofrep", 8016, HTTP), port("ui", 4000, HTTP)}, Volume: "/etc/flagd"},
		{Name: "fraud-detection", Calls: calls("flagd", "kafka")},
		{Name: "frontend", Ports: []Port{port("http", 8080, HTTP)}, Calls: calls("ad", "cart", "checkout", "currency", "flagd", "product-catalog", "recommendation", "shipping")},
		{Name: "frontend-proxy", Ports: []Port{port("http", 8080, HTTP)}, Calls: calls("chatbot", "firepit", "flagd", "frontend", "image-provider", "opamp-server", "telemetry-docs")},
		{Name: "image-provider", Ports: []Port{port("http", 8081, HTTP)}},
		{Name: "kafka", Ports: []Port{port("plaintext", 9092, TCP), port("controller", 9093, TCP)}, Stateful: true},
		{Name: "load-generator", Calls: calls("flagd", "frontend-proxy")},
		{Name: "mcp", Ports: []Port{port("http", 8011, HTTP)}, Group: LLM, Calls: calls("frontend")},
		{Name: "opamp-server", Ports: []Port{port("opamp", 4320, TCP), port("opamp-ui", 4321, HTTP)},
			Dropped: "the OpAMP demo server costs memory and shows nothing under chaos"},
		{Name: "payment", Ports: []Port{port("grpc", 8080, GRPC)}, Calls: calls("flagd")},
		{Name: "product-catalog", Ports: []Port{port("grpc", 8080, GRPC)}, Volume: "/tmp", Calls: calls("astronomy-db", "flagd")},
		{Name: "quote", Ports: []Port{port("http", 8080, HTTP)}},
		{Name: "recommendation", Ports: []Port{port("grpc", 8080, GRPC)}, Calls: calls("flagd", "product-catalog")},
		{Name: "shipping", Ports: []Port{port("http", 8080, HTTP)}, Volume: "/tmp", Calls: calls("flagd", "quote")},
		{Name: "telemetry-docs", Ports: []Port{port("http", 8000, HTTP)},
			Dropped: "the docs site costs memory and shows nothing under chaos"},
		{Name: "valkey-cart", Ports: []Port{port("valkey", 6379, TCP)}, Stateful: true},
	},
	Flags: []Flag{
		{Name: "adFailure", Service: "ad", Default: "off", Variants: onOff()},
		{Name: "adHighCpu", Service: "ad", Default: "off", Variants: onOff()},
		{Name: "adManualGc", Service: "ad", Default: "off", Variants: onOff()},
		{Name: "cartFailure", Service: "cart", Default: "off", Variants: percents(0.9)},
		{Name: "emailMemoryLeak", Service: "email", Default: "off", Variants: map[string]any{"off": 0, "1x": 1, "10x": 10, "100x": 100, "1000x": 1000, "10000x": 10000}},
		{Name: "failedReadinessProbe", Service: "cart", Default: "off", Variants: onOff()},
		{Name: "imageSlowLoad", Service: "image-provider", Default: "off", Variants: map[string]any{"off": 0, "5sec": 5000, "10sec": 10000}},
		{Name: "intlShippingSlowdown", Service: "shipping", Default: "off", Variants: map[string]any{"off": 0, "5sec": 5, "10sec": 10}},
		{Name: "kafkaQueueProblems", Service: "kafka", Default: "off", Variants: map[string]any{"off": 0, "on": 100}},
		{Name: "loadGeneratorTraffic", Service: "load-generator", Default: "on", Variants: map[string]any{"off": 0, "on": 1}},
		{Name: "loadGeneratorVUs", Service: "load-generator", Default: "5", Variants: map[string]any{"5": 5, "10": 10, "25": 25, "50": 50}},
		{Name: "paymentFailure", Service: "payment", Default: "off", Variants: percents(0.95)},
		{Name: "paymentUnreachable", Service: "checkout", Default: "off", Variants: onOff()},
		{Name: "productCatalogFailure", Service: "product-catalog", Default: "off", Variants: onOff()},
		{Name: "recommendationCacheFailure", Service: "recommendation", Default: "off", Variants: onOff()},
	},
}

// port is a port that the Service exposes on the container's own number, as the demo chart does.
func port(name string, number int32, protocol Protocol) Port {
	return Port{Name: name, Number: number, Protocol: protocol}
}

func calls(services ...string) []string { return services }

func onOff() map[string]any { return map[string]any{"off": false, "on": true} }

func percents(ninety float64) map[string]any {
	return map[string]any{"off": 0, "10%": 0.1, "25%": 0.25, "50%": 0.5, "75%": 0.75, "90%": ninety, "100%": 1}
}
