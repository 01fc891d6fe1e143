package labstack

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/testproject"
)

// lookup is a stack config as the engine hands it over: the password set, the scenarios as JSON.
func lookup(scenarios map[string]any, extra map[string]string) func(string) (string, bool) {
	raw, _ := json.Marshal(scenarios)
	values := map[string]string{"grafanaAdminPassword": "a-long-password", "sloGate": "image", "scenarios": string(raw)}
	for k, v := range extra {
		values[k] = v
	}
	return func(k string) (string, bool) { v, ok := values[k]; return v, ok }
}

func on() map[string]any { return map[string]any{"enabled": true} }

// Each preset, parsed alone by the program's own parser, maps to the object a run watches.
func TestParseMapsEachPresetToItsObject(t *testing.T) {
	cases := map[string]experiment.Scenario{
		"checkout-pod-kill": {Name: "checkout-pod-kill", Kind: "Schedule", Fault: "pod-kill", Target: "checkout", Object: "checkout-pod-kill", Schedule: "@every 10m",
			KickOff: "checkout-pod-kill-first"},
		"frontend-catalog-latency": {Name: "frontend-catalog-latency", Kind: "Workflow", Fault: "network-delay", Target: "frontend", Object: "frontend-catalog-latency"},
		"ad-failure":               {Name: "ad-failure", Kind: "Flag", Fault: "flag", Target: "ad"},
	}
	for name, want := range cases {
		plan, err := Parse(lookup(map[string]any{name: on()}, nil))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(plan.Enabled) != 1 || plan.Enabled[0] != want {
			t.Errorf("%s: %+v, want %+v", name, plan.Enabled, want)
		}
		if plan.ShopNamespace != "otel-demo" || len(plan.SLOs) == 0 || plan.Halt {
			t.Errorf("%s: plan %+v", name, plan)
		}
	}
	waits, err := Parse(lookup(map[string]any{"checkout-pod-kill": map[string]any{"enabled": true, "startNow": false}}, nil))
	if err != nil || len(waits.Enabled) != 1 || waits.Enabled[0].KickOff != "" || waits.Enabled[0].Object != "checkout-pod-kill" {
		t.Errorf("checkout-pod-kill with startNow false: %+v %v", waits, err)
	}
	gameday, err := Parse(lookup(map[string]any{"checkout-gameday": on()}, nil))
	if err != nil || len(gameday.Enabled) != 1 || gameday.Enabled[0].Object != "checkout-gameday" || gameday.Enabled[0].Kind != "Workflow" {
		t.Errorf("checkout-gameday: %+v %v", gameday, err)
	}
}

func TestParseCarriesHaltTheClusterAndTheProgramsErrors(t *testing.T) {
	plan, err := Parse(lookup(nil, map[string]string{"halt": "true", "kubeconfig": "/k", "context": "minikube"}))
	if err != nil || !plan.Halt || plan.Kubeconfig != "/k" || plan.Context != "minikube" {
		t.Errorf("%+v %v", plan, err)
	}
	_, err = Parse(lookup(map[string]any{"checkout-pod-kill": map[string]any{"enabled": "maybe"}}, nil))
	if err == nil || !strings.Contains(err.Error(), "chaos-mesh-otel:scenarios.checkout-pod-kill.enabled") {
		t.Errorf("a bad config: %v", err)
	}
}

func TestChangeOfKeepsWhatAnUpdateChanged(t *testing.T) {
	step := func(op apitype.OpType) apitype.StepEventMetadata {
		return apitype.StepEventMetadata{Op: op, Type: "kubernetes:chaos-mesh.org/v1alpha1:Schedule",
			URN: "urn:pulumi:dev::chaos-mesh-otel::chaos-mesh-otel:chaos:Scenarios$kubernetes:chaos-mesh.org/v1alpha1:Schedule::scenarios-checkout-pod-kill"}
	}
	done := events.EngineEvent{EngineEvent: apitype.EngineEvent{ResOutputsEvent: &apitype.ResOutputsEvent{Metadata: step("create")}}}
	c, ok := changeOf(done)
	if !ok || c.Op != "create" || c.Name != "scenarios-checkout-pod-kill" || c.Type != "kubernetes:chaos-mesh.org/v1alpha1:Schedule" {
		t.Errorf("create: %+v %v", c, ok)
	}
	failed := events.EngineEvent{EngineEvent: apitype.EngineEvent{ResOpFailedEvent: &apitype.ResOpFailedEvent{Metadata: step("delete")}}}
	if c, ok := changeOf(failed); !ok || c.Op != "failed to delete" {
		t.Errorf("failed: %+v %v", c, ok)
	}
	same := events.EngineEvent{EngineEvent: apitype.EngineEvent{ResOutputsEvent: &apitype.ResOutputsEvent{Metadata: step("same")}}}
	if _, ok := changeOf(same); ok {
		t.Errorf("an unchanged resource is reported")
	}
}

func TestUpdateErrorKeepsTheDiagnostics(t *testing.T) {
	err := errors.New("failed to run update: exit status 255\ncode: 255\nstdout: Updating (dev):\n  lots of progress\nDiagnostics:\n  kubernetes:chaos-mesh.org/v1alpha1:Schedule (checkout-pod-kill):\n    error: admission webhook denied")
	if got := updateError(err); !strings.HasPrefix(got, "Diagnostics:") || !strings.Contains(got, "admission webhook denied") {
		t.Errorf("updateError = %q", got)
	}
}

func TestScenariosFormAndConfigFile(t *testing.T) {
	dir := testproject.Dir(t)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := map[string]string{
		"config:\n  chaos-mesh-otel:scenarios:\n    a: {enabled: false}\n": formMap,
		"config:\n  chaos-mesh-otel:context: minikube\n":                   formMap,
		"config:\n  chaos-mesh-otel:scenarios: '{\"a\":{}}'\n":             formString,
		"config:\n  chaos-mesh-otel:scenarios:\n    secure: v1:abc==\n":    formSecret,
	}
	for body, want := range cases {
		if got, err := scenariosForm(write("Pulumi.x.yaml", body)); err != nil || got != want {
			t.Errorf("%q: %s %v, want %s", body, got, err, want)
		}
	}
	if got, err := scenariosForm(filepath.Join(dir, "absent.yaml")); err != nil || got != formMap {
		t.Errorf("absent file: %s %v", got, err)
	}
	write("Pulumi.prod.yml", "config: {}\n")
	if got := configFile(dir, "org/project/prod"); got != filepath.Join(dir, "Pulumi.prod.yml") {
		t.Errorf("configFile = %s", got)
	}
	if got := configFile(dir, "dev"); got != filepath.Join(dir, "Pulumi.dev.yaml") {
		t.Errorf("configFile of a stack with no file yet = %s", got)
	}
}

func TestTheCLIAlwaysRunsNonInteractive(t *testing.T) {
	if !hasFlag([]string{"--non-interactive", "up"}, "--non-interactive") || hasFlag([]string{"config", "set", "--", "--non-interactive"}, "--non-interactive") {
		t.Error("hasFlag must look before -- only")
	}
}

// A run waits for, and watches, the namespaces that the stack's config deploys: they follow app and istio.
func TestParseNamespacesFollowTheApp(t *testing.T) {
	cases := []struct {
		extra      map[string]string
		shop       string
		namespaces []string
	}{
		{nil, "otel-demo", []string{"otel-demo", "chaos-mesh", "observability"}},
		{map[string]string{"app": "online-boutique", "istio": "true"}, "online-boutique",
			[]string{"online-boutique", "chaos-mesh", "observability", "istio-system"}},
	}
	for _, c := range cases {
		plan, err := Parse(lookup(map[string]any{}, c.extra))
		if err != nil {
			t.Fatalf("%v: %v", c.extra, err)
		}
		if plan.ShopNamespace != c.shop || strings.Join(plan.Namespaces, ",") != strings.Join(c.namespaces, ",") {
			t.Errorf("%v: shop namespace %q, namespaces %v; want %q, %v", c.extra, plan.ShopNamespace, plan.Namespaces, c.shop, c.namespaces)
		}
	}
}
