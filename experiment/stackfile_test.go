package experiment

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTheRunLockIsExclusiveAndSaysWhoHoldsIt(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "Pulumi.dev.yaml")
	first, err := lockStackFile(cfg, "dev", runRecord{Stack: "dev", PID: 4242, Host: "ci-runner", Started: t0, Scenarios: []string{"checkout-pod-kill"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = lockStackFile(cfg, "dev", runRecord{Stack: "dev", PID: 1})
	var busy *errBusy
	if !errors.As(err, &busy) {
		t.Fatalf("a second lock: %v, want errBusy", err)
	}
	for _, want := range []string{"another chaoslab run (pid 4242 on ci-runner, started 2026-03-02T10:00:00Z, scenarios checkout-pod-kill)",
		"is in progress on stack dev", filepath.Join(dir, ".chaoslab", "run-dev.lock")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if other, err := lockStackFile(cfg, "prod", runRecord{Stack: "prod"}); err != nil {
		t.Errorf("another stack's lock is independent: %v", err)
	} else {
		other.unlock()
	}
	first.unlock()
	again, err := lockStackFile(cfg, "dev", runRecord{Stack: "dev"})
	if err != nil {
		t.Fatalf("the lock is not free after unlock: %v", err)
	}
	again.unlock()
}

func TestRestoreGivesBackTheExactBytesAndMode(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "Pulumi.dev.yaml")
	original := []byte("config:\n  # a comment\n  chaos-mesh-otel:grafanaAdminPassword:\n    secure: v1:abc==\n") // no trailing blank line
	must(t, os.WriteFile(cfg, original, 0o600))
	s, err := lockStackFile(cfg, "dev", runRecord{Stack: "dev"})
	must(t, err)
	defer s.unlock()
	must(t, s.snapshot())
	must(t, s.begin(runRecord{Stack: "dev", Scenarios: []string{"x"}}))
	must(t, os.WriteFile(cfg, []byte("config:\n  chaos-mesh-otel:scenarios:\n    x: {enabled: true}\n"), 0o644))
	s.noteWritten()
	must(t, s.restore())
	got, _ := os.ReadFile(cfg)
	st, _ := os.Stat(cfg)
	if string(got) != string(original) || st.Mode().Perm() != 0o600 {
		t.Errorf("restored %q mode %v, want %q mode 0600", got, st.Mode().Perm(), original)
	}

	// The journal holds the original, for a run that is killed before it restores.
	rec, err := s.unfinished()
	if err != nil || rec == nil || string(rec.Original) != string(original) || !rec.Existed {
		t.Fatalf("journal %+v (%v)", rec, err)
	}
	must(t, s.end())
	if rec, err := s.unfinished(); rec != nil || err != nil {
		t.Errorf("journal still there after end: %+v %v", rec, err)
	}
}

// Edits that are neither the user's original nor the run's own are someone else's: the run must keep them.
func TestEditsOfSomeoneElseAreTold(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "Pulumi.dev.yaml")
	must(t, os.WriteFile(cfg, []byte("original\n"), 0o644))
	s, err := lockStackFile(cfg, "dev", runRecord{Stack: "dev"})
	must(t, err)
	defer s.unlock()
	must(t, s.snapshot())
	if s.editedByOthers() {
		t.Error("before the run's edit, nothing is someone else's")
	}
	must(t, os.WriteFile(cfg, []byte("run's edit\n"), 0o644))
	s.noteWritten()
	if s.editedByOthers() {
		t.Error("the run's own edit is not someone else's")
	}
	must(t, os.WriteFile(cfg, []byte("original\n"), 0o644))
	if s.editedByOthers() {
		t.Error("the original is not someone else's edit")
	}
	must(t, os.WriteFile(cfg, []byte("someone's edit\n"), 0o644))
	if !s.editedByOthers() {
		t.Error("someone's edit was not told")
	}
	// The journal keeps the run's edit, so that a recovery in another process can tell the same.
	must(t, s.begin(runRecord{Stack: "dev"}))
	must(t, os.WriteFile(cfg, []byte("run's edit\n"), 0o644))
	s.noteWritten()
	must(t, s.recordWritten())
	rec, err := s.unfinished()
	must(t, err)
	if string(rec.Written) != "run's edit\n" || string(rec.Original) != "original\n" {
		t.Errorf("journal: written %q, original %q", rec.Written, rec.Original)
	}
	other := &stackFile{path: cfg}
	other.adopt(rec)
	must(t, os.WriteFile(cfg, []byte("someone's edit after a crash\n"), 0o644))
	if !other.editedByOthers() {
		t.Error("a recovery must see the edits made after the crash")
	}
}

func TestRestoreRemovesAFileThatDidNotExist(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "Pulumi.new.yaml")
	s, err := lockStackFile(cfg, "new", runRecord{Stack: "new"})
	must(t, err)
	defer s.unlock()
	must(t, s.snapshot())
	must(t, os.WriteFile(cfg, []byte("config: {}\n"), 0o644))
	if err := s.restore(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cfg); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the file the run created is still there: %v", err)
	}
}
