package main

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/exitcode"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

// boutiqueMeshStack is the Boutique in Istio's mesh with a pod kill and the ad service's mesh faults, the
// latter only from the frontend.
const boutiqueMeshStack = "config:\n" + encryptedPassword +
	"  chaos-mesh-otel:app: online-boutique\n  chaos-mesh-otel:istio: true\n  chaos-mesh-otel:scenarios:\n" +
	"    checkout-pod-kill: {enabled: true}\n    ad-mesh-faults: {enabled: true, from: frontend}\n"

// validate reads app and istio from the stack file: the same scenarios are valid or not by them.
func TestValidateReadsAppAndIstio(t *testing.T) {
	code, out, errOut := runCLI("validate", writeStack(t, boutiqueMeshStack))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"valid for online-boutique with Istio; 2 scenario(s) enabled, 2 Chaos Mesh object(s), 1 Istio VirtualService(s)",
		"ad-mesh-faults", "VirtualService", "mesh-fault", "adservice", "checkoutservice"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The same presets on the shop resolve to the shop's services.
	code, out, errOut = runCLI("validate", writeStack(t, strings.Replace(boutiqueMeshStack, "  chaos-mesh-otel:app: online-boutique\n", "", 1)))
	if code != 0 || !strings.Contains(out, "valid for astronomy-shop with Istio") || !strings.Contains(out, "mesh-fault         ad\n") {
		t.Errorf("on the shop: exit %d\n%s%s", code, out, errOut)
	}
	for name, tc := range map[string]struct{ from, to, key string }{
		"without Istio":    {"  chaos-mesh-otel:istio: true\n", "", "chaos-mesh-otel:scenarios.ad-mesh-faults.fault"},
		"a Boutique name":  {"ad-mesh-faults: {enabled: true, from: frontend}", "x: {enabled: true, fault: mesh-fault, target: adservices, delay: 1s}", "chaos-mesh-otel:scenarios.x.target"},
		"an app misspelt":  {"online-boutique", "onlineboutique", "chaos-mesh-otel:app"},
		"istio not a bool": {"istio: true", "istio: on-demand", "chaos-mesh-otel:istio"},
	} {
		t.Run(name, func(t *testing.T) {
			body := strings.Replace(boutiqueMeshStack, tc.from, tc.to, 1)
			code, out, errOut := runCLI("validate", writeStack(t, body))
			if code != 2 || out != "" || !strings.Contains(errOut, "  "+tc.key+": ") {
				t.Errorf("exit %d, stdout %q; want 2 and a problem at %s:\n%s", code, out, tc.key, errOut)
			}
		})
	}
}

// render prints the VirtualServices beside the Chaos Mesh objects, in the Boutique's namespace and names.
func TestRenderPrintsVirtualServices(t *testing.T) {
	code, out, errOut := runCLI("render", writeStack(t, boutiqueMeshStack))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var kinds []string
	for _, doc := range strings.Split(strings.TrimPrefix(out, "---\n"), "\n---\n") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, m["apiVersion"].(string)+" "+m["kind"].(string))
	}
	if got := strings.Join(kinds, ", "); got != "networking.istio.io/v1 VirtualService, chaos-mesh.org/v1alpha1 Schedule, chaos-mesh.org/v1alpha1 Workflow" {
		t.Errorf("documents %s; want the VirtualService of ad-mesh-faults, and the Schedule of checkout-pod-kill and its kick-off Workflow", got)
	}
	for _, want := range []string{"namespace: online-boutique", "- adservice.online-boutique.svc.cluster.local", "grpcStatus: UNAVAILABLE",
		"fixedDelay: 0.5s", "app: frontend", "number: 9555", "app: checkoutservice"} {
		if !strings.Contains(out, want) {
			t.Errorf("render output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI("render", writeStack(t, strings.Replace(boutiqueMeshStack, "istio: true\n", "istio: true\n  chaos-mesh-otel:halt: true\n", 1)))
	if code != 0 || strings.Contains(out, "fault:") || !strings.Contains(out, scenarios.HaltedAnnotation+`: "true"`) {
		t.Errorf("halted render: exit %d; want the VirtualService without its fault, marked halted:\n%s", code, out)
	}
}

// plan lists a mesh fault's blast radius (the workloads whose requests it hits, the share, the callers) and
// marks it when halt takes the fault out of traffic, from the lab that the program declares for the stack.
func TestPlanListsMeshFaults(t *testing.T) {
	dir := chartsDir(t)
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"Boutique", boutiqueMeshStack, []string{"ad-mesh-faults", "VirtualService/delay+abort", "requests", "+0.5s on 100%, UNAVAILABLE on 10% of requests",
			"Deployment online-boutique/adservice ×1", "from Deployment online-boutique/frontend ×1", "checkout-pod-kill", "wiring: no findings"}},
		{"Boutique halted", strings.Replace(boutiqueMeshStack, "istio: true\n", "istio: true\n  chaos-mesh-otel:halt: true\n", 1), []string{"halt is on",
			"ad-mesh-faults (halted: fault removed)", "VirtualService/none", "no request (no fault)", "checkout-pod-kill (halted: paused)"}},
		{"shop", "config:\n" + encryptedPassword + "  chaos-mesh-otel:istio: true\n  chaos-mesh-otel:scenarios:\n    ad-mesh-faults: {enabled: true}\n",
			[]string{"Deployment otel-demo/ad ×1", "from every caller", "wiring: no findings"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI("plan", "--charts-dir", dir, writeStack(t, tc.body))
			if code != exitcode.OK {
				t.Errorf("exit %d\n%s\n%s", code, out, errOut)
			}
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}
