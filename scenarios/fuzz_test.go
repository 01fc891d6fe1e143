package scenarios

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// FuzzBuild: no input makes Build panic, on either app, with or without Istio; it returns either a plan whose
// objects all have manifests (and whose VirtualServices the API server would accept), or field errors whose
// every entry names a key path.
func FuzzBuild(f *testing.F) {
	for _, seed := range []string{
		"", "null", "{}", "[]", `"x"`, "7", "{", `{"a":null}`,
		everything,
		string(allFaultsConfig()),
		`{"g":{"enabled":true,"steps":["g",{"parallel":["g",1]}],"steadyState":{"slo":"x","interval":"0s"}}}`,
		`{"x":{"enabled":true,"fault":"network-delay","target":"frontend","to":"cart","latency":"1ms","duration":"1m","schedule":"@every 1s"}}`,
		`{"x":{"enabled":true,"fault":"flag","flag":"cartFailure","variant":"10%"}}`,
		`{"a":{"steps":["b"]},"b":{"steps":["a"]}}`,
		`{"x":{"enabled":true,"fault":"http-replace","target":"shipping","code":1e400,"duration":"1m"}}`,
	} {
		f.Add([]byte(seed), false, false, false)
	}
	// The mesh fault's keys, on both apps, with Istio on and off.
	for _, seed := range []string{
		meshConfigs(apps.AstronomyShop),
		meshConfigs(apps.OnlineBoutique),
		`{"x":{"enabled":true,"fault":"mesh-fault","target":"adservice","delay":"1.5ms","delayPercent":"1e309","abort":"UNAVALABLE","abortPercent":"-0"}}`,
		`{"x":{"enabled":true,"fault":"mesh-fault","target":"frontend","abort":599.5,"from":"frontend","port":80}}`,
		`{"x":{"enabled":true,"fault":"mesh-fault","target":"redis-cart","from":"loadgenerator","abort":"OK","schedule":"@daily"}}`,
		`{"x":{"fault":"mesh-fault","target":"ad","delay":"9223372036854775807ns"},"g":{"enabled":true,"steps":["x","ad-mesh-faults"]}}`,
		`{"ad-mesh-faults":{"enabled":true,"from":"frontend","delayPercent":"100%","abortPercent":"0"}}`,
	} {
		for _, boutique := range []bool{false, true} {
			f.Add([]byte(seed), false, boutique, true)
			f.Add([]byte(seed), true, boutique, true)
			f.Add([]byte(seed), false, boutique, false)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte, halt, boutique, istio bool) {
		app := apps.AstronomyShop
		if boutique {
			app = apps.OnlineBoutique
		}
		opts := meshOpts(app, istio)
		opts.Halt = halt
		p, errs := Build(raw, opts)
		if errs != nil {
			if len(errs) == 0 {
				t.Fatal("an empty, non-nil error list")
			}
			for _, fe := range errs {
				if !strings.HasPrefix(fe.Field, "scenarios") && !strings.HasPrefix(fe.Field, "options") || fe.Type == field.ErrorTypeInternal {
					t.Fatalf("error without a key path, or internal: %v", fe)
				}
			}
			return
		}
		for _, o := range p.Objects {
			if o.Manifest == nil || o.Typed == nil || o.Name == "" {
				t.Fatalf("incomplete object %+v", o)
			}
			if o.Kind == KindVirtualService {
				checkFuzzedVirtualService(t, o, opts)
			}
		}
		if len(p.FlagOverrides) == 0 {
			t.Fatal("flag overrides must always be a document")
		}
	})
}

// checkFuzzedVirtualService holds a VirtualService that Build accepted to what the contract promises: only
// with Istio, on a Service of the app's namespace, a fault only when not halted, percents within 0-100,
// delays of whole milliseconds, and a manifest that Istio's CRD accepts.
func checkFuzzedVirtualService(t *testing.T, o Object, opts Options) {
	t.Helper()
	vs, ok := o.Typed.(*VirtualService)
	if !ok || !opts.Istio || !o.IsMesh() {
		t.Fatalf("%s: a VirtualService (typed %T) in a stack with istio=%v", o.Name, o.Typed, opts.Istio)
	}
	suffix := "." + opts.Deployment.App.Namespace + ".svc.cluster.local"
	if len(vs.Spec.Hosts) != 1 || !strings.HasSuffix(vs.Spec.Hosts[0], suffix) {
		t.Fatalf("%s: hosts %v outside %s", o.Name, vs.Spec.Hosts, suffix)
	}
	fault := vs.Spec.HTTP[0].Fault
	switch {
	case opts.Halt && (fault != nil || vs.Annotations[HaltedAnnotation] != "true"):
		t.Fatalf("%s: halted, yet fault %+v, annotations %v", o.Name, fault, vs.Annotations)
	case !opts.Halt && (fault == nil || fault.Delay == nil && fault.Abort == nil):
		t.Fatalf("%s: a mesh fault with no fault", o.Name)
	case fault != nil && fault.Delay != nil:
		d, err := time.ParseDuration(fault.Delay.FixedDelay)
		if err != nil || d < time.Millisecond || d%time.Millisecond != 0 || !inPercent(fault.Delay.Percentage) {
			t.Fatalf("%s: delay %+v", o.Name, fault.Delay)
		}
	}
	if fault != nil && fault.Abort != nil && !inPercent(fault.Abort.Percentage) {
		t.Fatalf("%s: abort %+v", o.Name, fault.Abort)
	}
	if problems := virtualServiceErrors(t, o.Manifest); len(problems) > 0 {
		t.Fatalf("%s: Istio's CRD refuses it:\n%s", o.Name, strings.Join(problems, "\n"))
	}
}

func inPercent(p *Percent) bool { return p != nil && p.Value >= 0 && p.Value <= 100 }
