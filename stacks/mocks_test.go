package stacks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/pulumimock"
)

// recorded is one resource that the program registered, as the engine would have seen it.
type recorded = pulumimock.Resource

// recorder is the project's mock engine, with the lookups these tests use.
type recorder struct{ *pulumimock.Monitor }

func newRecorder() *recorder { return &recorder{pulumimock.New("chaos-mesh-otel", "test")} }

func (r *recorder) ofType(token string) []recorded { return r.OfType(token) }

// named finds the resource of a type by the name it has on the cluster (its metadata.name, or a Helm release's
// name), which stays fixed while logical names follow their component's.
func (r *recorder) named(token, name string) (recorded, bool) {
	for _, res := range r.OfType(token) {
		if kubeName(res) == name {
			return res, true
		}
	}
	return recorded{}, false
}

// kubeName is the name that Kubernetes knows a resource by: metadata.name, or a Helm release's name.
func kubeName(res recorded) string {
	if meta, ok := res.Inputs["metadata"]; ok && meta.IsObject() {
		if n, ok := meta.ObjectValue()["name"]; ok && n.IsString() {
			return n.StringValue()
		}
	}
	if n, ok := res.Inputs["name"]; ok && n.IsString() {
		return n.StringValue()
	}
	return ""
}

// testConfig is a valid config, with charts from a local directory, as the end-to-end tests use.
func testConfig(t testing.TB, overrides map[string]string) *Config {
	t.Helper()
	values := map[string]string{
		KeyGrafanaAdminPassword: "s3cret-enough",
		KeyChartsDir:            sharedCharts(t),
		KeySLOGate:              SLOGateImage,
	}
	for k, v := range overrides {
		values[k] = v
	}
	cfg, err := ParseConfig(Source{Get: func(key string) (string, bool) {
		v, ok := values[key]
		return v, ok
	}})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// sharedCharts finds the offline chart archives: $CHARTS_DIR, or ../shared/charts beside the repository.
func sharedCharts(t testing.TB) string {
	t.Helper()
	wd, _ := os.Getwd()
	dir := components.OfflineChartsDir(wd)
	if _, err := os.Stat(filepath.Join(dir, "chaos-mesh-2.8.3.tgz")); err != nil {
		t.Fatalf("chart archives not found in %s (set CHARTS_DIR): %v", dir, err)
	}
	return dir
}

// runLab runs the program on the mock engine and returns what it registered and exported.
func runLab(t testing.TB, cfg *Config) (*recorder, map[string]internals.UnsafeAwaitOutputResult) {
	t.Helper()
	rec := newRecorder()
	exports := map[string]internals.UnsafeAwaitOutputResult{}
	err := rec.Run(func(ctx *pulumi.Context) error {
		outputs, err := Compose(ctx, cfg)
		if err != nil {
			return err
		}
		// Resolve the stack outputs while the program runs, keeping whether each is secret.
		for k, v := range outputs {
			res, err := internals.UnsafeAwaitOutput(ctx.Context(), pulumi.ToOutput(v))
			if err != nil {
				return err
			}
			exports[k] = res
		}
		return nil
	})
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	return rec, exports
}

// values returns the values of the Helm release of that name as plain Go data.
func values(t *testing.T, rec *recorder, release string) map[string]any {
	t.Helper()
	res, ok := rec.named("kubernetes:helm.sh/v3:Release", release)
	if !ok {
		t.Fatalf("no release %q", release)
	}
	v, ok := res.Inputs["values"]
	if !ok {
		t.Fatalf("release %q has no values", release)
	}
	return v.Mappable().(map[string]any)
}

// dig walks a path of map keys, failing the test when one is missing.
func dig(t *testing.T, m map[string]any, path string) any {
	t.Helper()
	var cur any = m
	for _, key := range strings.Split(path, ".") {
		asMap, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("%s: %v is not a map at %q", path, cur, key)
		}
		if cur, ok = asMap[key]; !ok {
			t.Fatalf("%s: key %q missing", path, key)
		}
	}
	return cur
}

func urnType(urn string) string {
	// urn:pulumi:stack::project::parentType$type::name
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return ""
	}
	types := strings.Split(parts[2], "$")
	return types[len(types)-1]
}

func mustString(t *testing.T, v any) string {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("expected a string, got %T %v", v, v)
	}
	return s
}
