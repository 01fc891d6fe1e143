package stacks

import (
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"sigs.k8s.io/yaml"
)

// lookupOf is the Source of values named without the namespace, with no key list (as an inline program).
func lookupOf(values map[string]string) Source {
	return Source{Get: func(key string) (string, bool) {
		v, ok := values[key]
		return v, ok
	}}
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig(lookupOf(map[string]string{KeyGrafanaAdminPassword: "long-enough"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ChaosRuntime != "containerd" || cfg.ChaosSocketPath != "/run/containerd/containerd.sock" {
		t.Errorf("runtime %q socket %q", cfg.ChaosRuntime, cfg.ChaosSocketPath)
	}
	if cfg.LoadGeneratorUsers != 5 || cfg.LoadGeneratorBrowser || cfg.LLMComponents || cfg.Halt {
		t.Errorf("scalar defaults wrong: %+v", cfg)
	}
	if len(cfg.SLOs) != 6 {
		t.Errorf("want the 6 default SLOs, got %d", len(cfg.SLOs))
	}
	if cfg.Scenarios == nil || len(cfg.Scenarios.Objects) != 0 {
		t.Errorf("no scenario is on by default, got %+v", cfg.Scenarios)
	}
	if cfg.Charts.LocalDir != "" || cfg.SLOGate != SLOGateBuild {
		t.Errorf("charts %q gate %q", cfg.Charts.LocalDir, cfg.SLOGate)
	}
}

// Every error names the full key and what was expected, and all of them come at once.
func TestConfigErrorsNameTheirKeys(t *testing.T) {
	cases := []struct {
		name   string
		values map[string]string
		want   []string
	}{
		{"missing password", map[string]string{}, []string{"chaos-mesh-otel:grafanaAdminPassword: Required value: not set: `make up` generates one"}},
		{"short password", map[string]string{KeyGrafanaAdminPassword: "short"}, []string{"chaos-mesh-otel:grafanaAdminPassword: Invalid value: expected at least 8"}},
		{"default password", map[string]string{KeyGrafanaAdminPassword: "admin"}, []string{"chaos-mesh-otel:grafanaAdminPassword"}},
		{"runtime", map[string]string{KeyChaosRuntime: "dockerd"}, []string{`chaos-mesh-otel:chaosRuntime: Unsupported value: "dockerd": supported values: "containerd", "crio", "docker"`}},
		{"socket", map[string]string{KeyChaosSocketPath: "run/docker.sock"}, []string{`chaos-mesh-otel:chaosSocketPath: Invalid value: "run/docker.sock": expected an absolute path`}},
		{"users not a number", map[string]string{KeyLoadGeneratorUsers: "many"}, []string{`chaos-mesh-otel:loadGeneratorUsers: Invalid value: "many": expected a whole number from 1 to 50`}},
		{"users too many", map[string]string{KeyLoadGeneratorUsers: "500"}, []string{"chaos-mesh-otel:loadGeneratorUsers"}},
		{"halt", map[string]string{KeyHalt: "maybe"}, []string{`chaos-mesh-otel:halt: Invalid value: "maybe": expected true or false`}},
		{"llm", map[string]string{KeyLLMComponents: "yes please"}, []string{"chaos-mesh-otel:llmComponents"}},
		{"gate mode", map[string]string{KeySLOGate: "sometimes"}, []string{`chaos-mesh-otel:sloGate: Unsupported value: "sometimes": supported values: "build", "image", "off"`}},
		{"gate image", map[string]string{KeySLOGate: "image", KeySLOGateImage: ""}, []string{"chaos-mesh-otel:sloGateImage: Required value"}},
		{"slo objective", map[string]string{KeySLOs: `[{"name":"x","service":"checkout","kind":"availability","objective":1.5}]`}, []string{"chaos-mesh-otel:slos[0].objective"}},
		{"slo service", map[string]string{KeySLOs: `[{"name":"x","service":"nope","kind":"availability","objective":0.9}]`}, []string{"chaos-mesh-otel:slos[0].service"}},
		{"scenario fault", map[string]string{KeyScenarios: `{"x":{"enabled":true,"fault":"meteor","target":"checkout"}}`}, []string{"chaos-mesh-otel:scenarios.x.fault"}},
		{"scenario target", map[string]string{KeyScenarios: `{"x":{"enabled":true,"fault":"pod-kill","target":"nowhere"}}`}, []string{"chaos-mesh-otel:scenarios.x.target"}},
		{"llm target while off", map[string]string{KeyScenarios: `{"x":{"enabled":true,"fault":"pod-kill","target":"chatbot"}}`}, []string{"chaos-mesh-otel:scenarios.x.target"}},
		{"charts dir", map[string]string{KeyChartsDir: "/nonexistent/charts"}, []string{"chaos-mesh-otel:chartsDir: Invalid value: \"/nonexistent/charts\": expected a directory holding the pinned chart archives; missing: chaos-mesh-2.8.3.tgz, opentelemetry-demo-0.41.0.tgz"}},
		{"gate image", map[string]string{KeySLOGateImage: "my image:la test"}, []string{`chaos-mesh-otel:sloGateImage: Invalid value: "my image:la test": not an image reference`}},
		{"gate image upper case", map[string]string{KeySLOGateImage: "Chaos/Gate:1"}, []string{"chaos-mesh-otel:sloGateImage: Invalid value"}},
		{"registry with a scheme", map[string]string{KeySLOGateRegistry: "https://my registry"}, []string{`chaos-mesh-otel:sloGateRegistry: Invalid value: "https://my registry": expected a registry host and optional path, without a scheme`}},
		{"registry without a host", map[string]string{KeySLOGateRegistry: "myregistry"}, []string{`chaos-mesh-otel:sloGateRegistry: Invalid value: "myregistry": expected a registry host`}},
		{"docker host", map[string]string{KeyDockerHost: "not a url"}, []string{`chaos-mesh-otel:dockerHost: Invalid value: "not a url": expected a Docker daemon address`}},
		{"docker host without a host", map[string]string{KeyDockerHost: "tcp://:2376"}, []string{"chaos-mesh-otel:dockerHost"}},
		{"docker socket with two slashes", map[string]string{KeyDockerHost: "unix://var/run/docker.sock"}, []string{"chaos-mesh-otel:dockerHost: Invalid value: \"unix://var/run/docker.sock\": expected a Docker daemon address such as unix:///var/run/docker.sock, tcp://192.168.49.2:2376 or ssh://user@host (a unix socket needs three slashes"}},
		{"container typo", map[string]string{KeyScenarios: `{"x":{"enabled":true,"fault":"cpu-stress","target":"recommendation","container":"recomendation","duration":"1m"}}`},
			[]string{`chaos-mesh-otel:scenarios.x.container: Unsupported value: "recomendation": not a container of recommendation's pods, so the fault would select nothing; did you mean "recommendation"?`}},
		{"sidecar without Istio", map[string]string{KeyScenarios: `{"x":{"enabled":true,"fault":"container-kill","target":"checkout","container":"istio-proxy"}}`},
			[]string{`chaos-mesh-otel:scenarios.x.container: Unsupported value: "istio-proxy"`}},
		{"several at once", map[string]string{KeyChaosRuntime: "rkt", KeyHalt: "sure", KeyLoadGeneratorUsers: "0"}, []string{
			"chaos-mesh-otel:chaosRuntime", "chaos-mesh-otel:halt", "chaos-mesh-otel:loadGeneratorUsers"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			values := map[string]string{KeyGrafanaAdminPassword: "long-enough"}
			if tc.name == "missing password" {
				delete(values, KeyGrafanaAdminPassword)
			}
			for k, v := range tc.values {
				values[k] = v
			}
			_, err := ParseConfig(lookupOf(values))
			var cfgErr *ConfigError
			if !errors.As(err, &cfgErr) {
				t.Fatalf("want a ConfigError, got %v", err)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not mention %q:\n%v", want, err)
				}
			}
			if len(cfgErr.Errors) < len(tc.want) {
				t.Errorf("want %d problems reported at once, got %d", len(tc.want), len(cfgErr.Errors))
			}
		})
	}
}

// What the checks above refuse has valid neighbours, which pass.
func TestValidImagesAddressesAndContainers(t *testing.T) {
	for name, values := range map[string]map[string]string{
		"registry with a port":   {KeySLOGateRegistry: "localhost:5000"},
		"registry with a path":   {KeySLOGateRegistry: "ghcr.io/my-org"},
		"image with a registry":  {KeySLOGateImage: "ghcr.io/my-org/slo-gate:v1.2"},
		"image with a digest":    {KeySLOGateImage: "chaos-mesh-otel/slo-gate@sha256:" + strings.Repeat("a", 64)},
		"docker socket":          {KeyDockerHost: "unix:///var/run/docker.sock"},
		"docker over TCP":        {KeyDockerHost: "tcp://192.168.49.2:2376"},
		"docker over SSH":        {KeyDockerHost: "ssh://me@build-host"},
		"the main container":     {KeyScenarios: `{"x":{"enabled":true,"fault":"container-kill","target":"recommendation","container":"recommendation"}}`},
		"the sidecar with Istio": {KeyIstio: "true", KeyScenarios: `{"x":{"enabled":true,"fault":"container-kill","target":"checkout","container":"istio-proxy"}}`},
	} {
		values[KeyGrafanaAdminPassword] = "long-enough"
		if _, err := ParseConfig(lookupOf(values)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestLLMTargetsAreAllowedWhenDeployed(t *testing.T) {
	_, err := ParseConfig(lookupOf(map[string]string{
		KeyGrafanaAdminPassword: "long-enough", KeyLLMComponents: "true",
		KeyScenarios: `{"x":{"enabled":true,"fault":"pod-kill","target":"chatbot"}}`,
	}))
	if err != nil {
		t.Fatal(err)
	}
}

type projectFile struct {
	Config map[string]struct {
		Type        string `json:"type"`
		Description string `json:"description"`
		Default     any    `json:"default"`
		Secret      bool   `json:"secret"`
	} `json:"config"`
}

// Pulumi.yaml's schema is the documentation of the scalar keys: every key the program reads is declared
// with a description, and every declared default is the program's own default.
func TestPulumiYamlSchemaMatchesTheCode(t *testing.T) {
	raw, err := os.ReadFile("../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var project projectFile
	if err := yaml.Unmarshal(raw, &project); err != nil {
		t.Fatal(err)
	}
	scalars := []string{KeyKubeconfig, KeyContext, KeyChartsDir, KeyChaosRuntime, KeyChaosSocketPath,
		KeyLoadGeneratorUsers, KeyLoadGeneratorBrowser, KeyLLMComponents, KeyGrafanaAdminPassword, KeyHalt,
		KeySLOGate, KeySLOGateImage, KeySLOGateRegistry, KeySLOGateURL, KeyDockerHost, KeyApp, KeyIstio}
	if len(project.Config) != len(scalars) {
		t.Errorf("Pulumi.yaml declares %d keys, the program reads %d scalar keys", len(project.Config), len(scalars))
	}
	base := map[string]string{KeyGrafanaAdminPassword: "long-enough"}
	withoutDefaults, err := ParseConfig(lookupOf(base))
	if err != nil {
		t.Fatal(err)
	}
	withDefaults := map[string]string{KeyGrafanaAdminPassword: "long-enough"}
	for _, key := range scalars {
		decl, ok := project.Config[key]
		if !ok {
			t.Errorf("Pulumi.yaml does not declare %s", key)
			continue
		}
		if decl.Description == "" {
			t.Errorf("%s has no description", key)
		}
		if key == KeyGrafanaAdminPassword {
			if !decl.Secret || decl.Default != nil {
				t.Errorf("%s must be a secret without a default", key)
			}
			continue
		}
		if decl.Default == nil {
			t.Errorf("%s has no default", key)
			continue
		}
		switch v := decl.Default.(type) {
		case string:
			withDefaults[key] = v
		case float64:
			withDefaults[key] = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			withDefaults[key] = map[bool]string{true: "true", false: "false"}[v]
		}
	}
	declared, err := ParseConfig(lookupOf(withDefaults))
	if err != nil {
		t.Fatal(err)
	}
	declared.Scenarios, withoutDefaults.Scenarios = nil, nil
	declared.SLOs, withoutDefaults.SLOs = nil, nil
	if !reflect.DeepEqual(declared, withoutDefaults) {
		t.Errorf("Pulumi.yaml defaults differ from the code's:\n yaml: %+v\n code: %+v", *declared, *withoutDefaults)
	}
}

// The dev stack file is valid as shipped (with the password that make up adds).
func TestDevStackFileIsValid(t *testing.T) {
	raw, err := os.ReadFile("../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var stack struct {
		Config map[string]any `json:"config"`
	}
	if err := yaml.Unmarshal(raw, &stack); err != nil {
		t.Fatal(err)
	}
	values := map[string]string{KeyGrafanaAdminPassword: "long-enough"}
	for k, v := range stack.Config {
		key := strings.TrimPrefix(k, ConfigNamespace+":")
		switch v := v.(type) {
		case string:
			values[key] = v
		default:
			b, _ := yaml.YAMLToJSON(mustYAML(t, v))
			values[key] = string(b)
		}
	}
	cfg, err := ParseConfig(lookupOf(values))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Context != "minikube" || cfg.ChaosRuntime != "docker" || cfg.ChaosSocketPath != "/var/run/docker.sock" {
		t.Errorf("dev stack: %+v", cfg)
	}
}

func mustYAML(t *testing.T, v any) []byte {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Regression: with sloGate off no gate is deployed, yet a game day gated by an SLO used to build a
// StatusCheck against the in-cluster gate's URL, which aborted or hung every run of it.
func TestGateOffRefusesSLOGatedGameDay(t *testing.T) {
	_, err := ParseConfig(lookupOf(map[string]string{
		KeyGrafanaAdminPassword: "long-enough", KeySLOGate: SLOGateOff,
		KeyScenarios: `{"checkout-gameday":{"enabled":true}}`,
	}))
	if err == nil {
		t.Fatal("checkout-gameday with sloGate: off was accepted")
	}
	for _, want := range []string{"chaos-mesh-otel:scenarios.checkout-gameday.steadyState.slo", "no SLO gate"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	// A steady state of the user's own URL needs no gate.
	_, err = ParseConfig(lookupOf(map[string]string{
		KeyGrafanaAdminPassword: "long-enough", KeySLOGate: SLOGateOff,
		KeyScenarios: `{"g":{"enabled":true,"steps":["checkout-pod-kill"],"steadyState":{"url":"http://frontend-proxy.otel-demo.svc:8080/"}}}`,
	}))
	if err != nil {
		t.Errorf("steadyState.url with the gate off: %v", err)
	}
}

// Regression: the catalog knows services that the lab does not deploy (the docs site, the OpAMP server); a
// scenario aimed at one used to validate and render an object that matched no pod.
func TestScenariosCannotTouchServicesTheLabDoesNotDeploy(t *testing.T) {
	for name, tc := range map[string]struct{ raw, path string }{
		"target": {`{"x":{"enabled":true,"fault":"pod-kill","target":"telemetry-docs"}}`, "chaos-mesh-otel:scenarios.x.target"},
		"to": {`{"x":{"enabled":true,"fault":"network-delay","target":"frontend","to":"opamp-server","latency":"10ms","duration":"1m"}}`,
			"chaos-mesh-otel:scenarios.x.to"},
		"game-day step": {`{"k":{"fault":"pod-kill","target":"opamp-server"},"g":{"enabled":true,"steps":["k"]}}`,
			"chaos-mesh-otel:scenarios.g.steps[0]"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseConfig(lookupOf(map[string]string{KeyGrafanaAdminPassword: "long-enough", KeyScenarios: tc.raw}))
			if err == nil {
				t.Fatal("a scenario on a service that is not deployed was accepted")
			}
			for _, want := range []string{tc.path, "not deployed"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not mention %q:\n%v", want, err)
				}
			}
		})
	}
}

// sloGateURL: the in-cluster gate by default, an outside gate when set (also with sloGate off), and only an
// absolute http(s) base URL.
func TestSLOGateURL(t *testing.T) {
	gameday := `{"checkout-gameday":{"enabled":true}}`
	checkURL := func(cfg *Config) string {
		t.Helper()
		for _, o := range cfg.Scenarios.Objects {
			if wf, ok := o.Typed.(*v1alpha1.Workflow); ok {
				for _, tpl := range wf.Spec.Templates {
					if tpl.StatusCheck != nil {
						return tpl.StatusCheck.HTTPStatusCheck.RequestUrl
					}
				}
			}
		}
		t.Fatal("no StatusCheck rendered")
		return ""
	}
	for _, tc := range []struct {
		name, gate, url, want string
	}{
		{"in-cluster by default", SLOGateBuild, "", "http://slo-gate.observability.svc:8080/slo/frontend-proxy-availability"},
		{"image mode too", SLOGateImage, "", "http://slo-gate.observability.svc:8080/slo/frontend-proxy-availability"},
		{"outside gate with the gate off", SLOGateOff, "https://gate.example.com:9443/", "https://gate.example.com:9443/slo/frontend-proxy-availability"},
		{"outside gate replaces the in-cluster one", SLOGateBuild, "http://10.0.0.7:8080", "http://10.0.0.7:8080/slo/frontend-proxy-availability"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig(lookupOf(map[string]string{
				KeyGrafanaAdminPassword: "long-enough", KeySLOGate: tc.gate, KeySLOGateURL: tc.url, KeyScenarios: gameday,
			}))
			if err != nil {
				t.Fatal(err)
			}
			if got := checkURL(cfg); got != tc.want {
				t.Errorf("StatusCheck calls %s, want %s", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"slo-gate:8080", "ftp://gate.example.com", "http://", "/slo", "http://gate/?x=1", "http://user:pw@gate/"} {
		_, err := ParseConfig(lookupOf(map[string]string{KeyGrafanaAdminPassword: "long-enough", KeySLOGateURL: bad}))
		if err == nil || !strings.Contains(err.Error(), "chaos-mesh-otel:sloGateURL") {
			t.Errorf("sloGateURL %q: want an error naming the key, got %v", bad, err)
		}
	}
}
