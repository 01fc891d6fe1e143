package testtool

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder stands in for a test, so that these tests' own output carries no marker for `make test` to list.
type recorder struct {
	testing.TB
	skipped, logged, fatal string
}

func (r *recorder) Skip(args ...any)                  { r.skipped = fmt.Sprint(args...) }
func (r *recorder) Log(args ...any)                   { r.logged = fmt.Sprint(args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

func TestMissingToolSkipsWithTheMarker(t *testing.T) {
	t.Setenv("CI", "")
	t.Setenv("PATH", t.TempDir())
	tool := Tool{Name: "no-such-tool", Env: "NO_SUCH_TOOL", Install: "apt-get install -y no-such-tool"}
	t.Setenv(tool.Env, "")
	r := &recorder{TB: t}
	if p := Need(r, tool); p != "" || r.skipped != Marker+"no-such-tool: apt-get install -y no-such-tool: the whole test" {
		t.Errorf("Need: path %q, skip message %q", p, r.skipped)
	}
	if _, ok := Want(r, tool, "part of it"); ok || r.logged != Marker+"no-such-tool: apt-get install -y no-such-tool: part of it" {
		t.Errorf("Want: found %v, log %q", ok, r.logged)
	}
	// In CI a missing tool fails the test; a tool required only with another variable fails only with it.
	t.Setenv("CI", "true")
	r = &recorder{TB: t}
	if Need(r, tool); r.fatal == "" || r.skipped != "" {
		t.Errorf("in CI: fatal %q, skipped %q", r.fatal, r.skipped)
	}
	e2eOnly := tool
	e2eOnly.RequiredWith = "E2E_ONLY"
	t.Setenv("E2E_ONLY", "")
	r = &recorder{TB: t}
	if Need(r, e2eOnly); r.fatal != "" || r.skipped == "" {
		t.Errorf("in CI without E2E_ONLY: fatal %q, skipped %q", r.fatal, r.skipped)
	}
}

func TestToolFromEnvOrPath(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "some-tool")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	if p, ok := Find(Tool{Name: "some-tool"}); !ok || p != bin {
		t.Errorf("from PATH: %q %v", p, ok)
	}
	if _, ok := Find(Tool{Name: "some-tool", EnvOnly: true, Env: "SOME_TOOL"}); ok {
		t.Error("an env-only tool must not be looked up in PATH")
	}
	t.Setenv("SOME_TOOL", bin)
	if p := Need(t, Tool{Name: "some-tool", EnvOnly: true, Env: "SOME_TOOL"}); !strings.HasSuffix(p, "some-tool") {
		t.Errorf("from the env: %q", p)
	}
}
