// Package shopload makes the Astronomy Shop's telemetry without the shop: OTLP traces, metrics and logs from
// every service of the lab's catalog (apps.AstronomyShop), sent the way the demo's services send them, so that
// the lab's real collector, Prometheus and Jaeger can be run and measured on a machine where the shop's images
// cannot run.
//
// What is modelled, and from where:
//   - the request mix is the demo's k6 script (demo 3.0.0, src/load-generator/script.js): per virtual user one
//     flag evaluation, one task by weight, then a sleep of U(1, 10) s (Requests, Iteration);
//   - the span trees follow the calls of the demo's services (the catalog's Calls, which a test checks), with
//     the span names, kinds and attributes their instrumentations produce (trace.go, requests.go);
//   - each service reports with its own resource, protocol (the chart's OTEL_EXPORTER_OTLP_ENDPOINT port) and
//     criticality (the chart's OTEL_RESOURCE_ATTRIBUTES_EXTRA) (this file);
//   - metrics are each SDK's runtime instruments and its server and client duration histograms, exported every
//     60 s (the SDK default; the chart sets no OTEL_METRIC_EXPORT_INTERVAL), cumulative (the chart's
//     OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE) (metrics.go);
//   - logs are one record per server span of the services that log per request (emit.go).
//
// Latencies and the per-language resource and metric sets are estimates, not measurements of the shop: they
// are labelled so where they are defined.
package shopload

import "go.opentelemetry.io/otel/attribute"

// Protocol is how a service exports OTLP: the chart points some services at the collector's gRPC port 4317 and
// the others at its HTTP port 4318.
type Protocol string

const (
	GRPC Protocol = "grpc"
	HTTP Protocol = "http/protobuf"
)

// Service is one service of the shop as it reports telemetry.
type Service struct {
	Name string
	// Language is telemetry.sdk.language of its SDK; it decides the runtime metrics and the resource.
	Language string
	// Protocol and Criticality are the chart's (opentelemetry-demo 0.41.0 values.yaml, components.<name>.env).
	Protocol    Protocol
	Criticality string
	// SelfMs is the median time the service spends on a request itself, without its calls (an estimate:
	// the demo publishes none; local calls of a few ms, Java and the database a little more).
	SelfMs float64
	// Logs says whether it writes a log record per request that it serves (the demo's services log at info
	// on each request: ad, cart, checkout, currency, email, fraud-detection, payment, product-catalog,
	// quote, recommendation, shipping, accounting).
	Logs bool
}

// Services are the services that send telemetry, keyed by their names in apps.AstronomyShop. astronomy-db
// and valkey-cart send none (they appear as the database spans of their clients); the LLM services are off
// by default and not modelled.
var Services = map[string]Service{
	"accounting":      {Name: "accounting", Language: "dotnet", Protocol: HTTP, Criticality: "low", SelfMs: 4, Logs: true},
	"ad":              {Name: "ad", Language: "java", Protocol: HTTP, Criticality: "medium", SelfMs: 3, Logs: true},
	"cart":            {Name: "cart", Language: "dotnet", Protocol: GRPC, Criticality: "high", SelfMs: 1.5, Logs: true},
	"checkout":        {Name: "checkout", Language: "go", Protocol: HTTP, Criticality: "critical", SelfMs: 3, Logs: true},
	"currency":        {Name: "currency", Language: "cpp", Protocol: GRPC, Criticality: "high", SelfMs: 0.3, Logs: true},
	"email":           {Name: "email", Language: "ruby", Protocol: HTTP, Criticality: "medium", SelfMs: 12, Logs: true},
	"flagd":           {Name: "flagd", Language: "go", Protocol: HTTP, Criticality: "low", SelfMs: 0.3},
	"fraud-detection": {Name: "fraud-detection", Language: "java", Protocol: HTTP, Criticality: "low", SelfMs: 2, Logs: true},
	"frontend":        {Name: "frontend", Language: "nodejs", Protocol: GRPC, Criticality: "critical", SelfMs: 6},
	"frontend-proxy":  {Name: "frontend-proxy", Language: "cpp", Protocol: GRPC, Criticality: "critical", SelfMs: 0.5},
	"image-provider":  {Name: "image-provider", Language: "cpp", Protocol: GRPC, Criticality: "low", SelfMs: 0.5},
	"kafka":           {Name: "kafka", Language: "java", Protocol: HTTP, Criticality: "low", SelfMs: 1},
	"load-generator":  {Name: "load-generator", Language: "go", Protocol: HTTP, Criticality: "low", SelfMs: 0.2},
	"payment":         {Name: "payment", Language: "nodejs", Protocol: GRPC, Criticality: "critical", SelfMs: 2, Logs: true},
	"product-catalog": {Name: "product-catalog", Language: "go", Protocol: GRPC, Criticality: "high", SelfMs: 1, Logs: true},
	"quote":           {Name: "quote", Language: "php", Protocol: HTTP, Criticality: "low", SelfMs: 5, Logs: true},
	"recommendation":  {Name: "recommendation", Language: "python", Protocol: GRPC, Criticality: "medium", SelfMs: 4, Logs: true},
	"shipping":        {Name: "shipping", Language: "rust", Protocol: HTTP, Criticality: "high", SelfMs: 1, Logs: true},
}

// sdkResource is what each language's SDK and its default resource detectors put on the resource besides
// service.name, service.version and service.criticality (estimates of the detectors' output; the
// k8s.* attributes and service.namespace are added by the collector's k8sattributes processor, and
// service.instance.id by it too where the SDK sets none). The JVM's command line is long, and with the
// collector's resource_to_telemetry_conversion it becomes a label of every spanmetrics series.
var sdkResource = map[string][]attribute.KeyValue{
	"go": {
		attribute.String("telemetry.sdk.name", "opentelemetry"), attribute.String("telemetry.sdk.version", "1.38.0"),
		attribute.String("process.runtime.name", "go"), attribute.String("process.runtime.version", "go1.25.1"),
		attribute.String("process.runtime.description", "go version go1.25.1 linux/amd64"),
		attribute.String("host.name", "pod"), attribute.String("os.type", "linux"),
	},
	"java": {
		attribute.String("telemetry.sdk.name", "opentelemetry"), attribute.String("telemetry.sdk.version", "1.54.1"),
		attribute.String("telemetry.distro.name", "opentelemetry-java-instrumentation"), attribute.String("telemetry.distro.version", "2.20.1"),
		attribute.String("process.runtime.name", "OpenJDK Runtime Environment"), attribute.String("process.runtime.version", "21.0.8+9-LTS"),
		attribute.String("process.runtime.description", "Eclipse Adoptium OpenJDK 64-Bit Server VM 21.0.8+9-LTS"),
		attribute.String("process.executable.path", "/opt/java/openjdk/bin/java"), attribute.Int("process.pid", 1),
		attribute.String("process.command_line", "/opt/java/openjdk/bin/java -javaagent:/app/opentelemetry-javaagent.jar -Xmx200m -XX:+UseContainerSupport -jar /app/service.jar"),
		attribute.String("host.arch", "amd64"), attribute.String("host.name", "pod"),
		attribute.String("os.type", "linux"), attribute.String("os.description", "Linux 6.8.0-1017-gcp"),
		attribute.String("container.id", "3c6e1f0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e"),
	},
	"dotnet": {
		attribute.String("telemetry.sdk.name", "opentelemetry"), attribute.String("telemetry.sdk.version", "1.13.0"),
		attribute.String("telemetry.distro.name", "opentelemetry-dotnet-instrumentation"), attribute.String("telemetry.distro.version", "1.12.0"),
		attribute.String("host.name", "pod"), attribute.String("os.type", "linux"), attribute.String("os.description", "Debian GNU/Linux 12 (bookworm)"),
		attribute.String("process.runtime.name", ".NET"), attribute.String("process.runtime.version", "9.0.9"),
		attribute.Int("process.pid", 1), attribute.String("process.owner", "app"),
		attribute.String("container.id", "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"),
	},
	"nodejs": {
		attribute.String("telemetry.sdk.name", "opentelemetry"), attribute.String("telemetry.sdk.version", "2.1.0"),
		attribute.String("process.runtime.name", "nodejs"), attribute.String("process.runtime.version", "22.19.0"),
		attribute.String("process.runtime.description", "Node.js"), attribute.Int("process.pid", 1),
		attribute.String("process.executable.name", "node"), attribute.String("process.command", "/app/server.js"),
		attribute.String("process.owner", "nextjs"), attribute.String("host.name", "pod"), attribute.String("host.arch", "amd64"),
		attribute.String("os.type", "linux"), attribute.String("os.version", "6.8.0-1017-gcp"),
		attribute.String("container.id", "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"),
	},
	"python": {
		attribute.String("telemetry.sdk.name", "opentelemetry"), attribute.String("telemetry.sdk.version", "1.37.0"),
		attribute.String("telemetry.auto.version", "0.58b0"),
		attribute.String("process.runtime.name", "cpython"), attribute.String("process.runtime.version", "3.12.11"),
		attribute.Int("process.pid", 1), attribute.String("process.executable.name", "python"),
		attribute.String("host.name", "pod"), attribute.String("os.type", "linux"),
	},
	"cpp":  {attribute.String("telemetry.sdk.name", "opentelemetry"), attribute.String("telemetry.sdk.version", "1.22.0")},
	"ruby": {attribute.String("telemetry.sdk.name", "opentelemetry"), attribute.String("telemetry.sdk.version", "1.9.0"), attribute.String("process.runtime.name", "ruby"), attribute.String("process.runtime.version", "3.4.5"), attribute.Int("process.pid", 1)},
	"php":  {attribute.String("telemetry.sdk.name", "opentelemetry"), attribute.String("telemetry.sdk.version", "1.7.0"), attribute.String("process.runtime.name", "cli-server"), attribute.String("process.runtime.version", "8.4.12"), attribute.Int("process.pid", 1), attribute.String("host.name", "pod"), attribute.String("os.type", "linux")},
	"rust": {attribute.String("telemetry.sdk.name", "opentelemetry"), attribute.String("telemetry.sdk.version", "0.30.0")},
}

// DemoVersion is service.version: the chart sets OTEL_RESOURCE_ATTRIBUTES=service.version=<appVersion>.
const DemoVersion = "3.0.0"

// resourceOf is the resource that a service's SDK reports, before the collector adds the k8s.* attributes.
func resourceOf(s Service) []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		attribute.String("service.name", s.Name),
		attribute.String("service.version", DemoVersion),
		attribute.String("service.criticality", s.Criticality),
		attribute.String("telemetry.sdk.language", s.Language),
	}
	return append(attrs, sdkResource[s.Language]...)
}
