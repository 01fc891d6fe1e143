package experiment

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	kept, err := s.restore(t0)
	must(t, err)
	if kept != "" {
		t.Errorf("kept %s, but nobody else edited the file", kept)
	}
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

func TestRestoreKeepsEditsThatSomeoneElseMadeDuringTheRun(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "Pulumi.dev.yaml")
	must(t, os.WriteFile(cfg, []byte("original\n"), 0o644))
	s, err := lockStackFile(cfg, "dev", runRecord{Stack: "dev"})
	must(t, err)
	defer s.unlock()
	must(t, s.snapshot())
	must(t, os.WriteFile(cfg, []byte("run's edit\n"), 0o644))
	s.noteWritten()
	must(t, os.WriteFile(cfg, []byte("someone's edit\n"), 0o644))
	kept, err := s.restore(time.Date(2026, 3, 2, 10, 5, 0, 0, time.UTC))
	must(t, err)
	if got, _ := os.ReadFile(cfg); string(got) != "original\n" {
		t.Errorf("restored %q", got)
	}
	if want := cfg + ".edited-during-run-20260302T100500Z"; kept != want {
		t.Fatalf("kept %q, want %q", kept, want)
	}
	if got, _ := os.ReadFile(kept); string(got) != "someone's edit\n" {
		t.Errorf("the other edit is lost: %q", got)
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
	if _, err := s.restore(t0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cfg); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the file the run created is still there: %v", err)
	}
}
