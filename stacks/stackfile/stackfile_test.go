package stackfile

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// repoProject is the lab's own Pulumi.yaml, whose schema every stack file is checked against.
func repoProject(t testing.TB) *workspace.Project {
	t.Helper()
	p, err := workspace.LoadProject("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func parse(t *testing.T, yaml string) (*File, error) {
	t.Helper()
	return Parse(repoProject(t), []byte(yaml), "Pulumi.dev.yaml")
}

func problems(f *File) string {
	var lines []string
	for _, p := range f.Problems {
		lines = append(lines, p.Error())
	}
	return strings.Join(lines, "\n")
}

// YAML 1.2, as Pulumi reads it: yes, on and off are strings, which the declared types then judge.
func TestYAML12Scalars(t *testing.T) {
	f, err := parse(t, `config:
  chaos-mesh-otel:halt: on
  chaos-mesh-otel:istio: yes
  chaos-mesh-otel:sloGate: off
  chaos-mesh-otel:llmComponents: true
  chaos-mesh-otel:loadGeneratorUsers: 7
  chaos-mesh-otel:scenarios:
    checkout-pod-kill:
      enabled: yes
`)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Values["chaos-mesh-otel:sloGate"]; got != "off" {
		t.Errorf("sloGate: got %q, want the string off", got)
	}
	if got := f.Values["chaos-mesh-otel:scenarios"]; got != `{"checkout-pod-kill":{"enabled":"yes"}}` {
		t.Errorf("scenarios: got %s, want enabled as the string yes", got)
	}
	if f.Values["chaos-mesh-otel:llmComponents"] != "true" || f.Values["chaos-mesh-otel:loadGeneratorUsers"] != "7" {
		t.Errorf("typed scalars: %v", f.Values)
	}
	got := problems(f)
	for _, want := range []string{
		`chaos-mesh-otel:halt: Invalid value: "on": must be of type boolean`,
		`chaos-mesh-otel:istio: Invalid value: "yes": must be of type boolean`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if len(f.Problems) != 2 {
		t.Errorf("want exactly the two boolean problems, got:\n%s", got)
	}
}

func TestDuplicateKeyIsRefusedWithItsLines(t *testing.T) {
	_, err := parse(t, `config:
  chaos-mesh-otel:scenarios:
    checkout-pod-kill:
      enabled: true
    checkout-pod-kill:
      enabled: false
`)
	var ce *ContentError
	if !errors.As(err, &ce) {
		t.Fatalf("want a ContentError, got %v", err)
	}
	for _, want := range []string{`"checkout-pod-kill" already defined at line 3`, "line 5"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestSecretsAndDefaults(t *testing.T) {
	f, err := parse(t, `config:
  chaos-mesh-otel:grafanaAdminPassword:
    secure: v1:abc:def
  chaos-mesh-otel:context: minikube
`)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Secure("chaos-mesh-otel:grafanaAdminPassword") || len(f.Problems) != 0 || len(f.Missing) != 0 {
		t.Errorf("encrypted password: secure %v, problems %v, missing %v", f.Encrypted, f.Problems, f.Missing)
	}
	if _, plain := f.Values["chaos-mesh-otel:grafanaAdminPassword"]; plain {
		t.Error("an encrypted value must not be given as plain text")
	}
	// The CLI applies Pulumi.yaml's defaults before the program runs.
	for key, want := range map[string]string{"chaos-mesh-otel:halt": "false", "chaos-mesh-otel:loadGeneratorUsers": "5",
		"chaos-mesh-otel:sloGate": "build", "chaos-mesh-otel:kubeconfig": ""} {
		if got, ok := f.Values[key]; !ok || got != want {
			t.Errorf("%s: got %q (set %v), want the default %q", key, got, ok, want)
		}
	}
	if !slices.Equal(f.ProjectKeys(), []string{"context", "grafanaAdminPassword"}) {
		t.Errorf("project keys set by the file: %v", f.ProjectKeys())
	}

	plain, err := parse(t, "config:\n  chaos-mesh-otel:grafanaAdminPassword: hunter22hunter\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := problems(plain); !strings.Contains(got, "chaos-mesh-otel:grafanaAdminPassword: Forbidden: declared secret") {
		t.Errorf("a plaintext secret must be refused at its key, got:\n%s", got)
	}

	missing, err := parse(t, "config:\n  chaos-mesh-otel:halt: true\n")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(missing.Missing, []string{"chaos-mesh-otel:grafanaAdminPassword"}) {
		t.Errorf("missing: %v", missing.Missing)
	}
}

// A key without a namespace is the project's, as Pulumi rewrites it.
func TestKeysWithoutNamespaceAreTheProjects(t *testing.T) {
	f, err := parse(t, "config:\n  halt: true\n")
	if err != nil {
		t.Fatal(err)
	}
	if f.Values["chaos-mesh-otel:halt"] != "true" {
		t.Errorf("values: %v", f.Values)
	}
}

func TestReadFindsTheProjectFile(t *testing.T) {
	dir := t.TempDir()
	stack := filepath.Join(dir, "Pulumi.ci.yaml")
	if err := os.WriteFile(stack, []byte("config:\n  chaos-mesh-otel:halt: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Without a project file beside it, the lab's own (compiled in) is the schema.
	if f, err := Read(stack); err != nil || f.ProjectFile != "" || f.Values["chaos-mesh-otel:halt"] != "true" || f.Values["chaos-mesh-otel:sloGate"] != "build" {
		t.Errorf("without a project file: %+v %v", f, err)
	}
	project, err := os.ReadFile("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), project, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Read(stack)
	if err != nil {
		t.Fatal(err)
	}
	if f.ProjectFile != filepath.Join(dir, "Pulumi.yaml") {
		t.Errorf("read with %q", f.ProjectFile)
	}
	if f.Stack != "ci" || f.Project != "chaos-mesh-otel" {
		t.Errorf("stack %q project %q", f.Stack, f.Project)
	}
	if _, err := Read(filepath.Join(dir, "Pulumi.nope.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
}

func TestOddContentNeverPanics(t *testing.T) {
	for _, doc := range []string{"", "config: 5", "config:\n  a:b:c: 1", "- 1\n- 2", "config:\n  x:y:\n    secure: 5", "\t\tbad", "config: {chaos-mesh-otel:scenarios: [1, {secure: x}]}"} {
		if _, err := parse(t, doc); err != nil {
			t.Logf("%q: %v", doc, err)
		}
	}
}

// The compiled-in project is the repository's Pulumi.yaml, byte for byte (after a change to it: cp
// Pulumi.yaml stacks/stackfile/lab-project.yaml).
func TestTheCompiledInProjectIsTheRepositorys(t *testing.T) {
	repo, err := os.ReadFile("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(repo) != string(labProjectFile) {
		t.Error("stacks/stackfile/lab-project.yaml differs from Pulumi.yaml: cp Pulumi.yaml stacks/stackfile/lab-project.yaml")
	}
	if _, err := LabProject(); err != nil {
		t.Error(err)
	}
}
