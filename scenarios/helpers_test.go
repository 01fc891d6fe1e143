package scenarios

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// testOpts are the lab's defaults: the shop without its LLM services, and the in-cluster gate.
func testOpts() Options {
	return Options{
		Deployment: apps.AstronomyShop.Deploy(),
		Gate: Gate{
			URL:  "http://slo-gate.observability.svc:8080",
			SLOs: []string{"frontend-proxy-availability", "checkout-availability", "checkout-latency"},
		},
	}
}

// one builds a config with a single scenario named "s" and returns the plan.
func one(t *testing.T, keys map[string]any, opts Options) *Plan {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"s": keys})
	if err != nil {
		t.Fatal(err)
	}
	p, errs := Build(raw, opts)
	if errs != nil {
		t.Fatalf("Build: %v", errs)
	}
	return p
}

func object(t *testing.T, p *Plan, name string) Object {
	t.Helper()
	for _, o := range p.Objects {
		if o.Name == name {
			return o
		}
	}
	t.Fatalf("no object %q among %d objects", name, len(p.Objects))
	return Object{}
}

// chaosOf returns the embedded chaos and the duration of a single-fault object (Schedule or one-shot Workflow).
func chaosOf(t *testing.T, o Object) (v1alpha1.EmbedChaos, string, string) {
	t.Helper()
	switch typed := o.Typed.(type) {
	case *v1alpha1.Schedule:
		return typed.Spec.EmbedChaos, string(typed.Spec.Type), ""
	case *v1alpha1.Workflow:
		ts := typed.Spec.Templates
		if len(ts) != 2 || ts[0].Name != typed.Spec.Entry || ts[0].Type != v1alpha1.TypeSerial || len(ts[0].Children) != 1 || ts[0].Children[0] != ts[1].Name {
			t.Fatalf("one-shot workflow should be Serial entry + one chaos template, got %+v", ts)
		}
		if ts[1].Deadline == nil || ts[1].EmbedChaos == nil {
			t.Fatalf("chaos template without deadline or chaos: %+v", ts[1])
		}
		return *ts[1].EmbedChaos, string(ts[1].Type), *ts[1].Deadline
	}
	t.Fatalf("unexpected typed object %T", o.Typed)
	return v1alpha1.EmbedChaos{}, "", ""
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func wantEq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func checkSelector(t *testing.T, sel v1alpha1.PodSelector, target, mode, value string) {
	t.Helper()
	wantEq(t, "selector.namespaces", strings.Join(sel.Selector.Namespaces, ","), "otel-demo")
	wantEq(t, "selector.labelSelectors", len(sel.Selector.LabelSelectors), 1)
	wantEq(t, "selector.labelSelectors[component]", sel.Selector.LabelSelectors["app.kubernetes.io/component"], target)
	wantEq(t, "mode", string(sel.Mode), mode)
	wantEq(t, "value", sel.Value, value)
}
