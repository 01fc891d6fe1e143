package apps

// LLM is the Astronomy Shop's optional group of services that need an external LLM.
const LLM Group = "llm"

// AstronomyShop is the OpenTelemetry Demo "Astronomy Shop" (chart opentelemetry-demo 0.41.0). The catalog's
// facts come from the chart's values (service ports, extra ports, mounted empty dirs) and from what each
// service speaks on its main port; the flags from the chart's flagd/demo.flagd.json.
var AstronomyShop = App{
	Name:          "astronomy-shop",
	Namespace:     "otel-demo",
	SelectorLabel: "app.kubernetes.io/component",
	Entry:         "frontend-proxy",
	EntryPort:     8080,
	Groups: map[Group]string{
		LLM: "it is an LLM component, which needs an external LLM; set chaos-mesh-otel:llmComponents: true to deploy it",
	},
	Services: []Service{
		{Name: "accounting"},
		{Name: "ad", Ports: []Port{{"grpc", 8080, GRPC}, {"prometheus", 9465, Metrics}}},
		{Name: "agent", Ports: []Port{{"http", 8010, HTTP}}, Group: LLM},
		{Name: "astronomy-db", Ports: []Port{{"postgres", 5432, TCP}}, Stateful: true},
		{Name: "cart", Ports: []Port{{"grpc", 8080, GRPC}}},
		{Name: "chatbot", Ports: []Port{{"http", 7860, HTTP}}, Group: LLM},
		{Name: "checkout", Ports: []Port{{"grpc", 8080, GRPC}}, Volume: "/tmp"},
		{Name: "currency", Ports: []Port{{"grpc", 8080, GRPC}}},
		{Name: "email", Ports: []Port{{"http", 8080, HTTP}}},
		{Name: "firepit", Ports: []Port{{"http", 8080, HTTP}, {"otlp-grpc", 4317, GRPC}, {"otlp-http", 4318, HTTP}},
			Dropped: "it receives the eBPF profiler's profiles, and the chart switches both off"},
		{Name: "flagd", Ports: []Port{{"rpc", 8013, GRPC}, {"ofrep", 8016, HTTP}, {"ui", 4000, HTTP}}, Volume: "/etc/flagd"},
		{Name: "fraud-detection"},
		{Name: "frontend", Ports: []Port{{"http", 8080, HTTP}}},
		{Name: "frontend-proxy", Ports: []Port{{"http", 8080, HTTP}}},
		{Name: "image-provider", Ports: []Port{{"http", 8081, HTTP}}},
		{Name: "kafka", Ports: []Port{{"plaintext", 9092, TCP}, {"controller", 9093, TCP}}, Stateful: true},
		{Name: "load-generator"},
		{Name: "mcp", Ports: []Port{{"http", 8011, HTTP}}, Group: LLM},
		{Name: "opamp-server", Ports: []Port{{"opamp", 4320, TCP}, {"opamp-ui", 4321, HTTP}},
			Dropped: "the OpAMP demo server costs memory and shows nothing under chaos"},
		{Name: "payment", Ports: []Port{{"grpc", 8080, GRPC}}},
		{Name: "product-catalog", Ports: []Port{{"grpc", 8080, GRPC}}, Volume: "/tmp"},
		{Name: "quote", Ports: []Port{{"http", 8080, HTTP}}},
		{Name: "recommendation", Ports: []Port{{"grpc", 8080, GRPC}}},
		{Name: "shipping", Ports: []Port{{"http", 8080, HTTP}}, Volume: "/tmp"},
		{Name: "telemetry-docs", Ports: []Port{{"http", 8000, HTTP}},
			Dropped: "the docs site costs memory and shows nothing under chaos"},
		{Name: "valkey-cart", Ports: []Port{{"valkey", 6379, TCP}}, Stateful: true},
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

func onOff() map[string]any { return map[string]any{"off": false, "on": true} }

func percents(ninety float64) map[string]any {
	return map[string]any{"off": 0, "10%": 0.1, "25%": 0.25, "50%": 0.5, "75%": 0.75, "90%": ninety, "100%": 1}
}
