package scenarios

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// FuzzBuild: no input makes Build panic; it returns either a plan whose objects all have manifests, or
// field errors whose every entry names a key path.
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
		f.Add([]byte(seed), false)
	}
	f.Fuzz(func(t *testing.T, raw []byte, halt bool) {
		opts := testOpts()
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
		}
		if len(p.FlagOverrides) == 0 {
			t.Fatal("flag overrides must always be a document")
		}
	})
}
