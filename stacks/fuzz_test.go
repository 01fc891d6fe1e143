package stacks

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks/stackfile"
)

// FuzzParseConfig: no value of the app, istio and scenarios keys makes ParseConfig panic; it returns either a
// config whose app and Istio switch are what the keys say, or a ConfigError whose every line starts with a
// key of the stack.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range meshConfigCases {
		v := seed.values()
		f.Add(v[KeyApp], v[KeyIstio], v[KeyScenarios])
	}
	f.Add("online-boutique", "true", `{"ad-mesh-faults":{"enabled":true}}`)
	f.Add("astronomy-shop", "false", `{"ad-mesh-faults":{"abortPercent":20}}`)
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, app, istio, scenarios string) {
		values := map[string]string{KeyGrafanaAdminPassword: "long-enough"}
		for key, v := range map[string]string{KeyApp: app, KeyIstio: istio, KeyScenarios: scenarios} {
			if v != "" {
				values[key] = v
			}
		}
		cfg, err := ParseConfig(lookupOf(values))
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || len(ce.Errors) == 0 {
				t.Fatalf("not a ConfigError with problems: %v", err)
			}
			for _, line := range ce.Lines() {
				if !strings.HasPrefix(line, ConfigNamespace+":") {
					t.Fatalf("a problem without its key: %s", line)
				}
			}
			return
		}
		if app != "" && cfg.Deployment.App.Name != app {
			t.Fatalf("app %q deployed %s", app, cfg.Deployment.App.Name)
		}
		if want, _ := strconv.ParseBool(strings.TrimSpace(istio)); cfg.Istio != want {
			t.Fatalf("istio %q read as %v", istio, cfg.Istio)
		}
		for _, o := range cfg.Scenarios.Objects {
			if o.IsMesh() && !cfg.Istio {
				t.Fatalf("VirtualService %s without Istio", o.Name)
			}
		}
	})
}

// FuzzStackFile: no stack file makes the reader or the check panic. A file is either refused as a whole
// (a stackfile.ContentError: not YAML 1.2, a duplicate key, a malformed value), or checked, and then every
// problem names its key, and a valid config's halt is what the file says.
func FuzzStackFile(f *testing.F) {
	for _, seed := range []string{
		"", "config:\n", "config: [\n", "config:\n  chaos-mesh-otel:halt: on\n",
		"config:\n  chaos-mesh-otel:grafanaAdminPassword: {secure: AAAB}\n  chaos-mesh-otel:halt: true\n",
		"config:\n  chaos-mesh-otel:scenarios:\n    a: {enabled: yes}\n    a: {enabled: true}\n",
		"config:\n  halt: true\n  sloGate: off\n  scenarios: {checkout-pod-kill: {enabled: true, container: checkout}}\n",
		"config:\n  chaos-mesh-otel:grafanaAdminPassword: plain-text-secret\n",
		"config:\n  chaos-mesh-otel:slos: [{name: x, service: checkout, kind: latency, objective: 0.9, thresholdMs: 250}]\n",
		"config:\n  aws:region: us-east-1\n  chaos-mesh-otel:scenarioz: {}\n",
	} {
		f.Add([]byte(seed))
	}
	project := repoProject(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		file, err := stackfile.Parse(project, body, "Pulumi.fuzz.yaml")
		if err != nil {
			var content *stackfile.ContentError
			if !errors.As(err, &content) {
				t.Fatalf("not a ContentError: %v", err)
			}
			return
		}
		cfg, _, err := CheckStackFile(file)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || len(ce.Errors) == 0 {
				t.Fatalf("not a ConfigError with problems: %v", err)
			}
			for _, line := range ce.Lines() {
				if key, _, _ := strings.Cut(line, ": "); !strings.Contains(key, ":") {
					t.Fatalf("a problem without its key: %s", line)
				}
			}
			return
		}
		if want := file.Values[ConfigNamespace+":"+KeyHalt] == "true"; cfg.Halt != want {
			t.Fatalf("halt %q read as %v", file.Values[ConfigNamespace+":"+KeyHalt], cfg.Halt)
		}
	})
}

// repoProject is the project's own Pulumi.yaml.
func repoProject(t testing.TB) *workspace.Project {
	t.Helper()
	project, err := workspace.LoadProject("../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return project
}
