package wiring

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

// AllPresetsConfig is the stack config of the tests: every preset scenario enabled.
func allPresetsConfig() map[string]string {
	var parts []string
	for _, n := range scenarios.PresetNames() {
		parts = append(parts, `"`+n+`":{"enabled":true}`)
	}
	return map[string]string{
		"chaos-mesh-otel:grafanaAdminPassword": "wiring-test-password",
		"chaos-mesh-otel:scenarios":            "{" + strings.Join(parts, ",") + "}",
	}
}

var (
	labOnce sync.Once
	labObjs *Objects
	labErr  error
)

// lab renders the lab once per test binary.
func lab(t *testing.T) *Objects {
	t.Helper()
	labOnce.Do(func() {
		wd, _ := os.Getwd()
		dir := DefaultChartsDir(wd)
		if _, err := os.Stat(filepath.Join(dir, "chaos-mesh-2.8.3.tgz")); err != nil {
			labErr = err
			return
		}
		labObjs, labErr = Render(context.Background(), allPresetsConfig(), dir)
	})
	if labErr != nil {
		t.Fatalf("rendering the lab: %v", labErr)
	}
	return labObjs
}

func TestRenderDump(t *testing.T) {
	objs := lab(t)
	if os.Getenv("WIRING_DUMP") != "" {
		f, _ := os.Create(os.Getenv("WIRING_DUMP"))
		defer f.Close()
		for _, u := range objs.Items {
			data, _ := u.MarshalJSON()
			f.Write(append(data, '\n'))
		}
	}
	if len(objs.Items) < 50 {
		t.Fatalf("only %d objects", len(objs.Items))
	}
}

// TestLabWiring runs every check on the rendered lab with all presets on: it must have no findings.
func TestLabWiring(t *testing.T) {
	objs := lab(t)
	r := Check(objs, Options{RequirePromtool: os.Getenv("CI") == "true"})
	var b strings.Builder
	WriteBlastRadius(&b, r.Blast)
	r.WriteFindings(&b)
	t.Log("\n" + b.String())
	for _, f := range r.Findings {
		t.Error(f)
	}
}
