// Package testproject gives tests a project directory like a checkout's: a temp directory holding a copy of
// the repository's own Pulumi.yaml, whose config schema every stack file is read with (package stackfile).
package testproject

import (
	"os"
	"path/filepath"
	"testing"
)

// ProjectFile is the repository's Pulumi.yaml, found from the test's working directory up to the module root.
func ProjectFile(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "Pulumi.yaml")
		}
		if filepath.Dir(dir) == dir {
			t.Fatalf("no go.mod above %s", wd)
		}
	}
}

// Dir returns a fresh temp directory holding a copy of the repository's Pulumi.yaml.
func Dir(t testing.TB) string {
	t.Helper()
	project, err := os.ReadFile(ProjectFile(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), project, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// StackFile writes body as the file name (Pulumi.dev.yaml, say) in a fresh Dir and returns its path.
func StackFile(t testing.TB, name, body string) string {
	t.Helper()
	path := filepath.Join(Dir(t), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
