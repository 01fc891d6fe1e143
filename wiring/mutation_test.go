package wiring

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// mutate breaks one object of a copy of the lab and returns the report of all checks on it.
func mutate(t *testing.T, kind, ns, name string, fn func(u *unstructured.Unstructured)) *Report {
	t.Helper()
	objs := lab(t).DeepCopy()
	u := objs.Get(kind, ns, name)
	if u == nil {
		t.Fatalf("%s %s/%s is not in the rendered lab", kind, ns, name)
	}
	fn(u)
	return Check(objs, Options{SkipPromtool: true})
}

// expectFinding asserts that a finding of the check mentions every one of the fragments.
func expectFinding(t *testing.T, r *Report, check string, fragments ...string) {
	t.Helper()
	for _, f := range r.FindingsOf(check) {
		s := f.String()
		all := true
		for _, frag := range fragments {
			if !strings.Contains(s, frag) {
				all = false
			}
		}
		if all {
			return
		}
	}
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.String())
	}
	t.Fatalf("no %s finding with %q; findings:\n  %s", check, fragments, strings.Join(got, "\n  "))
}

// setEnv sets a container's env variable in a pod template.
func setEnv(t *testing.T, u *unstructured.Unstructured, container, name, value string) {
	t.Helper()
	containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	for _, c := range containers {
		cm := c.(map[string]any)
		if cm["name"] != container {
			continue
		}
		env, _ := cm["env"].([]any)
		for _, e := range env {
			em := e.(map[string]any)
			if em["name"] == name {
				em["value"] = value
				if err := unstructured.SetNestedSlice(u.Object, containers, "spec", "template", "spec", "containers"); err != nil {
					t.Fatal(err)
				}
				return
			}
		}
	}
	t.Fatalf("%s has no env %s in container %s", ref(u), name, container)
}

func TestMutationEndpointEnv(t *testing.T) {
	// A typo in the collector's name, which every OTLP endpoint expands from $(OTEL_COLLECTOR_NAME).
	r := mutate(t, "Deployment", "otel-demo", "checkout", func(u *unstructured.Unstructured) {
		setEnv(t, u, "checkout", "OTEL_COLLECTOR_NAME", "otel-colector.observability.svc")
	})
	expectFinding(t, r, CheckEndpoints, "Deployment otel-demo/checkout", "env[OTEL_EXPORTER_OTLP_ENDPOINT]", "Service observability/otel-colector exposing port 4318")
}

func TestMutationEndpointHostPortPair(t *testing.T) {
	r := mutate(t, "Deployment", "otel-demo", "frontend-proxy", func(u *unstructured.Unstructured) {
		setEnv(t, u, "frontend-proxy", "GRAFANA_PORT", "3000")
	})
	expectFinding(t, r, CheckEndpoints, "Deployment otel-demo/frontend-proxy", "env[GRAFANA_HOST,GRAFANA_PORT]", "Service observability/grafana exposing port 3000", "the Service exposes 80")
}

func TestMutationServicePort(t *testing.T) {
	r := mutate(t, "Service", "otel-demo", "kafka", func(u *unstructured.Unstructured) {
		ports, _, _ := unstructured.NestedSlice(u.Object, "spec", "ports")
		for _, p := range ports {
			if pm := p.(map[string]any); pm["port"] == int64(9092) {
				pm["port"] = int64(9094)
			}
		}
		_ = unstructured.SetNestedSlice(u.Object, ports, "spec", "ports")
	})
	expectFinding(t, r, CheckEndpoints, "Deployment otel-demo/checkout", "env[KAFKA_ADDR]", "Service otel-demo/kafka exposing port 9092")
	// The wait-for-kafka init container's `nc -z kafka 9092` is checked too.
	expectFinding(t, r, CheckEndpoints, "initContainers[wait-for-kafka].command[2]", "Service otel-demo/kafka exposing port 9092")
}

func TestMutationTargetPort(t *testing.T) {
	// The Service keeps its port but targets a container port name that the pod does not have.
	r := mutate(t, "Service", "observability", "slo-gate", func(u *unstructured.Unstructured) {
		ports, _, _ := unstructured.NestedSlice(u.Object, "spec", "ports")
		ports[0].(map[string]any)["targetPort"] = "metrics"
		_ = unstructured.SetNestedSlice(u.Object, ports, "spec", "ports")
	})
	expectFinding(t, r, CheckEndpoints, "container port metrics behind Service observability/slo-gate")
}

func TestMutationPodLabel(t *testing.T) {
	// The label that the shipping Service selects on changed upstream.
	r := mutate(t, "Deployment", "otel-demo", "shipping", func(u *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(u.Object, "shipping-v2", "spec", "template", "metadata", "labels", "opentelemetry.io/name")
	})
	expectFinding(t, r, CheckEndpoints, "Deployment otel-demo/checkout", "env[SHIPPING_ADDR]", "matching the selector opentelemetry.io/name=shipping of Service otel-demo/shipping")
}

func TestMutationScenarioLabel(t *testing.T) {
	// The label that scenarios select on: the pod-kill schedule and the game day's step hit nothing.
	r := mutate(t, "Deployment", "otel-demo", "checkout", func(u *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(u.Object, "checkout-v2", "spec", "template", "metadata", "labels", "app.kubernetes.io/component")
	})
	expectFinding(t, r, CheckScenarios, "Schedule otel-demo/checkout-pod-kill", "spec.podChaos.selector", "app.kubernetes.io/component=checkout")
	expectFinding(t, r, CheckScenarios, "Workflow otel-demo/checkout-gameday", "app.kubernetes.io/component=checkout")
	for _, b := range r.Blast {
		if b.Scenario == "checkout-pod-kill" && len(b.Workloads) != 0 {
			t.Errorf("blast radius of a selector that matches nothing: %v", b.Workloads)
		}
	}
}

func TestMutationNetworkTarget(t *testing.T) {
	r := mutate(t, "Deployment", "otel-demo", "product-catalog", func(u *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(u.Object, "catalog", "spec", "template", "metadata", "labels", "app.kubernetes.io/component")
	})
	expectFinding(t, r, CheckScenarios, "Workflow otel-demo/frontend-catalog-latency", ".target.selector", "app.kubernetes.io/component=product-catalog")
}

func TestMutationHTTPChaosPort(t *testing.T) {
	r := mutate(t, "Deployment", "otel-demo", "shipping", func(u *unstructured.Unstructured) {
		containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
		ports := containers[0].(map[string]any)["ports"].([]any)
		ports[0].(map[string]any)["containerPort"] = int64(8081)
		_ = unstructured.SetNestedSlice(u.Object, containers, "spec", "template", "spec", "containers")
	})
	expectFinding(t, r, CheckScenarios, "Workflow otel-demo/shipping-http-faults", ".port", "container port 8080 in Deployment otel-demo/shipping")
}

func TestMutationNamespaceNotInjectable(t *testing.T) {
	r := mutate(t, "Namespace", "", "otel-demo", func(u *unstructured.Unstructured) {
		u.SetAnnotations(nil)
	})
	expectFinding(t, r, CheckScenarios, "Schedule otel-demo/checkout-pod-kill", "chaos-mesh.org/inject=enabled on Namespace otel-demo")
}

func TestMutationUnknownFlag(t *testing.T) {
	r := mutate(t, "ConfigMap", "otel-demo", "chaos-flag-overrides", func(u *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(u.Object, `{"flags":{"adFailur":{"state":"ENABLED","defaultVariant":"on","variants":{"on":true,"off":false}}}}`, "data", "flags.json")
	})
	expectFinding(t, r, CheckScenarios, "ConfigMap otel-demo/chaos-flag-overrides", "flag adFailur in the demo's flagd config")
}

func TestMutationScrapeAnnotation(t *testing.T) {
	// The collector's pod loses its scrape annotation: no spanmetrics, no collector telemetry.
	r := mutate(t, "Deployment", "observability", "otel-collector", func(u *unstructured.Unstructured) {
		unstructured.RemoveNestedField(u.Object, "spec", "template", "metadata", "annotations", "prometheus.io/scrape")
	})
	expectFinding(t, r, CheckPrometheus, "Deployment observability/otel-collector", "scrape job kubernetes-pods on port 9464")
	expectFinding(t, r, CheckMetrics, "traces_span_metrics_calls_total", "finds Deployment observability/otel-collector on its prometheus exporter port 9464")
	expectFinding(t, r, CheckMetrics, "otelcol_receiver_accepted_spans_total")
}

func TestMutationScrapePort(t *testing.T) {
	r := mutate(t, "Deployment", "observability", "otel-collector", func(u *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(u.Object, "9465", "spec", "template", "metadata", "annotations", "prometheus.io/port")
	})
	expectFinding(t, r, CheckPrometheus, "Deployment observability/otel-collector", "container port 9465 for job kubernetes-pods")
}

func TestMutationServiceScrapeAnnotation(t *testing.T) {
	r := mutate(t, "Service", "observability", "prometheus-kube-state-metrics", func(u *unstructured.Unstructured) {
		u.SetAnnotations(nil)
	})
	expectFinding(t, r, CheckPrometheus, "Deployment observability/prometheus-kube-state-metrics", "scrape job kubernetes-service-endpoints")
	expectFinding(t, r, CheckMetrics, "kube_pod_status_ready", "prometheus-kube-state-metrics")
}

// setCollectorConfig edits the collector's parsed config and writes it back.
func setCollectorConfig(t *testing.T, u *unstructured.Unstructured, fn func(cfg map[string]any)) {
	t.Helper()
	objs := &Objects{Items: []*unstructured.Unstructured{u}}
	_, cfg, err := collectorConfig(objs)
	if err != nil || cfg == nil {
		t.Fatalf("collector config: %v", err)
	}
	fn(cfg)
	data, err := yamlMarshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_ = unstructured.SetNestedField(u.Object, data, "data", CollectorConfigKey)
}

func TestMutationCollectorConnector(t *testing.T) {
	r := mutate(t, "ConfigMap", "observability", "otel-collector", func(u *unstructured.Unstructured) {
		setCollectorConfig(t, u, func(cfg map[string]any) {
			traces := cfg["service"].(map[string]any)["pipelines"].(map[string]any)["traces"].(map[string]any)
			traces["exporters"] = []any{"otlp/jaeger"}
		})
	})
	expectFinding(t, r, CheckCollector, "connectors.spanmetrics", "a pipeline that exports to the connector")
	expectFinding(t, r, CheckMetrics, "traces_span_metrics_duration_milliseconds_bucket", "spanmetrics connector")
}

func TestMutationCollectorUndefined(t *testing.T) {
	r := mutate(t, "ConfigMap", "observability", "otel-collector", func(u *unstructured.Unstructured) {
		setCollectorConfig(t, u, func(cfg map[string]any) {
			delete(cfg["exporters"].(map[string]any), "otlp/jaeger")
			cfg["processors"].(map[string]any)["transfrom"] = map[string]any{}
		})
	})
	expectFinding(t, r, CheckCollector, "pipelines.traces.exporters", "a definition of otlp/jaeger under exporters")
	expectFinding(t, r, CheckCollector, "processors.transfrom", "unknown component type transfrom")
}

func TestMutationSpanMetricsNamespace(t *testing.T) {
	r := mutate(t, "ConfigMap", "observability", "otel-collector", func(u *unstructured.Unstructured) {
		setCollectorConfig(t, u, func(cfg map[string]any) {
			cfg["connectors"].(map[string]any)["spanmetrics"].(map[string]any)["namespace"] = "span.metrics"
		})
	})
	expectFinding(t, r, CheckMetrics, "traces_span_metrics_calls_total", "its namespace gives span_metrics_")
}

func TestMutationRecordingRule(t *testing.T) {
	r := mutate(t, "ConfigMap", "observability", "prometheus-server", func(u *unstructured.Unstructured) {
		unstructured.RemoveNestedField(u.Object, "data", "recording_rules.yml")
	})
	expectFinding(t, r, CheckMetrics, "slo:sli_error:ratio_rate5m", "recording rule")
}
