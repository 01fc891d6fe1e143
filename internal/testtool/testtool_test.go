package testtool

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
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

// lookedUp finds the programs that the repository's Go code looks up on PATH, and the tools this package
// declares: every one must be in tools.txt, which .ci/run installs from, and every listed one must be used.
var lookedUp = regexp.MustCompile(`exec\.LookPath\("([^"]+)"\)`)

// isTestCode says whether a Go file is test code: a _test.go file, the e2e harness, or a test helper
// package (promtest, testtool). The product's own lookups (the pulumi CLI for chaoslab run) are not CI's.
func isTestCode(root, path string) bool {
	rel, _ := filepath.Rel(root, path)
	return strings.HasSuffix(path, ".go") && (strings.HasSuffix(path, "_test.go") || strings.HasPrefix(rel, "e2e"+string(filepath.Separator)) ||
		strings.Contains(filepath.Base(filepath.Dir(path)), "test"))
}

func TestRequiredListMatchesTheTests(t *testing.T) {
	listed := map[string]Listed{}
	for _, l := range Required() {
		if l.Name == "" || !(strings.HasPrefix(l.Source, "apt:") || strings.HasPrefix(l.Source, "built:")) || l.What == "" {
			t.Errorf("tools.txt: malformed line %+v: want name, apt:<package> or built:<target>, and what needs it", l)
		}
		if _, dup := listed[l.Name]; dup {
			t.Errorf("tools.txt lists %s twice", l.Name)
		}
		listed[l.Name] = l
	}
	used := map[string]string{}
	for _, tool := range All {
		used[tool.Name] = "internal/testtool"
		if l, ok := listed[tool.Name]; ok && strings.HasPrefix(l.Source, "apt:") && !strings.Contains(tool.Install, strings.TrimPrefix(l.Source, "apt:")) {
			t.Errorf("%s: its install hint %q does not name the package that .ci/run installs, %s", tool.Name, tool.Install, l.Source)
		}
	}
	root := "../.."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || path == filepath.Join(root, "e2e", "tools")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !isTestCode(root, path) {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range lookedUp.FindAllStringSubmatch(string(raw), -1) {
			used[m[1]] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, where := range used {
		if _, ok := listed[name]; !ok {
			t.Errorf("%s looks up %s, which tools.txt does not list: CI would not install it", where, name)
		}
	}
	for name := range listed {
		if _, ok := used[name]; !ok {
			t.Errorf("tools.txt lists %s, which no code looks up", name)
		}
	}
}
