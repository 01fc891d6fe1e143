package stacks

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
)

// chaosObjects lists the registered chaos objects as "Kind/metadata.name", with their inputs' metadata.
func chaosObjects(rec *recorder) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range rec.Resources() {
		if !strings.HasPrefix(r.Type, "kubernetes:chaos-mesh.org/") || strings.HasSuffix(r.Type, "Patch") {
			continue // a halt Patch is not a chaos object (components.newHaltPatch)
		}
		kind := r.Type[strings.LastIndex(r.Type, ":")+1:]
		meta := r.Inputs["metadata"].Mappable().(map[string]any)
		out[kind+"/"+meta["name"].(string)] = meta
	}
	return out
}

func resourceKeys(rec *recorder) []string {
	var keys []string
	for _, r := range rec.Resources() {
		keys = append(keys, r.Type+"::"+r.Name)
	}
	sort.Strings(keys)
	return keys
}

func TestTogglingAScenarioAddsOrRemovesExactlyItsObject(t *testing.T) {
	off, _ := runLab(t, testConfig(t, map[string]string{KeyScenarios: `{"checkout-pod-kill":{"enabled":false}}`}))
	on, _ := runLab(t, testConfig(t, map[string]string{KeyScenarios: `{"checkout-pod-kill":{"enabled":true}}`}))

	before, after := resourceKeys(off), resourceKeys(on)
	var added []string
	for _, k := range after {
		if !contains(before, k) {
			added = append(added, k)
		}
	}
	for _, k := range before {
		if !contains(after, k) {
			t.Errorf("enabling a scenario removed %s", k)
		}
	}
	wantAdded := []string{"kubernetes:chaos-mesh.org/v1alpha1:Schedule::scenarios-schedule-checkout-pod-kill",
		"kubernetes:chaos-mesh.org/v1alpha1:Workflow::scenarios-workflow-checkout-pod-kill-first"}
	if !slices.Equal(added, wantAdded) {
		t.Fatalf("enabling checkout-pod-kill must add exactly its Schedule and its kick-off Workflow, added %v", added)
	}
	waits, _ := runLab(t, testConfig(t, map[string]string{KeyScenarios: `{"checkout-pod-kill":{"enabled":true,"startNow":false}}`}))
	if got := chaosObjects(waits); len(got) != 1 || got["Schedule/checkout-pod-kill"] == nil {
		t.Errorf("with startNow false, enabling checkout-pod-kill must add only its Schedule, got %v", got)
	}
	objects := chaosObjects(on)
	meta, ok := objects["Schedule/checkout-pod-kill"]
	if !ok {
		t.Fatalf("no Schedule named checkout-pod-kill, got %v", objects)
	}
	if meta["namespace"] != apps.AstronomyShop.Namespace {
		t.Errorf("the Schedule lives in %v, want %s", meta["namespace"], apps.AstronomyShop.Namespace)
	}
	if len(chaosObjects(off)) != 0 {
		t.Errorf("with every scenario off there must be no chaos object, got %v", chaosObjects(off))
	}
}

func TestHaltPausesSchedulesAndAbortsWorkflows(t *testing.T) {
	scenarios := `{"checkout-pod-kill":{"enabled":true},"recommendation-cpu-stress":{"enabled":true},"ad-failure":{"enabled":true}}`
	running, _ := runLab(t, testConfig(t, map[string]string{KeyScenarios: scenarios}))
	halted, exports := runLab(t, testConfig(t, map[string]string{KeyScenarios: scenarios, KeyHalt: "true"}))

	if got, want := len(chaosObjects(halted)), len(chaosObjects(running)); got != want || got < 2 {
		t.Fatalf("halt must keep every object: %d halted, %d running", got, want)
	}
	kinds := map[string]int{}
	for key, meta := range chaosObjects(halted) {
		kind := strings.Split(key, "/")[0]
		kinds[kind]++
		annotations, _ := meta["annotations"].(map[string]any)
		switch kind {
		case "Schedule":
			if annotations["experiment.chaos-mesh.org/pause"] != "true" {
				t.Errorf("%s: not paused (annotations %v)", key, annotations)
			}
		case "Workflow":
			if annotations["workflow.chaos-mesh.org/abort"] != "true" {
				t.Errorf("%s: not aborted (annotations %v)", key, annotations)
			}
		}
	}
	if kinds["Schedule"] == 0 || kinds["Workflow"] == 0 {
		t.Fatalf("the test needs a Schedule and a Workflow, got %v", kinds)
	}
	for key, meta := range chaosObjects(running) {
		annotations, _ := meta["annotations"].(map[string]any)
		if annotations["experiment.chaos-mesh.org/pause"] != nil || annotations["workflow.chaos-mesh.org/abort"] != nil {
			t.Errorf("%s carries a halt annotation while not halted: %v", key, annotations)
		}
	}
	if exports["halted"].Value != true {
		t.Errorf("halted output = %v", exports["halted"].Value)
	}
	// Scenarios' flags are cleared by halt, and set without it; the load generator's users stay.
	if flags := flagOverrides(t, halted); len(flags) != 1 || flags[components.LoadGeneratorVUsFlag] == nil {
		t.Errorf("halt must clear the scenarios' flag overrides and keep %s, got %v", components.LoadGeneratorVUsFlag, flags)
	}
	if flags := flagOverrides(t, running); flags["adFailure"] == nil {
		t.Errorf("ad-failure must override adFailure, got %v", flags)
	}
}

// flagOverrides returns the flags in the chaos-flag-overrides ConfigMap.
func flagOverrides(t *testing.T, rec *recorder) map[string]any {
	t.Helper()
	cm, ok := rec.named("kubernetes:core/v1:ConfigMap", components.FlagOverridesConfigMap)
	if !ok {
		t.Fatal("no flag overrides ConfigMap")
	}
	raw := cm.Inputs["data"].Mappable().(map[string]any)[components.FlagOverridesKey].(string)
	var doc struct {
		Flags map[string]any `json:"flags"`
	}
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatalf("flag overrides are not a flagd document: %v\n%s", err, raw)
	}
	return doc.Flags
}

// flagd reads the overrides as a second source, from the ConfigMap mounted as a directory.
func TestFlagdReadsTheOverrides(t *testing.T) {
	rec, _ := runLab(t, testConfig(t, nil))
	flagd := dig(t, values(t, rec, "otel-demo"), "components.flagd").(map[string]any)
	command := flagd["command"].([]any)
	uris := []string{}
	for i, arg := range command {
		if arg == "--uri" && i+1 < len(command) {
			uris = append(uris, command[i+1].(string))
		}
	}
	if len(uris) != 2 || !strings.HasSuffix(uris[1], "/"+components.FlagOverridesKey) {
		t.Fatalf("flagd must read the demo's flags, then the overrides; --uri %v", uris)
	}
	mount := flagd["mountedConfigMaps"].([]any)[0].(map[string]any)
	if mount["existingConfigMap"] != components.FlagOverridesConfigMap || mount["subPath"] != nil {
		t.Errorf("the overrides must be mounted whole (no subPath) from %s: %v", components.FlagOverridesConfigMap, mount)
	}
	if !strings.HasPrefix(uris[1], "file:"+mount["mountPath"].(string)+"/") {
		t.Errorf("flagd reads %s but the ConfigMap is mounted at %v", uris[1], mount["mountPath"])
	}
}

func TestScenarioRowsFollowEnabledScenarios(t *testing.T) {
	rec, _ := runLab(t, testConfig(t, map[string]string{KeyScenarios: `{"frontend-catalog-latency":{"enabled":true}}`}))
	cm, ok := rec.named("kubernetes:core/v1:ConfigMap", components.GrafanaDashboardsConfigMap)
	if !ok {
		t.Fatal("no dashboards ConfigMap")
	}
	data := cm.Inputs["data"].Mappable().(map[string]any)
	if len(data) != 5 {
		t.Errorf("want 5 dashboards, got %d", len(data))
	}
	impact, ok := data["chaoslab-scenario-impact.json"].(string)
	if !ok || !strings.Contains(impact, "frontend-catalog-latency") {
		t.Errorf("the scenario impact dashboard must have a row for frontend-catalog-latency")
	}
	// Each file is the dashboard's JSON, compacted: the ConfigMap travels whole through every preview.
	for name, text := range data {
		var compact bytes.Buffer
		if err := json.Compact(&compact, []byte(text.(string))); err != nil {
			t.Errorf("%s is not JSON: %v", name, err)
		} else if compact.String() != text {
			t.Errorf("%s is not compact JSON", name)
		}
	}
}

func TestSLORulesAreProvisionedIntoPrometheus(t *testing.T) {
	rec, _ := runLab(t, testConfig(t, nil))
	serverFiles := dig(t, values(t, rec, "prometheus"), "serverFiles").(map[string]any)
	for _, name := range []string{"recording_rules.yml", "alerting_rules.yml"} {
		doc, ok := serverFiles[name].(map[string]any)
		if !ok || len(doc["groups"].([]any)) == 0 {
			t.Errorf("%s has no rule groups: %v", name, serverFiles[name])
		}
	}
	if dig(t, values(t, rec, "prometheus"), "server.global.scrape_interval") != "5s" {
		t.Error("Prometheus must scrape every 5 s")
	}
	if dig(t, values(t, rec, "prometheus"), "server.persistentVolume.enabled") != false {
		t.Error("Prometheus must not claim a volume")
	}
}

func TestBadConfigFailsBeforeAnyResource(t *testing.T) {
	rec := newRecorder()
	t.Setenv("PULUMI_CONFIG", `{"chaos-mesh-otel:grafanaAdminPassword":"long-enough","chaos-mesh-otel:scenarios":"{\"x\":{\"enabled\":true,\"fault\":\"pod-kill\",\"target\":\"nowhere\"}}"}`)
	err := pulumi.RunErr(Lab, pulumi.WithMocks("chaos-mesh-otel", "test", rec))
	if err == nil || !strings.Contains(err.Error(), "chaos-mesh-otel:scenarios.x.target") {
		t.Fatalf("want an error naming chaos-mesh-otel:scenarios.x.target, got %v", err)
	}
	if len(rec.Resources()) != 0 {
		t.Errorf("a bad config must register nothing, got %d resources", len(rec.Resources()))
	}
}

func TestGoodConfigRunsThroughLab(t *testing.T) {
	rec := newRecorder()
	t.Setenv("PULUMI_CONFIG", `{"chaos-mesh-otel:grafanaAdminPassword":"long-enough","chaos-mesh-otel:sloGate":"off","chaos-mesh-otel:chartsDir":"`+sharedCharts(t)+`"}`)
	if err := pulumi.RunErr(Lab, pulumi.WithMocks("chaos-mesh-otel", "test", rec)); err != nil {
		t.Fatal(err)
	}
	if len(rec.ofType("kubernetes:helm.sh/v3:Release")) != 6 {
		t.Errorf("want 6 releases, got %d", len(rec.ofType("kubernetes:helm.sh/v3:Release")))
	}
	if len(rec.ofType("chaos-mesh-otel:observability:SLOGate")) != 0 {
		t.Error("sloGate=off must not declare the gate")
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
