//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment/labstack"
)

// TestRunEngine checks chaoslab run's Automation API engine against the real Pulumi CLI, without a cluster:
// it leaves the user's selected stack alone, reads the stack's history and config, switches scenarios
// whether they are a map or one JSON string in the stack file (touching nothing else), and reports an
// update's changes.
func TestRunEngine(t *testing.T) {
	bin, err := ToolsBin(EngineTools...)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(t, bin)
	ctx := context.Background()
	prog := func(ctx *pulumi.Context) error {
		ctx.Export("greeting", pulumi.String("hello"))
		return nil
	}
	s := e.ScratchStack(ctx, t, "runengine", prog)
	dir := s.Workspace().WorkDir()
	t.Setenv("PATH", e.Env["PATH"])
	t.Chdir(dir)

	// The user has another stack selected; opening this one must not change that.
	other, err := auto.UpsertStackInlineSource(ctx, "other", projectName(t, dir), prog, auto.WorkDir(dir), auto.Pulumi(e.Command), auto.EnvVars(e.Env))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := labstack.Open(ctx, dir, s.Name(), prog)
	if err != nil {
		t.Fatal(err)
	}
	if cur, err := other.Workspace().Stack(ctx); err != nil || cur == nil || cur.Name != "other" {
		t.Errorf("opening %s changed the selected stack to %v (%v)", s.Name(), cur, err)
	}
	info, err := eng.Inspect(ctx)
	if err != nil || info.LastKind != "" || info.ConfigFile != filepath.Join(dir, "Pulumi."+s.Name()+".yaml") {
		t.Errorf("Inspect before any update: %+v (%v)", info, err)
	}

	t.Run("update", func(t *testing.T) {
		var changes []experiment.Change
		res, err := eng.Update(ctx, &strings.Builder{}, func(c experiment.Change) { changes = append(changes, c) })
		if err != nil {
			t.Fatal(err)
		}
		if res.Changes["create"] != 1 || len(changes) != 1 || changes[0].Op != "create" || changes[0].Type != "pulumi:pulumi:Stack" {
			t.Errorf("update: %v, changes %+v", res.Changes, changes)
		}
		info, err := eng.Inspect(ctx)
		if err != nil || info.LastKind != "update" || info.LastResult != "succeeded" || info.Resources != 1 || info.LastEnd.IsZero() {
			t.Errorf("Inspect after an update: %+v (%v)", info, err)
		}
	})

	scenarios := func(t *testing.T) map[string]map[string]any {
		t.Helper()
		cfg, err := eng.Config(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]map[string]any
		if err := json.Unmarshal([]byte(cfg["scenarios"]), &m); err != nil {
			t.Fatalf("scenarios %q: %v", cfg["scenarios"], err)
		}
		return m
	}

	t.Run("map", func(t *testing.T) {
		if err := s.SetConfigWithOptions(ctx, Key(`scenarios["checkout-pod-kill"].mode`), auto.ConfigValue{Value: "all"}, &auto.ConfigOptions{Path: true}); err != nil {
			t.Fatal(err)
		}
		if err := eng.Switch(ctx, []string{"checkout-pod-kill", "ad-failure"}, true); err != nil {
			t.Fatal(err)
		}
		m := scenarios(t)
		if m["checkout-pod-kill"]["enabled"] != true || m["ad-failure"]["enabled"] != true || m["checkout-pod-kill"]["mode"] != "all" {
			t.Errorf("after switching on: %v", m)
		}
		if err := eng.Switch(ctx, []string{"ad-failure"}, false); err != nil {
			t.Fatal(err)
		}
		if m := scenarios(t); m["ad-failure"]["enabled"] != false || m["checkout-pod-kill"]["enabled"] != true {
			t.Errorf("after switching ad-failure off: %v", m)
		}
	})

	t.Run("json-string", func(t *testing.T) {
		setScenarios(ctx, t, s, `{"checkout-pod-kill":{"enabled":false,"mode":"one"}}`)
		if err := eng.Switch(ctx, []string{"checkout-pod-kill"}, true); err != nil {
			t.Fatal(err)
		}
		if m := scenarios(t); m["checkout-pod-kill"]["enabled"] != true || m["checkout-pod-kill"]["mode"] != "one" {
			t.Errorf("after switching on: %v", m)
		}
		raw, _ := os.ReadFile(filepath.Join(dir, "Pulumi."+s.Name()+".yaml"))
		if !strings.Contains(string(raw), `chaos-mesh-otel:scenarios: '{`) {
			t.Errorf("the scenarios are no longer one JSON string:\n%s", raw)
		}
	})
}

func projectName(t *testing.T, dir string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if name, ok := strings.CutPrefix(line, "name: "); ok {
			return strings.TrimSpace(name)
		}
	}
	t.Fatal("no name in Pulumi.yaml")
	return ""
}
