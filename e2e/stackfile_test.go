//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// trickyStackFile is one stack file that YAML 1.1 and YAML 1.2, or Pulumi and a hand-written reader, would
// read differently, with what both Pulumi and chaoslab must make of it.
type trickyStackFile struct {
	name string
	// body is the stack file's config after the lab's own keys (kubeconfig, chartsDir, sloGate), one
	// key per line, indented by two spaces; {password} is the lab's encrypted password.
	body string
	// refusedAt is the key both refuse it at (its last part is what preview names); "" when both accept it.
	refusedAt string
	// previewSays is a phrase of the Pulumi CLI's own refusal, when the CLI refuses before the program runs.
	previewSays string
	// pending says that chaoslab accepts it with a notice at refusedAt while pulumi preview refuses it:
	// only for the password that make up generates before its first preview.
	pending bool
}

var trickyStackFiles = []trickyStackFile{
	{name: "halt: on", body: "{password}  chaos-mesh-otel:halt: on\n", refusedAt: "chaos-mesh-otel:halt", previewSays: "must be of type 'boolean'"},
	{name: "istio: yes", body: "{password}  chaos-mesh-otel:istio: yes\n", refusedAt: "chaos-mesh-otel:istio", previewSays: "must be of type 'boolean'"},
	{name: "sloGate: off", body: "{password}  chaos-mesh-otel:scenarios: {checkout-pod-kill: {enabled: true}}\n", refusedAt: ""},
	{name: "enabled: yes", body: "{password}  chaos-mesh-otel:scenarios:\n    checkout-pod-kill:\n      enabled: yes\n",
		refusedAt: "chaos-mesh-otel:scenarios.checkout-pod-kill.enabled"},
	{name: "a scenario written twice", body: "{password}  chaos-mesh-otel:scenarios:\n    checkout-pod-kill:\n      enabled: true\n    checkout-pod-kill:\n      enabled: false\n",
		refusedAt: "chaos-mesh-otel:scenarios.checkout-pod-kill", previewSays: `"checkout-pod-kill" already defined`},
	{name: "a plaintext secret", body: "  chaos-mesh-otel:grafanaAdminPassword: a-password-in-plain-text\n",
		refusedAt: "chaos-mesh-otel:grafanaAdminPassword", previewSays: "must be encrypted as it's secret"},
	{name: "no password yet", body: "  chaos-mesh-otel:halt: true\n", refusedAt: "chaos-mesh-otel:grafanaAdminPassword",
		previewSays: "missing configuration value 'grafanaAdminPassword'", pending: true},
}

// assertStackFilesReadAsPulumiReadsThem writes each tricky stack file as the stack's own file, and checks that
// the real `pulumi preview` and chaoslab (its reader, and the built `chaoslab validate`) agree on it: both
// accept it, or both refuse it naming the same key. The stack's file is restored after.
func assertStackFilesReadAsPulumiReadsThem(ctx context.Context, t *testing.T, s auto.Stack, c *Cluster) {
	t.Helper()
	ws := s.Workspace()
	path := filepath.Join(ws.WorkDir(), "Pulumi."+s.Name()+".yaml")
	original, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.WriteFile(path, original, 0o644); err != nil {
			t.Errorf("restoring %s: %v", path, err)
		}
	})
	salt, password := encryptedParts(t, path)
	chaoslab := buildChaoslab(t)
	for _, tc := range trickyStackFiles {
		t.Run(strings.ReplaceAll(tc.name, " ", "-"), func(t *testing.T) {
			body := fmt.Sprintf("encryptionsalt: %s\nconfig:\n  chaos-mesh-otel:kubeconfig: %q\n  chaos-mesh-otel:chartsDir: %q\n  chaos-mesh-otel:sloGate: %s\n",
				salt, c.Kubeconfig, ChartsDir(), map[bool]string{true: "off", false: "image"}[tc.name == "sloGate: off"])
			body += strings.ReplaceAll(tc.body, "{password}", "  chaos-mesh-otel:grafanaAdminPassword:\n    secure: "+password+"\n")
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, out, previewErr := Preview(ctx, s)
			notices, offline := readOffline(path)
			validate := exec.CommandContext(ctx, chaoslab, "validate", path)
			validateOut, _ := validate.CombinedOutput()
			code := validate.ProcessState.ExitCode()
			t.Logf("pulumi preview: %v\nchaoslab validate: exit %d\n%s", previewErr, code, validateOut)
			previewText := out
			if previewErr != nil {
				previewText += previewErr.Error()
			}
			last := tc.refusedAt[strings.LastIndexAny(tc.refusedAt, ":.")+1:]
			switch {
			case tc.refusedAt == "":
				if previewErr != nil || offline != nil || code != 0 {
					t.Errorf("want both to accept it: preview %v, offline %v, validate exit %d\n%s", previewErr, offline, code, tail(previewText, 3000))
				}
			case tc.pending:
				if previewErr == nil || !strings.Contains(previewText, tc.previewSays) {
					t.Errorf("pulumi preview must require the password: %v\n%s", previewErr, tail(previewText, 3000))
				}
				if offline != nil || !strings.Contains(notices, tc.refusedAt+": not set yet") || code != 0 {
					t.Errorf("chaoslab must accept a fresh clone's file with a notice at %s: %v, notices %q, exit %d", tc.refusedAt, offline, notices, code)
				}
			default:
				if previewErr == nil || !strings.Contains(previewText, last) || (tc.previewSays != "" && !strings.Contains(previewText, tc.previewSays)) {
					t.Errorf("pulumi preview must refuse it naming %s (%q): %v\n%s", last, tc.previewSays, previewErr, tail(previewText, 3000))
				}
				if offline == nil || !strings.Contains(offline.Error(), tc.refusedAt) && !strings.Contains(offline.Error(), tc.previewSays) {
					t.Errorf("chaoslab's reader must refuse it at %s: %v", tc.refusedAt, offline)
				}
				if code != 2 || !strings.Contains(string(validateOut), last) {
					t.Errorf("chaoslab validate must exit 2 naming %s: exit %d", last, code)
				}
			}
		})
	}
}

// readOffline is what chaoslab makes of a stack file: its notices, and its reader's or its check's refusal.
func readOffline(path string) (string, error) {
	file, err := stacks.ReadStackFile(path)
	if err != nil {
		return "", err
	}
	_, notices, err := stacks.CheckStackFile(file)
	var lines []string
	for _, n := range notices {
		lines = append(lines, n.String())
	}
	return strings.Join(lines, "\n"), err
}

// encryptedParts are the stack file's encryption salt and its encrypted password, as Pulumi wrote them, read
// with Pulumi's own loader.
func encryptedParts(t *testing.T, path string) (salt, password string) {
	t.Helper()
	project, err := workspace.LoadProject(filepath.Join(RepoRoot(), "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := workspace.LoadProjectStack(nil, project, path)
	if err != nil {
		t.Fatal(err)
	}
	value, ok := ps.Config[config.MustMakeKey(ConfigNamespace, "grafanaAdminPassword")]
	if ok && value.Secure() {
		password, _ = value.Value(config.NopDecrypter) // the ciphertext, as the file holds it
	}
	if ps.EncryptionSalt == "" || password == "" {
		t.Fatalf("%s holds no salt or encrypted password", path)
	}
	return ps.EncryptionSalt, password
}

// buildChaoslab builds the chaoslab binary into the test's temp dir (go's cache makes it cheap after make test).
func buildChaoslab(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "chaoslab")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/chaoslab")
	cmd.Dir = RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/chaoslab: %v\n%s", err, out)
	}
	return bin
}
