package stacks

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
)

// recorded is one resource that the program registered, as the engine would have seen it.
type recorded struct {
	Type   string
	Name   string
	Parent string
	Deps   []string
	Inputs resource.PropertyMap
	Custom bool
}

// recorder is a mock engine that records every registration and echoes inputs back as outputs, adding the
// outputs that the real providers compute and the program reads.
type recorder struct {
	mu        sync.Mutex
	resources []recorded
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rec := recorded{Type: args.TypeToken, Name: args.Name, Inputs: args.Inputs, Custom: args.Custom}
	if rpc := args.RegisterRPC; rpc != nil {
		rec.Parent = rpc.GetParent()
		rec.Deps = rpc.GetDependencies()
	}
	r.mu.Lock()
	r.resources = append(r.resources, rec)
	r.mu.Unlock()

	outputs := args.Inputs.Copy()
	switch args.TypeToken {
	case "kubernetes:helm.sh/v3:Release":
		outputs["status"] = resource.NewObjectProperty(resource.PropertyMap{
			"status": resource.NewStringProperty("deployed"),
		})
	case "kubernetes:core/v1:Secret":
		// The token controller fills a ServiceAccount token Secret after it is created.
		if t, ok := args.Inputs["type"]; ok && t.IsString() && t.StringValue() == "kubernetes.io/service-account-token" {
			outputs["data"] = resource.NewObjectProperty(resource.PropertyMap{
				"token": resource.NewStringProperty(base64.StdEncoding.EncodeToString([]byte("mock-token"))),
			})
		}
	}
	return args.Name + "-id", outputs, nil
}

func (r *recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return args.Args, nil
}

func (r *recorder) ofType(token string) []recorded {
	var out []recorded
	for _, res := range r.resources {
		if res.Type == token {
			out = append(out, res)
		}
	}
	return out
}

func (r *recorder) named(token, name string) (recorded, bool) {
	for _, res := range r.resources {
		if res.Type == token && res.Name == name {
			return res, true
		}
	}
	return recorded{}, false
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
	rec := &recorder{}
	exports := map[string]internals.UnsafeAwaitOutputResult{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
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
	}, pulumi.WithMocks("chaos-mesh-otel", "test", rec))
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	return rec, exports
}

// values returns a Release's values as plain Go data.
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
