package experiment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// stackFile guards the user's Pulumi.<stack>.yaml during a run. One run at a time holds its lock (an flock,
// which the kernel releases when the process dies, so a crash never leaves a stale lock); the lock is taken
// before the file is read, so a second run can never take, and later restore, a copy that holds the first
// run's edits. Before the first edit the run writes a journal: the original bytes and the scenarios it
// switches on. The journal is removed only when the scenarios are off again and the file is restored, so a
// run that was killed is found by the next one.
type stackFile struct {
	path     string // Pulumi.<stack>.yaml
	lock     *os.File
	lockPath string
	journal  string // path of the journal

	original []byte      // the file as it was; nil when it did not exist
	mode     fs.FileMode // its permissions
	written  []byte      // the file after the run's own last edit, to notice edits made by someone else
}

// runRecord is what the lock file and the journal say about a run.
type runRecord struct {
	Stack      string    `json:"stack"`
	PID        int       `json:"pid"`
	Host       string    `json:"host"`
	Started    time.Time `json:"started"`
	Scenarios  []string  `json:"scenarios"`
	ConfigFile string    `json:"configFile,omitempty"`
	Existed    bool      `json:"existed,omitempty"`
	Mode       uint32    `json:"mode,omitempty"`
	Original   []byte    `json:"original,omitempty"` // base64 in JSON; the file's bytes, secrets as the file holds them
	// Written is the file as the run's switch-on left it: a recovery restores Original byte for byte only
	// when the file still is exactly that; otherwise someone edited it, and only the run's keys are reverted.
	Written []byte `json:"written,omitempty"`
	// Switched are the run's keys with their values before it (see Switch).
	Switched []Switch `json:"switched,omitempty"`
}

func (r runRecord) String() string {
	return fmt.Sprintf("pid %d on %s, started %s, scenarios %s", r.PID, r.Host, r.Started.UTC().Format(time.RFC3339),
		strings.Join(r.Scenarios, ", "))
}

// errBusy is returned by lockStackFile when another run holds the lock.
type errBusy struct {
	holder   runRecord
	lockPath string
}

func (e *errBusy) Error() string {
	who := "another chaoslab run"
	if e.holder.PID != 0 {
		who += " (" + e.holder.String() + ")"
	}
	return fmt.Sprintf("%s is in progress on stack %s; wait for it to finish (lock %s)", who, e.holder.Stack, e.lockPath)
}

// stateDir is where a stack file's lock and journal live: .chaoslab/ beside it.
func stateDir(configFile string) string { return filepath.Join(filepath.Dir(configFile), ".chaoslab") }

// journalExists says whether a run on the stack left its journal beside the config file: it did not finish.
func journalExists(configFile, stack string) bool {
	_, err := os.Stat(filepath.Join(stateDir(configFile), "run-"+safeName(stack)+".journal.json"))
	return err == nil
}

// lockStackFile takes the run lock of the stack's config file, or returns *errBusy.
func lockStackFile(configFile, stack string, me runRecord) (*stackFile, error) {
	dir := stateDir(configFile)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s := &stackFile{
		path:     configFile,
		lockPath: filepath.Join(dir, "run-"+safeName(stack)+".lock"),
		journal:  filepath.Join(dir, "run-"+safeName(stack)+".journal.json"),
	}
	f, err := os.OpenFile(s.lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			busy := &errBusy{lockPath: s.lockPath, holder: runRecord{Stack: stack}}
			if raw, rerr := os.ReadFile(s.lockPath); rerr == nil {
				_ = json.Unmarshal(raw, &busy.holder)
			}
			return nil, busy
		}
		return nil, fmt.Errorf("lock %s: %w", s.lockPath, err)
	}
	s.lock = f
	raw, _ := json.Marshal(me)
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(raw, 0)
	}
	return s, nil
}

// unlock releases the run lock.
func (s *stackFile) unlock() {
	if s.lock != nil {
		_ = s.lock.Truncate(0)
		_ = s.lock.Close() // closing the descriptor releases the flock
		s.lock = nil
	}
}

// unfinished returns the journal of a run that did not finish, if there is one.
func (s *stackFile) unfinished() (*runRecord, error) {
	raw, err := os.ReadFile(s.journal)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r runRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("journal %s: %w", s.journal, err)
	}
	return &r, nil
}

// snapshot reads the file as it is now: what restore writes back.
func (s *stackFile) snapshot() error {
	st, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		s.original, s.mode = nil, 0o644
		return nil
	}
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(s.path)
	if err != nil {
		return err
	}
	s.original, s.mode = raw, st.Mode().Perm()
	return nil
}

// adopt takes the original, and the run's own edit, from an unfinished run's journal (for --recover).
func (s *stackFile) adopt(r *runRecord) {
	s.original, s.mode = nil, fs.FileMode(r.Mode)
	if r.Existed {
		s.original = append([]byte{}, r.Original...)
	}
	s.written = append([]byte(nil), r.Written...)
	if len(r.Written) == 0 {
		s.written = nil
	}
	if s.mode == 0 {
		s.mode = 0o644
	}
}

// begin writes the journal (synced to disk) before the run's first edit.
func (s *stackFile) begin(me runRecord) error {
	me.ConfigFile, me.Existed, me.Mode, me.Original = s.path, s.original != nil, uint32(s.mode), s.original
	raw, err := json.MarshalIndent(me, "", "  ")
	if err != nil {
		return err
	}
	return writeFileSynced(s.journal, raw, 0o600)
}

// noteWritten remembers the file as the run's own edit left it.
func (s *stackFile) noteWritten() {
	if raw, err := os.ReadFile(s.path); err == nil {
		s.written = raw
	}
}

// editedByOthers says whether the file holds edits that are neither the user's original nor the run's own:
// someone edited it during the run (or after a killed run), and only the run's keys may be reverted.
func (s *stackFile) editedByOthers() bool {
	if s.written == nil {
		return false
	}
	current, err := os.ReadFile(s.path)
	if err != nil {
		return s.original != nil // the file was removed by someone
	}
	return !bytes.Equal(current, s.written) && !bytes.Equal(current, s.original)
}

// recordWritten adds the file as the run's switch-on left it to the journal, so that a recovery can tell a
// person's edits from the run's.
func (s *stackFile) recordWritten() error {
	raw, err := os.ReadFile(s.journal)
	if err != nil {
		return err
	}
	var rec runRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return err
	}
	rec.Written = s.written
	out, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return writeFileSynced(s.journal, out, 0o600)
}

// restore puts the original bytes back (or removes the file if there was none). The caller has made sure
// that nobody else edited the file (editedByOthers): those edits are never overwritten.
func (s *stackFile) restore() error {
	current, rerr := os.ReadFile(s.path)
	exists := rerr == nil
	if s.original == nil {
		if exists {
			return os.Remove(s.path)
		}
		return nil
	}
	if exists && bytes.Equal(current, s.original) {
		return nil
	}
	return writeFileSynced(s.path, s.original, s.mode)
}

// end removes the journal: the run left nothing to recover.
func (s *stackFile) end() error {
	if err := os.Remove(s.journal); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// writeFileSynced replaces path atomically: a temp file in the same directory, synced, then renamed over it.
func writeFileSynced(path string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
