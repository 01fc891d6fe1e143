package wiring

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/testtool"
)

// The collector config is validated by the collector's own libraries in otelcol-validate (e2e/tools/
// otelcol-validate), a collector built with exactly the lab's components. OTELCOL_VALIDATE names the binary;
// `make e2e` builds it and runs these tests.

// otelcolValidate returns the validator binary, or skips. In CI's end-to-end flow (CI=true and
// E2E_TOOLS_BIN set) the binary has to be there, so a missing one fails instead.
func otelcolValidate(t *testing.T) string {
	t.Helper()
	return testtool.Need(t, testtool.OtelcolValidate)
}

var envRef = regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)`)

// collectorEnv is the environment that the collector's container declares, with a sample value for each
// variable: the rendered config's ${env:...} references must all be declared there, or they expand to
// nothing in the pod.
func collectorEnv(t *testing.T, objs *Objects, relay string) []string {
	t.Helper()
	dep := objs.Get("Deployment", components.ObservabilityNamespace, components.CollectorService)
	if dep == nil {
		t.Fatalf("no Deployment %s/%s", components.ObservabilityNamespace, components.CollectorService)
	}
	declared := map[string]bool{}
	containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	for _, c := range containers {
		env, _, _ := unstructured.NestedSlice(c.(map[string]any), "env")
		for _, e := range env {
			if name, _ := e.(map[string]any)["name"].(string); name != "" {
				declared[name] = true
			}
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, m := range envRef.FindAllStringSubmatch(relay, -1) {
		name := m[1]
		if seen[name] {
			continue
		}
		seen[name] = true
		if !declared[name] {
			t.Errorf("the collector config references ${env:%s}, which the collector's container does not declare", name)
		}
		// Every reference in the lab's config is an address (a pod IP); an IP is a valid value for each.
		out = append(out, name+"=10.244.0.7")
	}
	return out
}

// runValidate runs the validator on the config and returns its combined output and whether it passed.
func runValidate(t *testing.T, bin, config string, env []string) (string, bool) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relay.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "validate", "--config=file:"+path)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("otelcol-validate timed out: %s", out.String())
	}
	if _, isExit := err.(*exec.ExitError); err != nil && !isExit {
		t.Fatalf("running %s: %v", bin, err)
	}
	return out.String(), err == nil
}

// labRelay is the rendered collector config: its raw text and its parsed form.
func labRelay(t *testing.T, objs *Objects) (string, map[string]any) {
	t.Helper()
	cm, cfg, err := collectorConfig(objs)
	if cm == nil || err != nil || cfg == nil {
		t.Fatalf("the collector's ConfigMap and its %q key: %v", CollectorConfigKey, err)
	}
	raw, _, _ := unstructured.NestedString(cm.Object, "data", CollectorConfigKey)
	return raw, cfg
}

// TestOtelcolValidateLab: the lab's rendered collector config, exactly as the ConfigMap holds it (the
// chart's kubernetesAttributes preset included), is valid for the collector.
func TestOtelcolValidateLab(t *testing.T) {
	bin := otelcolValidate(t)
	objs := lab(t)
	raw, cfg := labRelay(t, objs)
	env := collectorEnv(t, objs, raw)

	// Guard against a vacuous pass: the config is the lab's, with the three pipelines, the spanmetrics
	// connector and the preset's processor in every pipeline.
	pipelines, _, _ := unstructured.NestedMap(cfg, "service", "pipelines")
	for _, name := range []string{"traces", "metrics", "logs"} {
		pl, ok := pipelines[name].(map[string]any)
		if !ok {
			t.Fatalf("pipeline %s is missing from the rendered config", name)
		}
		procs := stringList(pl["processors"])
		if !containsAny(procs, "k8s_attributes", "k8sattributes") {
			t.Errorf("pipeline %s has no k8s_attributes processor: %v", name, procs)
		}
	}
	if _, ok, _ := unstructured.NestedMap(cfg, "connectors", "spanmetrics"); !ok {
		t.Error("the rendered config has no spanmetrics connector")
	}

	out, ok := runValidate(t, bin, raw, env)
	if !ok {
		t.Fatalf("the collector rejects the lab's config:\n%s\nconfig:\n%s", out, raw)
	}
	t.Logf("otelcol-validate: valid\n%s", out)
}

// TestOtelcolValidateComponents: the validator knows the lab's component types, the processor under both
// names (the chart writes either, depending on rewriteDeprecatedComponentNames).
func TestOtelcolValidateComponents(t *testing.T) {
	bin := otelcolValidate(t)
	out, err := exec.Command(bin, "components").CombinedOutput()
	if err != nil {
		t.Fatalf("%s components: %v\n%s", bin, err, out)
	}
	have := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		have[line] = true
	}
	for _, want := range []string{
		"receiver otlp", "receiver prometheus",
		"processor memory_limiter", "processor batch", "processor k8s_attributes", "processor k8sattributes",
		"exporter otlp", "exporter prometheus", "exporter debug",
		"connector spanmetrics",
		"extension health_check",
	} {
		if !have[want] {
			t.Errorf("otelcol-validate does not register %s; it has:\n%s", want, out)
		}
	}
}

// TestOtelcolValidateMutations: each broken copy of the lab's config is rejected with the collector's own
// message, so the lab test above could fail.
func TestOtelcolValidateMutations(t *testing.T) {
	bin := otelcolValidate(t)
	objs := lab(t)
	raw, _ := labRelay(t, objs)
	env := collectorEnv(t, objs, raw)

	pipeline := func(cfg map[string]any, name string) map[string]any {
		pl, _, _ := unstructured.NestedMap(cfg, "service", "pipelines", name)
		if pl == nil {
			t.Fatalf("no pipeline %s", name)
		}
		return pl
	}
	setPipeline := func(cfg map[string]any, name string, pl map[string]any) {
		if err := unstructured.SetNestedMap(cfg, pl, "service", "pipelines", name); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		mutate func(cfg map[string]any)
		want   string
	}{
		{
			name: "pipeline names an undefined exporter",
			mutate: func(cfg map[string]any) {
				pl := pipeline(cfg, "traces")
				pl["exporters"] = append(pl["exporters"].([]any), "otlp/nowhere")
				setPipeline(cfg, "traces", pl)
			},
			want: `service::pipelines::traces: references exporter "otlp/nowhere" which is not configured`,
		},
		{
			name: "unknown component type",
			mutate: func(cfg map[string]any) {
				receivers, _, _ := unstructured.NestedMap(cfg, "receivers")
				receivers["zipkin"] = map[string]any{}
				_ = unstructured.SetNestedMap(cfg, receivers, "receivers")
				pl := pipeline(cfg, "traces")
				pl["receivers"] = append(pl["receivers"].([]any), "zipkin")
				setPipeline(cfg, "traces", pl)
			},
			want: `unknown type: "zipkin"`,
		},
		{
			name: "connector that no pipeline receives from",
			mutate: func(cfg map[string]any) {
				pl := pipeline(cfg, "metrics")
				var kept []any
				for _, r := range pl["receivers"].([]any) {
					if r != "spanmetrics" {
						kept = append(kept, r)
					}
				}
				pl["receivers"] = kept
				setPipeline(cfg, "metrics", pl)
			},
			want: `connector "spanmetrics" used as exporter`,
		},
		{
			name: "pipeline without an exporter",
			mutate: func(cfg map[string]any) {
				pl := pipeline(cfg, "logs")
				pl["exporters"] = []any{}
				setPipeline(cfg, "logs", pl)
			},
			want: "must have at least one exporter",
		},
		{
			name: "unknown field in a component's config",
			mutate: func(cfg map[string]any) {
				_ = unstructured.SetNestedField(cfg, "5m", "exporters", "prometheus", "metrics_expiry")
			},
			want: "metrics_expiry",
		},
		{
			name: "invalid config of the chart's k8s_attributes processor",
			mutate: func(cfg map[string]any) {
				procs, _, _ := unstructured.NestedMap(cfg, "processors")
				for _, id := range []string{"k8s_attributes", "k8sattributes"} {
					if _, ok := procs[id]; ok {
						_ = unstructured.SetNestedStringSlice(cfg, []string{"k8s.pod.name", "k8s.pod.shoe_size"}, "processors", id, "extract", "metadata")
						return
					}
				}
				t.Fatal("the rendered config has no k8s_attributes processor")
			},
			want: `"k8s.pod.shoe_size" is not a supported metadata field`,
		},
		{
			name: "service extension that is not defined",
			mutate: func(cfg map[string]any) {
				_ = unstructured.SetNestedSlice(cfg, []any{"health_check", "pprof"}, "service", "extensions")
			},
			want: `references extension "pprof" which is not configured`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cfg map[string]any
			if err := yaml.Unmarshal([]byte(raw), &cfg); err != nil {
				t.Fatal(err)
			}
			tc.mutate(cfg)
			data, err := yaml.Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			out, ok := runValidate(t, bin, string(data), env)
			if ok {
				t.Fatalf("the collector accepts the broken config:\n%s", data)
			}
			if !strings.Contains(out, tc.want) {
				t.Fatalf("the collector's error does not say %q:\n%s", tc.want, out)
			}
		})
	}
}

func containsAny(list []string, items ...string) bool {
	for _, s := range list {
		for _, it := range items {
			if s == it {
				return true
			}
		}
	}
	return false
}
