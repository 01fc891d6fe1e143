//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PulumiVersion is the CLI version that e2e/tools/build.sh builds.
const PulumiVersion = "3.274.1"

// Engine is the built Pulumi CLI with a private file backend and PULUMI_HOME, the built kubernetes provider
// on PATH, and no plugin downloads.
type Engine struct {
	Bin     string
	Dir     string
	Env     map[string]string
	Command auto.PulumiCommand
}

// NewEngine prepares an engine whose state lives in a temp dir removed at cleanup.
func NewEngine(tb testing.TB, bin string) *Engine {
	tb.Helper()
	dir, err := os.MkdirTemp("", "chaoslab-pulumi-")
	if err != nil {
		tb.Fatal(err)
	}
	done := untilCleanup(func() { _ = os.RemoveAll(dir) })
	tb.Cleanup(func() { _ = os.RemoveAll(dir); done() })
	for _, d := range []string{"backend", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{
		Root:    filepath.Dir(bin), // the CLI is <root>/bin/pulumi
		Version: semver.MustParse(PulumiVersion),
	})
	if err != nil {
		tb.Fatalf("pulumi CLI in %s: %v", bin, err)
	}
	return &Engine{
		Bin: bin,
		Dir: dir,
		Env: map[string]string{
			"PULUMI_BACKEND_URL":                          "file://" + filepath.Join(dir, "backend"),
			"PULUMI_HOME":                                 filepath.Join(dir, "home"),
			"PULUMI_CONFIG_PASSPHRASE":                    "chaoslab-e2e",
			"PULUMI_SKIP_UPDATE_CHECK":                    "true",
			"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
			"PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK":    "true",
			"PATH": bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		},
		Command: cmd,
	}
}

// RepoStack opens a fresh stack of the repository's project (Pulumi.yaml and its config schema at the repo
// root) running prog inline. The stack's Pulumi.<stack>.yaml is removed from the repository at cleanup.
func (e *Engine) RepoStack(ctx context.Context, tb testing.TB, prog pulumi.RunFunc) auto.Stack {
	tb.Helper()
	root := RepoRoot()
	proj, err := workspace.LoadProject(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		// Without this guard the Automation API would write a default Pulumi.yaml into the repository.
		tb.Fatalf("the repository's Pulumi.yaml: %v", err)
	}
	name := uniqueStackName()
	tb.Cleanup(func() {
		for _, ext := range []string{".yaml", ".yml", ".json"} {
			_ = os.Remove(filepath.Join(root, "Pulumi."+name+ext))
		}
	})
	return e.stack(ctx, tb, name, string(proj.Name), root, prog)
}

// ScratchStack opens a stack of a throwaway project in a temp dir (for the floor and smoke programs).
func (e *Engine) ScratchStack(ctx context.Context, tb testing.TB, project string, prog pulumi.RunFunc) auto.Stack {
	tb.Helper()
	dir, err := os.MkdirTemp(e.Dir, "project-")
	if err != nil {
		tb.Fatal(err)
	}
	name := "chaoslab-e2e-" + project
	return e.stack(ctx, tb, uniqueStackName(), name, dir, prog,
		auto.Project(workspace.Project{Name: tokens.PackageName(name), Runtime: workspace.NewProjectRuntimeInfo("go", nil)}))
}

func (e *Engine) stack(ctx context.Context, tb testing.TB, name, project, dir string, prog pulumi.RunFunc,
	extra ...auto.LocalWorkspaceOption,
) auto.Stack {
	tb.Helper()
	opts := append([]auto.LocalWorkspaceOption{
		auto.WorkDir(dir),
		auto.Pulumi(e.Command),
		auto.EnvVars(e.Env),
		auto.SecretsProvider("passphrase"),
	}, extra...)
	// The CLI reads the passphrase from the workspace env; the in-process SDK from ours.
	for k, v := range e.Env {
		if k != "PATH" {
			tb.Setenv(k, v)
		}
	}
	s, err := auto.UpsertStackInlineSource(ctx, name, project, prog, opts...)
	if err != nil {
		tb.Fatalf("stack %s: %v", name, err)
	}
	tb.Cleanup(func() {
		// Best effort: if the test failed before destroy, remove what the stack still has.
		if err := s.Workspace().RemoveStack(context.Background(), name); err != nil && !strings.Contains(err.Error(), "still has resources") {
			tb.Logf("remove stack %s: %v", name, err)
		}
	})
	return s
}

func uniqueStackName() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("e2e-%d-%s", os.Getpid(), hex.EncodeToString(b))
}
