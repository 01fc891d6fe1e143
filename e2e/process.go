//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process is a server that the harness runs beside the simulated cluster (the Chaos Mesh controller,
// Prometheus, the SLO gate). Its output goes to a log file in the cluster's temp dir; the tail of that log is
// printed when the test fails. It is stopped at the test's cleanup, and also when the test binary is
// interrupted, so that no process outlives a run.
type Process struct {
	Name string
	Log  string // path of the captured stdout and stderr

	cmd    *exec.Cmd
	exited chan struct{}
	// stop ends the process: signals first, SIGKILL after a deadline. Run once.
	stopOnce sync.Once
	stopErr  error
	stopFunc func() error
	stopped  bool // Stop was called (by the test, or by the cleanup)
}

// StartProcess starts cmd (its Stdout, Stderr and SysProcAttr are set here) with its output in dir/<name>.log.
// stop ends it gracefully (nil: one SIGTERM, then SIGKILL after 10 s); it must return once the process has
// exited or report why not.
func StartProcess(tb testing.TB, dir, name string, cmd *exec.Cmd, stop func(p *Process) error) *Process {
	tb.Helper()
	p := &Process{Name: name, Log: filepath.Join(dir, name+".log"), cmd: cmd, exited: make(chan struct{})}
	logf, err := os.Create(p.Log)
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group: a Ctrl-C of `go test` reaches it only through the harness's cleanup, which
	// stops it in order (the controller before the cluster it talks to).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		tb.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.exited) }()
	if stop == nil {
		stop = func(p *Process) error { return p.Signal(syscall.SIGTERM, 10*time.Second) }
	}
	p.stopFunc = func() error {
		err := stop(p)
		if p.Running() {
			_ = cmd.Process.Kill()
			<-p.exited
			return errors.Join(err, fmt.Errorf("%s (pid %d) did not stop; killed", name, cmd.Process.Pid))
		}
		return err
	}
	untrack := untilCleanup(func() { _ = p.Stop() })
	tb.Cleanup(func() {
		// A test that stopped the process itself has seen the result.
		if byTest := p.stopped; !byTest {
			if err := p.Stop(); err != nil {
				tb.Error(err)
			}
		}
		untrack()
		if tb.Failed() {
			tb.Logf("==> tail of %s <==\n%s", p.Log, p.Tail(6000))
		}
	})
	return p
}

// Stop ends the process (once) and reports whether it stopped gracefully.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() { p.stopped = true; p.stopErr = p.stopFunc() })
	return p.stopErr
}

// Running reports whether the process has not exited yet.
func (p *Process) Running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Signal sends sig and waits up to d for the process to exit; it reports a process that is still running.
func (p *Process) Signal(sig syscall.Signal, d time.Duration) error {
	if !p.Running() {
		return nil
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
		return nil
	case <-time.After(d):
		return fmt.Errorf("%s still running %s after %v", p.Name, d, sig)
	}
}

// Tail returns the last n bytes of the process's log.
func (p *Process) Tail(n int) string {
	b, err := os.ReadFile(p.Log)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// WaitListening polls until addr accepts TCP connections, the process exits, or d passes.
func (p *Process) WaitListening(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		if !p.Running() {
			return fmt.Errorf("%s exited before listening on %s:\n%s", p.Name, addr, p.Tail(4000))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening on %s after %s: %v", p.Name, addr, d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freeLoopbackAddr returns 127.0.0.1:<port> with a port that was free a moment ago.
func freeLoopbackAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
