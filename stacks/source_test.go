package stacks

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks/stackfile"
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

// stackFile parses a stack file's content with the project's own Pulumi.yaml, as Pulumi reads it.
func stackFile(t *testing.T, body string) *stackfile.File {
	t.Helper()
	f, err := stackfile.Parse(repoProject(t), []byte(body), "Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFileSource(t *testing.T) {
	f := stackFile(t, `config:
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
`)
	for key, want := range map[string]string{
		"aws:region": "us-east-1", "chaos-mesh-otel:halt": "true", "chaos-mesh-otel:loadGeneratorUsers": "7",
		"chaos-mesh-otel:context": "minikube", "chaos-mesh-otel:kubeconfig": "",
		"chaos-mesh-otel:scenarios": `{"ad-failure":{"enabled":true}}`, "chaos-mesh-otel:slos": `[{"name":"x"}]`,
		"chaos-mesh-otel:sloGate": "build", // Pulumi.yaml's default, as the CLI applies it
	} {
		if got := f.Values[key]; got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	src := FileSource(f)
	if !src.KeysListed || !slices.Contains(src.Keys, "chaos-mesh-otel:grafanaAdminPassword") || !slices.Contains(src.Keys, "aws:region") ||
		!reflect.DeepEqual(src.Encrypted, []string{KeyGrafanaAdminPassword}) || len(src.Pending) != 0 {
		t.Errorf("source: listed %v, keys %v, encrypted %v, pending %v", src.KeysListed, src.Keys, src.Encrypted, src.Pending)
	}
	if v, ok := src.Get(KeyLoadGeneratorUsers); !ok || v != "7" {
		t.Errorf("get: %q %v", v, ok)
	}
}

// An encrypted password counts as set; any other encrypted key cannot be read, and says so. A missing
// password is a notice: make up generates it.
func TestEncryptedAndPendingValues(t *testing.T) {
	cfg, notices, err := CheckStackFile(stackFile(t, "config:\n  chaos-mesh-otel:grafanaAdminPassword:\n    secure: AAAB\n"))
	if err != nil || cfg.GrafanaAdminPassword != "" || len(notices) != 0 {
		t.Fatalf("an encrypted password is set but unread: %v, %q, %v", err, cfg.GrafanaAdminPassword, notices)
	}
	_, _, err = CheckStackFile(stackFile(t, "config:\n  chaos-mesh-otel:grafanaAdminPassword:\n    secure: AAAB\n  chaos-mesh-otel:halt:\n    secure: AAAB\n"))
	if err == nil || !strings.Contains(err.Error(), "chaos-mesh-otel:halt: Forbidden: set to an encrypted") {
		t.Errorf("an encrypted halt: %v", err)
	}
	cfg, notices, err = CheckStackFile(stackFile(t, "config:\n  chaos-mesh-otel:halt: true\n"))
	if err != nil || !cfg.Halt || len(notices) != 1 || notices[0].Key != "chaos-mesh-otel:grafanaAdminPassword" ||
		!strings.Contains(notices[0].Message, "`make up` generates it") {
		t.Errorf("a missing password: %v %v", err, notices)
	}
	_, _, err = CheckStackFile(stackFile(t, "config:\n  chaos-mesh-otel:grafanaAdminPassword: in-plain-text\n"))
	if err == nil || !strings.Contains(err.Error(), "chaos-mesh-otel:grafanaAdminPassword: Forbidden: declared secret in Pulumi.yaml") {
		t.Errorf("a plaintext password: %v", err)
	}
}

// The CLI's type check names a key once: the program's own message for the same key is not repeated.
func TestSchemaProblemsAreNotRepeated(t *testing.T) {
	_, _, err := CheckStackFile(stackFile(t, "config:\n  chaos-mesh-otel:halt: on\n  chaos-mesh-otel:chaosRuntime: rkt\n"))
	var ce *ConfigError
	if !errors.As(err, &ce) || len(ce.Errors) != 2 {
		t.Fatalf("want two problems, got %v", err)
	}
	if !strings.Contains(err.Error(), `chaos-mesh-otel:halt: Invalid value: "on": must be of type boolean`) || !strings.Contains(err.Error(), "chaos-mesh-otel:chaosRuntime") {
		t.Errorf("problems: %v", err)
	}
}

// A scenario whose key is not a DNS-1123 name gets a notice naming its objects' name.
func TestRenamedScenariosAreNoticed(t *testing.T) {
	long := "a-scenario-name-that-goes-on-and-on-well-past-forty-eight-characters"
	cfg, notices, err := CheckStackFile(stackFile(t, `config:
  chaos-mesh-otel:grafanaAdminPassword: {secure: AAAB}
  chaos-mesh-otel:scenarios:
    Café_Kill: {enabled: true, fault: pod-kill, target: checkout}
    `+long+`: {enabled: true, fault: pod-kill, target: cart}
    quiet_one: {enabled: false, fault: pod-kill, target: cart}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, n := range notices {
		got[n.Key] = n.Message
	}
	if m := got["chaos-mesh-otel:scenarios.Café_Kill"]; !strings.Contains(m, `named "caf-kill"`) || strings.Contains(m, "shortened") {
		t.Errorf("Café_Kill: %q", m)
	}
	if m := got["chaos-mesh-otel:scenarios."+long]; !strings.Contains(m, "shortened to 48 characters") {
		t.Errorf("long name: %q", m)
	}
	if _, ok := got["chaos-mesh-otel:scenarios.quiet_one"]; ok || len(notices) != 2 || len(cfg.Notices) != 2 {
		t.Errorf("only enabled scenarios become objects: %v", notices)
	}
}
