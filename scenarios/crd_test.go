package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"helm.sh/helm/v3/pkg/chart/loader"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apivalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

const chaosMeshChart = "chaos-mesh-2.8.3.tgz"

// chartsDir finds the shared charts: $CHARTS_DIR, else ../shared/charts next to the repository root
// (the directory whose go.mod declares this module).
func chartsDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("CHARTS_DIR"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			strings.Contains(string(b), "module github.com/chaos-mesh-otel/chaos-mesh-otel\n") {
			return filepath.Join(dir, "..", "shared", "charts")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root not found; set CHARTS_DIR")
		}
		dir = parent
	}
}

// crdSchema is one CRD's structural schema and validator.
type crdSchema struct {
	structural *structuralschema.Structural
	validator  apivalidation.SchemaValidator
}

var (
	crdOnce sync.Once
	crdByID map[string]*crdSchema // "Kind" → schema of version v1alpha1
	crdErr  error
)

func loadCRDs(t *testing.T) map[string]*crdSchema {
	t.Helper()
	path := filepath.Join(chartsDir(t), chaosMeshChart)
	crdOnce.Do(func() { crdByID, crdErr = readCRDs(path) })
	if crdErr != nil {
		t.Fatalf("reading CRDs from %s: %v", path, crdErr)
	}
	return crdByID
}

func readCRDs(path string) (map[string]*crdSchema, error) {
	out, err := chartCRDs(path, "chaos-mesh.org/v1alpha1")
	if err == nil && (out["Schedule"] == nil || out["Workflow"] == nil) {
		err = errors.New("no Schedule or Workflow CRD of version v1alpha1")
	}
	return out, err
}

// chartCRDs reads, with Helm's chart loader, the CRDs that a chart archive carries, in its crds/ directories
// (subcharts' included) or among its other files (Istio's base keeps them in files/), and returns the schema
// of each kind at apiVersion (group/version).
func chartCRDs(archive, apiVersion string) (map[string]*crdSchema, error) {
	chrt, err := loader.Load(archive)
	if err != nil {
		return nil, err
	}
	var files [][]byte
	for _, crd := range chrt.CRDObjects() {
		files = append(files, crd.File.Data)
	}
	for _, f := range chrt.Files {
		if strings.HasSuffix(f.Name, ".yaml") {
			files = append(files, f.Data)
		}
	}
	out := map[string]*crdSchema{}
	for _, data := range files {
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var crd apiextv1.CustomResourceDefinition
			if err := dec.Decode(&crd); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil, err
			}
			if crd.Kind != "CustomResourceDefinition" {
				continue
			}
			for _, v := range crd.Spec.Versions {
				if crd.Spec.Group+"/"+v.Name != apiVersion || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
					continue
				}
				if out[crd.Spec.Names.Kind], err = schemaOf(v.Schema.OpenAPIV3Schema); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// schemaOf is a CRD version's structural schema and validator, as the API server builds them.
func schemaOf(props *apiextv1.JSONSchemaProps) (*crdSchema, error) {
	internal := &apiextensions.JSONSchemaProps{}
	if err := apiextv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(props, internal, nil); err != nil {
		return nil, err
	}
	st, err := structuralschema.NewStructural(internal)
	if err != nil {
		return nil, err
	}
	val, _, err := apivalidation.NewSchemaValidator(internal)
	if err != nil {
		return nil, err
	}
	return &crdSchema{structural: st, validator: val}, nil
}

// schemaErrors validates a manifest against its CRD: unknown fields (what the API server would prune) and
// the OpenAPI schema (types, enums, required fields).
func schemaErrors(t *testing.T, manifest map[string]any) []string {
	t.Helper()
	crds := loadCRDs(t)
	kind, _ := manifest["kind"].(string)
	s := crds[kind]
	if s == nil {
		return []string{"no CRD for kind " + kind}
	}
	out, _ := s.errors(manifest)
	return out
}

// errors validates a manifest against the CRD's unknown fields (what the API server would prune) and its
// OpenAPI schema, and returns the object as the API server decodes it (numbers round-tripped through JSON).
func (s *crdSchema) errors(manifest map[string]any) ([]string, map[string]any) {
	b, err := json.Marshal(manifest)
	if err != nil {
		return []string{err.Error()}, nil
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		return []string{err.Error()}, nil
	}
	var out []string
	pruned := runtime.DeepCopyJSON(obj)
	for _, p := range pruning.PruneWithOptions(pruned, s.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
		out = append(out, "unknown field "+p)
	}
	for _, e := range apivalidation.ValidateCustomResource(field.NewPath(""), obj, s.validator) {
		out = append(out, e.Error())
	}
	return out, obj
}

// webhookErrors runs Chaos Mesh's own admission checks (defaulting, then validation) on the typed object.
func webhookErrors(o Object) error {
	ctx := context.Background()
	switch typed := o.Typed.DeepCopyObject().(type) {
	case *v1alpha1.Schedule:
		if err := typed.Default(ctx, typed); err != nil {
			return err
		}
		_, err := typed.ValidateCreate(ctx, typed)
		return err
	case *v1alpha1.Workflow:
		if err := typed.Default(ctx, typed); err != nil {
			return err
		}
		_, err := typed.ValidateCreate(ctx, typed)
		return err
	}
	return nil
}

// allFaultsConfig enables every fault kind, once as a Workflow and once as a Schedule, plus game days.
func allFaultsConfig() []byte {
	base := map[string]map[string]any{
		"network-delay":     {"target": "frontend", "to": "product-catalog", "latency": "100ms", "jitter": "10ms", "correlation": "50", "direction": "both"},
		"network-loss":      {"target": "cart", "loss": "10", "to": "valkey-cart"},
		"network-duplicate": {"target": "currency", "duplicate": "5"},
		"network-corrupt":   {"target": "payment", "corrupt": "5", "mode": "fixed", "value": "1"},
		"network-bandwidth": {"target": "image-provider", "rate": "1mbps"},
		"network-partition": {"target": "checkout", "to": "kafka", "direction": "from"},
		"cpu-stress":        {"target": "recommendation", "workers": "2", "load": "50"},
		"memory-stress":     {"target": "email", "size": "128MB", "workers": "2", "container": "email"},
		"http-delay":        {"target": "quote", "delay": "1s", "path": "/getquote", "method": "POST"},
		"http-abort":        {"target": "email", "mode": "random-max-percent", "value": "50"},
		"http-replace":      {"target": "shipping", "code": "500", "delay": "500ms"},
		"dns-error":         {"target": "checkout", "patterns": []any{"payment"}},
		"dns-random":        {"target": "frontend"},
		"io-latency":        {"target": "product-catalog", "delay": "50ms", "percent": "50", "path": "/tmp/*"},
		"io-fault":          {"target": "shipping", "errno": "5"},
		"time-skew":         {"target": "payment", "offset": "-5m"},
		"pod-kill":          {"target": "checkout"},
		"pod-failure":       {"target": "kafka", "mode": "all", "allowAll": true},
		"container-kill":    {"target": "frontend-proxy"},
	}
	cfg := map[string]any{}
	for fault, keys := range base {
		for _, sched := range []bool{false, true} {
			m := map[string]any{"enabled": true, "fault": fault, "duration": "1m"}
			for k, v := range keys {
				m[k] = v
			}
			name := fault
			if sched {
				m["schedule"] = "*/5 * * * *"
				name += "-scheduled"
			}
			cfg[name] = m
		}
	}
	cfg["gd-url"] = map[string]any{"enabled": true, "steps": []any{"network-delay", map[string]any{"parallel": []any{"cpu-stress", "http-abort"}}},
		"steadyState": map[string]any{"url": "http://frontend-proxy.otel-demo.svc:8080/", "statusCode": "200-399", "interval": "5s", "timeout": "2s", "failureThreshold": 2}}
	cfg["gd-nested"] = map[string]any{"enabled": true, "schedule": "0 4 * * *", "steps": []any{"gd-url", "pod-kill"}}
	for _, p := range PresetNames() {
		if presets[p]["fault"] != string(MeshFault) { // a mesh fault needs Istio, and Istio refuses HTTPChaos: see mesh_crd_test.go
			cfg[p] = map[string]any{"enabled": true}
		}
	}
	b, _ := json.Marshal(cfg)
	return b
}

// TestRenderedObjectsMatchCRDs validates every object Build can produce against the CRD schemas of the
// Chaos Mesh chart we deploy, and against Chaos Mesh's admission webhooks, with and without halt.
func TestRenderedObjectsMatchCRDs(t *testing.T) {
	for _, halt := range []bool{false, true} {
		opts := testOpts()
		opts.Halt = halt
		p, err := Build(allFaultsConfig(), opts)
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		if len(p.Objects) < 40 {
			t.Fatalf("expected every fault twice plus game days, got %d objects", len(p.Objects))
		}
		for _, o := range p.Objects {
			for _, e := range schemaErrors(t, o.Manifest) {
				t.Errorf("halt=%t %s %s: %s", halt, o.Kind, o.Name, e)
			}
			if err := webhookErrors(o); err != nil {
				t.Errorf("halt=%t %s %s: webhook: %v", halt, o.Kind, o.Name, err)
			}
		}
	}
}

// TestCRDCheckCanFail proves the schema check is real: broken manifests are rejected.
func TestCRDCheckCanFail(t *testing.T) {
	p, err := Build([]byte(`{"checkout-pod-kill":{"enabled":true},"frontend-catalog-latency":{"enabled":true}}`), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	sched := runtime.DeepCopyJSON(object(t, p, "checkout-pod-kill").Manifest)
	sched["spec"].(map[string]any)["concurrencyPolicy"] = 7
	if len(schemaErrors(t, sched)) == 0 {
		t.Error("a number in a string field must fail the schema")
	}
	wf := runtime.DeepCopyJSON(object(t, p, "frontend-catalog-latency").Manifest)
	wf["spec"].(map[string]any)["templates"].([]any)[1].(map[string]any)["networkChaos"].(map[string]any)["latencyy"] = "1s"
	errs := schemaErrors(t, wf)
	if len(errs) == 0 || !strings.Contains(strings.Join(errs, "\n"), "latencyy") {
		t.Errorf("an unknown field must be reported, got %v", errs)
	}
	delete(wf["spec"].(map[string]any), "entry")
	if !bytes.Contains([]byte(strings.Join(schemaErrors(t, wf), "\n")), []byte("entry")) {
		t.Error("a missing required field must fail the schema")
	}
	// And the webhook check rejects a duration inside a workflow template.
	o := object(t, p, "frontend-catalog-latency")
	bad := o.Typed.DeepCopyObject().(*v1alpha1.Workflow)
	d := "1m"
	bad.Spec.Templates[1].NetworkChaos.Duration = &d
	if webhookErrors(Object{Typed: bad}) == nil {
		t.Error("the webhook must reject a duration inside a workflow template")
	}
}
