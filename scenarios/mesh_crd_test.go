package scenarios

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

const (
	istioBaseChart = "base-1.30.3.tgz"
)

var (
	vsOnce   sync.Once
	vsSchema *crdSchema
	vsErr    error
)

// virtualServiceSchema is the v1 schema of the VirtualService CRD in the Istio base chart the lab installs.
func virtualServiceSchema(t *testing.T) *crdSchema {
	t.Helper()
	path := filepath.Join(chartsDir(t), istioBaseChart)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not found (set CHARTS_DIR): %v", istioBaseChart, err)
	}
	vsOnce.Do(func() { vsSchema, vsErr = readVirtualServiceCRD(path) })
	if vsErr != nil {
		t.Fatalf("reading the VirtualService CRD from %s: %v", path, vsErr)
	}
	return vsSchema
}

func readVirtualServiceCRD(path string) (*crdSchema, error) {
	crds, err := chartCRDs(path, IstioAPIVersion)
	if err == nil && crds[KindVirtualService] == nil {
		err = errors.New("no VirtualService CRD of version " + IstioAPIVersion)
	}
	return crds[KindVirtualService], err
}

// virtualServiceErrors validates a VirtualService manifest as the API server would: unknown fields (which it
// would prune), the OpenAPI schema (types, oneOf, required fields) and the CRD's CEL rules.
func virtualServiceErrors(t *testing.T, manifest map[string]any) []string {
	t.Helper()
	s := virtualServiceSchema(t)
	out, obj := s.errors(manifest)
	if obj == nil {
		return out
	}
	celErrs, _ := cel.NewValidator(s.structural, true, celconfig.PerCallLimit).
		Validate(context.Background(), field.NewPath(""), s.structural, obj, nil, celconfig.RuntimeCELCostBudget)
	for _, e := range celErrs {
		out = append(out, e.Error())
	}
	return out
}

// meshConfigs are mesh faults that together reach every shape of VirtualService: gRPC and HTTP aborts,
// delay only, abort only, a caller, a Service with a metrics port beside its gRPC port, a Service port in front of another container port.
func meshConfigs(app apps.App) string {
	if app.Name == apps.AstronomyShop.Name {
		return `{"ad-mesh-faults":{"enabled":true},
		 "from-frontend":{"enabled":true,"fault":"mesh-fault","target":"ad","from":"frontend","delay":"1500ms"},
		 "email-abort":{"enabled":true,"fault":"mesh-fault","target":"email","abort":503,"abortPercent":"12.5"},
		 "proxy-abort":{"enabled":true,"fault":"mesh-fault","target":"frontend-proxy","port":8080,"abort":"500","delay":"1ms","delayPercent":0},
		 "cart-from-checkout":{"enabled":true,"fault":"mesh-fault","target":"cart","from":"checkout","abort":"RESOURCE_EXHAUSTED"}}`
	}
	return `{"ad-mesh-faults":{"enabled":true},
	 "frontend-http":{"enabled":true,"fault":"mesh-fault","target":"frontend","abort":"503","delay":"2s","delayPercent":"50%"},
	 "email-from-checkout":{"enabled":true,"fault":"mesh-fault","target":"emailservice","from":"checkoutservice","delay":"100ms"},
	 "catalog-from-recommendation":{"enabled":true,"fault":"mesh-fault","target":"productcatalogservice","from":"recommendationservice","abort":"INTERNAL","abortPercent":100}}`
}

// Every VirtualService that Build makes, on both apps, halted or not, is one the API server accepts.
func TestVirtualServicesMatchIstiosCRD(t *testing.T) {
	for _, app := range apps.All() {
		for _, halt := range []bool{false, true} {
			opts := meshOpts(app, true)
			opts.Halt = halt
			p, errs := Build([]byte(meshConfigs(app)), opts)
			if errs != nil {
				t.Fatalf("%s: %v", app.Name, errs)
			}
			if len(p.MeshObjects()) < 4 || len(p.ChaosObjects()) != 0 {
				t.Fatalf("%s: %d mesh objects, %d chaos objects", app.Name, len(p.MeshObjects()), len(p.ChaosObjects()))
			}
			for _, o := range p.Objects {
				for _, e := range virtualServiceErrors(t, o.Manifest) {
					t.Errorf("%s halt=%t %s: %s", app.Name, halt, o.Name, e)
				}
			}
		}
	}
}

// The CRD check is real: a sub-millisecond delay breaks the CEL rule, two abort statuses break the oneOf, a
// misspelt field is unknown, a string port is the wrong type.
func TestVirtualServiceCRDCheckCanFail(t *testing.T) {
	p, errs := Build([]byte(meshConfigs(apps.OnlineBoutique)), meshOpts(apps.OnlineBoutique, true))
	if errs != nil {
		t.Fatal(errs)
	}
	good := object(t, p, "ad-mesh-faults").Manifest
	route := func(m map[string]any) map[string]any {
		return m["spec"].(map[string]any)["http"].([]any)[0].(map[string]any)
	}
	for _, tc := range []struct {
		name   string
		change func(m map[string]any)
		want   string
	}{
		{"CEL", func(m map[string]any) {
			route(m)["fault"].(map[string]any)["delay"].(map[string]any)["fixedDelay"] = "500us"
		}, "must be a valid duration greater than 1ms"},
		{"oneOf", func(m map[string]any) {
			route(m)["fault"].(map[string]any)["abort"].(map[string]any)["httpStatus"] = int64(503)
		}, "oneOf"},
		{"unknown field", func(m map[string]any) { route(m)["fualt"] = route(m)["fault"] }, "unknown field spec.http[0].fualt"},
		{"type", func(m map[string]any) {
			route(m)["route"].([]any)[0].(map[string]any)["destination"].(map[string]any)["port"].(map[string]any)["number"] = "9555"
		}, "number"},
	} {
		bad := runtime.DeepCopyJSON(good)
		tc.change(bad)
		got := strings.Join(virtualServiceErrors(t, bad), "\n")
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: want an error with %q, got:\n%s", tc.name, tc.want, got)
		}
	}
	if errs := virtualServiceErrors(t, good); len(errs) != 0 {
		t.Errorf("the good manifest: %v", errs)
	}
}
