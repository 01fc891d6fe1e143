package spineconf

import (
	"fmt"
	"strings"
)

// Where the Jaeger chart puts the lab's userconfig: a ConfigMap of that name, under that key.
const (
	JaegerConfigMap = "user-config"
	JaegerConfigKey = "user-config.yaml"
)

// Ports of Jaeger's query service, which the lab's config leaves at their defaults (:16686 HTTP, :16685
// gRPC, every interface).
const (
	JaegerQueryHTTPPort = 16686
	JaegerQueryGRPCPort = 16685
)

// Jaeger rewrites Jaeger's rendered config (the user-config.yaml key of its ConfigMap): every listener that
// binds 0.0.0.0 in the pod binds the pod's IP here, and the query service, which binds every interface by
// default, gets the same IP explicitly. The storage (memstore, max_traces) and base_path stay as rendered.
func Jaeger(userConfig, podIP string) (string, []Change, error) {
	d, err := parse(userConfig)
	if err != nil {
		return "", nil, err
	}
	const why = "0.0.0.0 would listen on every address of this machine: the pod's IP is the pod's only address"
	rebind := func(m map[string]any, path, key string) {
		addr, _ := m[key].(string)
		if !strings.HasPrefix(addr, "0.0.0.0:") {
			d.errs = append(d.errs, path+"."+key+" is "+addr+", expected 0.0.0.0:<port>")
			return
		}
		d.set(m, path, key, addr, podIP+strings.TrimPrefix(addr, "0.0.0.0"), why)
	}
	for _, proto := range []string{"grpc", "http"} {
		rebind(d.at("receivers", "otlp", "protocols", proto), "receivers.otlp.protocols."+proto, "endpoint")
	}
	rebind(d.at("extensions", "healthcheckv2", "http"), "extensions.healthcheckv2.http", "endpoint")
	readers, _ := d.at("service", "telemetry", "metrics")["readers"].([]any)
	if len(readers) != 1 {
		d.errs = append(d.errs, "service.telemetry.metrics.readers: expected one pull reader")
	} else if pull, ok := readers[0].(map[string]any)["pull"].(map[string]any); ok {
		prom, _ := pull["exporter"].(map[string]any)["prometheus"].(map[string]any)
		if prom == nil {
			d.errs = append(d.errs, "service.telemetry.metrics.readers[0].pull.exporter.prometheus is not in the rendered config")
		} else {
			d.set(prom, "service.telemetry.metrics.readers[0].pull.exporter.prometheus", "host", "0.0.0.0", podIP, why)
		}
	}
	query := d.at("extensions", "jaeger_query")
	d.add(query, "extensions.jaeger_query", "http", map[string]any{"endpoint": fmt.Sprintf("%s:%d", podIP, JaegerQueryHTTPPort)},
		"the query service binds :16686 on every interface by default")
	d.add(query, "extensions.jaeger_query", "grpc", map[string]any{"endpoint": fmt.Sprintf("%s:%d", podIP, JaegerQueryGRPCPort)},
		"the query service binds :16685 on every interface by default")
	return d.result()
}

// JaegerEnv is the environment that Jaeger needs here and not in its pod: its query service traces itself
// to the OTLP default, localhost:4317, which in the pod is Jaeger's own receiver (the pod's loopback) and
// here would be this machine's; so it is pointed at Jaeger's receiver on the pod's IP.
func JaegerEnv(podIP string) (map[string]string, Change) {
	v := fmt.Sprintf("http://%s:4317", podIP)
	return map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": v}, Change{Path: "env.OTEL_EXPORTER_OTLP_ENDPOINT", From: "(default localhost:4317)", To: v,
		Why: "jaeger_query traces itself to localhost:4317, its own receiver in the pod"}
}

// JaegerArgs rewrites the rendered arguments (--config <file in the pod>) to the written config file.
func JaegerArgs(args []string, configFile string) ([]string, Change, error) {
	if len(args) != 2 || args[0] != "--config" {
		return nil, Change{}, fmt.Errorf("jaeger's rendered args are %q, expected --config <file>", args)
	}
	return []string{"--config", configFile}, Change{Path: "args", From: args[1], To: configFile, Why: "the ConfigMap's file, rewritten"}, nil
}
