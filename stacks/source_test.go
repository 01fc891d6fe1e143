package stacks

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Unknown keys of the project are refused, with a suggestion, when the key list is known; keys of other
// namespaces are not the program's business.
func TestUnknownKeysAreRefused(t *testing.T) {
	values := map[string]string{
		"chaos-mesh-otel:grafanaAdminPassword": "long-enough",
		"chaos-mesh-otel:scenarioz":            "{}",
		"chaos-mesh-otel:hlat":                 "true",
		"chaos-mesh-otel:zzzzzz":               "1",
		"kubernetes:context":                   "minikube",
		"aws:region":                           "us-east-1",
	}
	_, err := ParseConfig(FromValues(values))
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("want a ConfigError, got %v", err)
	}
	want := []string{`chaos-mesh-otel:hlat: Forbidden: unknown key (did you mean "halt"?)`, `chaos-mesh-otel:scenarioz: Forbidden: unknown key (did you mean "scenarios"?)`,
		"chaos-mesh-otel:zzzzzz: Forbidden: unknown key; expected one of: kubeconfig, context"}
	if len(ce.Lines()) != len(want) {
		t.Fatalf("want %d problems, got:\n%v", len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(ce.Lines()[i], w) {
			t.Errorf("problem %d = %q, want it to start with %q", i, ce.Lines()[i], w)
		}
	}
	// Without a key list (an inline program), the same values pass: nothing can tell the keys apart.
	src := FromValues(values)
	src.Keys, src.KeysListed = nil, false
	if _, err := ParseConfig(src); err != nil {
		t.Errorf("with no key list: %v", err)
	}
}

// Every key the program reads is one ParseConfig knows, so that no real key is ever called unknown.
func TestEveryKeyIsKnown(t *testing.T) {
	values := map[string]string{}
	for _, k := range projectKeys {
		values[ConfigNamespace+":"+k] = ""
	}
	if unknown := unknownKeys(FromValues(values).Keys); len(unknown) != 0 {
		t.Errorf("known keys reported as unknown: %v", unknown)
	}
}

// Under the Go language host the program lists the keys from PULUMI_CONFIG and refuses unknown ones; an
// inline program does so through LabWithConfigKeys.
func TestLabRefusesUnknownKeys(t *testing.T) {
	config := `{"chaos-mesh-otel:grafanaAdminPassword":"long-enough","chaos-mesh-otel:hlat":"true"}`
	t.Setenv(pulumi.EnvConfig, config)
	err := pulumi.RunErr(Lab, pulumi.WithMocks("chaos-mesh-otel", "test", &recorder{}))
	if err == nil || !strings.Contains(err.Error(), `chaos-mesh-otel:hlat: Forbidden: unknown key (did you mean "halt"?)`) {
		t.Errorf("Lab under the language host: %v", err)
	}

	t.Setenv(pulumi.EnvConfig, "")
	inline := LabWithConfigKeys(func() ([]string, error) {
		return []string{"chaos-mesh-otel:grafanaAdminPassword", "chaos-mesh-otel:hlat"}, nil
	})
	err = pulumi.RunErr(inline, pulumi.WithMocks("chaos-mesh-otel", "test", &recorder{}), func(info *pulumi.RunInfo) {
		info.Config = map[string]string{"chaos-mesh-otel:grafanaAdminPassword": "long-enough", "chaos-mesh-otel:hlat": "true"}
	})
	if err == nil || !strings.Contains(err.Error(), "chaos-mesh-otel:hlat: Forbidden: unknown key") {
		t.Errorf("LabWithConfigKeys: %v", err)
	}
	failing := LabWithConfigKeys(func() ([]string, error) { return nil, errors.New("no stack") })
	err = pulumi.RunErr(failing, pulumi.WithMocks("chaos-mesh-otel", "test", &recorder{}))
	if err == nil || !strings.Contains(err.Error(), "no stack") {
		t.Errorf("a failing key list must stop the program: %v", err)
	}
}

func TestParseStackFile(t *testing.T) {
	f, err := ParseStackFile([]byte(`config:
  aws:region: us-east-1
  chaos-mesh-otel:halt: true
  chaos-mesh-otel:loadGeneratorUsers: 7
  chaos-mesh-otel:context: minikube
  chaos-mesh-otel:kubeconfig:
  chaos-mesh-otel:grafanaAdminPassword:
    secure: AAABAKp1Y2tlZA==
  chaos-mesh-otel:scenarios:
    ad-failure:
      enabled: true
  chaos-mesh-otel:slos: '[{"name":"x"}]'
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"aws:region": "us-east-1", "chaos-mesh-otel:halt": "true", "chaos-mesh-otel:loadGeneratorUsers": "7",
		"chaos-mesh-otel:context": "minikube", "chaos-mesh-otel:kubeconfig": "",
		"chaos-mesh-otel:scenarios": `{"ad-failure":{"enabled":true}}`, "chaos-mesh-otel:slos": `[{"name":"x"}]`,
	}
	if !reflect.DeepEqual(f.Values, want) {
		t.Errorf("values = %v\nwant %v", f.Values, want)
	}
	if !reflect.DeepEqual(f.Encrypted, []string{"chaos-mesh-otel:grafanaAdminPassword"}) {
		t.Errorf("encrypted = %v", f.Encrypted)
	}
	src := f.Source()
	if !src.KeysListed || len(src.Keys) != 8 || !reflect.DeepEqual(src.Encrypted, []string{KeyGrafanaAdminPassword}) {
		t.Errorf("source: listed %v, keys %v, encrypted %v", src.KeysListed, src.Keys, src.Encrypted)
	}
	if got := f.ProjectKeys(); len(got) != 7 || got[0] != "context" {
		t.Errorf("project keys = %v", got)
	}
	for name, body := range map[string]string{
		"bad YAML":       "config: [\n",
		"not a map":      "config: [1, 2]\n",
		"bare key":       "config:\n  halt: true\n",
		"a project file": "name: chaos-mesh-otel\nconfig:\n  kubeconfig:\n    type: string\n",
	} {
		if _, err := ParseStackFile([]byte(body)); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	empty, err := ParseStackFile(nil)
	if err != nil || len(empty.ProjectKeys()) != 0 {
		t.Errorf("an empty file is a stack with no keys: %v %v", empty, err)
	}
}

// An encrypted password counts as set; any other encrypted key cannot be read, and says so.
func TestEncryptedValues(t *testing.T) {
	f, err := ParseStackFile([]byte("config:\n  chaos-mesh-otel:grafanaAdminPassword:\n    secure: AAAB\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(f.Source())
	if err != nil || cfg.GrafanaAdminPassword != "" {
		t.Fatalf("an encrypted password is set but unread: %v, %q", err, cfg.GrafanaAdminPassword)
	}
	f, _ = ParseStackFile([]byte("config:\n  chaos-mesh-otel:grafanaAdminPassword:\n    secure: AAAB\n  chaos-mesh-otel:halt:\n    secure: AAAB\n"))
	if _, err := ParseConfig(f.Source()); err == nil || !strings.Contains(err.Error(), "chaos-mesh-otel:halt: Forbidden: set to an encrypted") {
		t.Errorf("an encrypted halt: %v", err)
	}
}
