package wiring

import (
	"bytes"
	"strings"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

// boutiqueWithMeshFault is the Boutique's ad edge (frontend → adservice, with a Service for adservice) and
// the VirtualService that Build makes for the given scenarios.
func boutiqueWithMeshFault(t *testing.T, config string, halt bool) *Objects {
	t.Helper()
	ns := apps.OnlineBoutique.Namespace
	objs := &Objects{Source: "test"}
	add := func(m map[string]any) {
		if err := objs.Add(m); err != nil {
			t.Fatal(err)
		}
	}
	add(map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns,
		"labels": map[string]any{components.IstioInjectionLabel: components.IstioInjectionValue}}})
	for name, replicas := range map[string]int{"adservice": 2, "frontend": 1, "checkoutservice": 1} {
		add(map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": name, "namespace": ns},
			"spec": map[string]any{"replicas": replicas, "template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": name}}}}})
		add(map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": name, "namespace": ns},
			"spec": map[string]any{"selector": map[string]any{"app": name}, "ports": []any{map[string]any{"name": "grpc", "port": 9555}}}})
	}
	p, errs := scenarios.Build([]byte(config), scenarios.Options{Deployment: apps.OnlineBoutique.Deploy(), Istio: true, Halt: halt})
	if errs != nil {
		t.Fatal(errs)
	}
	for _, o := range p.MeshObjects() {
		add(o.Manifest)
	}
	return objs
}

// A mesh fault's row names the workloads whose requests it hits, the share of requests, and its callers.
func TestMeshFaultBlastRadius(t *testing.T) {
	for _, tc := range []struct {
		name, config string
		halt         bool
		fault, share string
		targets      string
	}{
		{"preset", `{"ad-mesh-faults":{"enabled":true}}`, false, "VirtualService/delay+abort", "+0.5s on 100%, UNAVAILABLE on 10% of requests", "from every caller"},
		{"from frontend", `{"x":{"enabled":true,"fault":"mesh-fault","target":"adservice","from":"frontend","delay":"500ms"}}`, false, "VirtualService/delay", "+0.5s on 100% of requests",
			"from Deployment online-boutique/frontend ×1"},
		{"abort only", `{"x":{"enabled":true,"fault":"mesh-fault","target":"adservice","abort":"INTERNAL","abortPercent":"2.5"}}`, false, "VirtualService/abort", "INTERNAL on 2.5% of requests", "from every caller"},
		{"halted", `{"ad-mesh-faults":{"enabled":true}}`, true, "VirtualService/none", "no request (no fault)", "from every caller"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := CheckScenariosOf(boutiqueWithMeshFault(t, tc.config, tc.halt))
			if len(r.Findings) > 0 {
				t.Errorf("findings: %v", r.Findings)
			}
			if len(r.Blast) != 1 {
				t.Fatalf("want one row, got %+v", r.Blast)
			}
			b := r.Blast[0]
			if b.Fault != tc.fault || b.Touched != tc.share || b.Mode != "requests" || b.Pods != 2 ||
				strings.Join(b.Workloads, ",") != "Deployment online-boutique/adservice ×2" || strings.Join(b.Targets, ",") != tc.targets {
				t.Errorf("row %+v", b)
			}
			var out bytes.Buffer
			WriteBlastRadius(&out, r.Blast)
			if !strings.Contains(out.String(), tc.share) {
				t.Errorf("table lacks %q:\n%s", tc.share, out.String())
			}
		})
	}
}

// A VirtualService whose host names no Service hits no workload: the row shows it, and the check finds it.
func TestMeshFaultBlastRadiusWithoutItsService(t *testing.T) {
	objs := boutiqueWithMeshFault(t, `{"ad-mesh-faults":{"enabled":true}}`, false)
	kept := objs.Items[:0]
	for _, u := range objs.Items {
		if !(u.GetKind() == "Service" && u.GetName() == "adservice") {
			kept = append(kept, u)
		}
	}
	objs.Items = kept
	r := CheckScenariosOf(objs)
	if len(r.Blast) != 1 || len(r.Blast[0].Workloads) != 0 || r.Blast[0].Pods != 0 {
		t.Errorf("blast %+v", r.Blast)
	}
	if len(r.Findings) == 0 {
		t.Error("a VirtualService on a missing Service is a finding")
	}
}
