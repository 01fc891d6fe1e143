package scenarios

// Lab defaults (see CONTRACTS.md). The program and chaoslab derive Options from stack config the same way.
const (
	DefaultShopNamespace = "otel-demo"
	DefaultSLOGateURL    = "http://slo-gate.observability.svc:8080"
)

// LLMServices are the shop's optional LLM components, deployed only with chaos-mesh-otel:llmComponents: true.
var LLMServices = []string{"agent", "chatbot", "mcp"}

// StackOptions derives Options from the stack config values halt and llmComponents and the SLO names.
func StackOptions(halt, llmComponents bool, knownSLOs []string) Options {
	o := Options{ShopNamespace: DefaultShopNamespace, SLOGateURL: DefaultSLOGateURL, KnownSLOs: knownSLOs, Halt: halt}
	if !llmComponents {
		o.DisabledServices = append([]string(nil), LLMServices...)
	}
	return o
}

// ServiceNames lists the shop's services, sorted.
func ServiceNames() []string { return serviceNames() }
