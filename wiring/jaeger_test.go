package wiring

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
)

// Jaeger's in-memory store grows to its max_traces: the rendered Deployment gives the jaeger container a
// Go heap limit of 80 % of its memory limit (the chart takes jaeger.extraEnv), so that the GC runs before
// the cgroup's limit is reached.
func TestJaegerHasAGoMemLimitUnderItsLimit(t *testing.T) {
	dep := lab(t).Get("Deployment", components.ObservabilityNamespace, components.JaegerService)
	if dep == nil {
		t.Fatalf("no Deployment %s/%s", components.ObservabilityNamespace, components.JaegerService)
	}
	containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	found := false
	for _, c := range containers {
		ctr := c.(map[string]any)
		if ctr["name"] != components.JaegerService {
			continue
		}
		found = true
		raw, _, _ := unstructured.NestedString(ctr, "resources", "limits", "memory")
		limit, err := resource.ParseQuantity(raw)
		if err != nil {
			t.Fatalf("jaeger's memory limit %q: %v", raw, err)
		}
		want := fmt.Sprintf("%dMiB", limit.Value()>>20*8/10)
		env, _, _ := unstructured.NestedSlice(ctr, "env")
		got := ""
		for _, e := range env {
			if m := e.(map[string]any); m["name"] == "GOMEMLIMIT" {
				got, _ = m["value"].(string)
			}
		}
		if got != want {
			t.Errorf("jaeger's GOMEMLIMIT is %q, want %q (80 %% of its %s limit)", got, want, raw)
		}
	}
	if !found {
		t.Errorf("the Deployment has no container %q", components.JaegerService)
	}
}
