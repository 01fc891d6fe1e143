//go:build linux && amd64

// Command nsexec stands in for Chaos Mesh's nsexec (chaos-mesh/nsexec, Rust, not buildable here: its crates
// are not reachable) in the e2e harness's chaos-daemon image. chaos-daemon runs every command that must act
// inside a target container through it (pkg/bpm):
//
//	nsexec [-n PATH] [-p PATH] [-i PATH] [-c PATH] -- CMD [ARGS...]
//
// It enters each namespace named by its /proc/<pid>/ns/<type> path (net, pid, ipc, cgroup), starts CMD as a
// child (a pid namespace applies to children only), forwards SIGTERM and SIGINT to it (chaos-daemon recovers
// a stress fault by sending SIGTERM to this process: the child must not outlive it), and exits with the
// child's status. util-linux's nsenter cannot stand in: it does not forward SIGTERM, so stress-ng would
// survive recovery.
//
// Upstream's mount-namespace options (-m, and -l with its LD_PRELOAD library) are refused: Go cannot enter a
// mount namespace from a multi-threaded process, and only IOChaos, HTTPChaos, DNSChaos and JVMChaos send them,
// which the harness does not run.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
)

// namespaces maps each option to the namespace type that setns(2) checks the file against.
var namespaces = map[string]int{
	"-n": syscall.CLONE_NEWNET, "--net": syscall.CLONE_NEWNET,
	"-p": syscall.CLONE_NEWPID, "--pid": syscall.CLONE_NEWPID,
	"-i": syscall.CLONE_NEWIPC, "--ipc": syscall.CLONE_NEWIPC,
	"-c": syscall.CLONE_NEWCGROUP, "--cgroup": syscall.CLONE_NEWCGROUP,
}

// sysSetns is setns(2) on linux/amd64 (the images' platform), which the frozen syscall package does not name.
const sysSetns = 308

type namespace struct {
	path string
	kind int
}

// parse splits the arguments into the namespaces to enter and the command.
func parse(args []string) ([]namespace, []string, error) {
	var nss []namespace
	for len(args) > 0 && args[0] != "--" {
		opt := args[0]
		switch opt {
		case "-m", "--mnt", "-l", "--local":
			return nil, nil, fmt.Errorf("%s (mount namespace) is not supported by this stand-in for Chaos Mesh's nsexec", opt)
		}
		kind, ok := namespaces[opt]
		if !ok {
			return nil, nil, fmt.Errorf("unknown option %q", opt)
		}
		if len(args) < 2 {
			return nil, nil, fmt.Errorf("%s needs a path", opt)
		}
		nss = append(nss, namespace{args[1], kind})
		args = args[2:]
	}
	if len(args) < 2 {
		return nil, nil, errors.New("usage: nsexec [-n|-p|-i|-c PATH]... -- CMD [ARGS...]")
	}
	return nss, args[1:], nil
}

func main() {
	nss, cmdline, err := parse(os.Args[1:])
	if err != nil {
		fail(err)
	}
	// setns applies to the calling thread: keep every namespace switch, and the fork, on this one.
	runtime.LockOSThread()
	for _, ns := range nss {
		if err := enter(ns); err != nil {
			fail(err)
		}
	}
	cmd := exec.Command(cmdline[0], cmdline[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// No Pdeathsig: in a new pid namespace the child's parent is outside it (getppid is 0), and Go's fork
	// then kills the child at once.
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	go func() {
		for s := range signals {
			_ = cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			os.Exit(128 + int(ws.Signal()))
		}
		os.Exit(exit.ExitCode())
	case err != nil:
		fail(err)
	}
}

func enter(ns namespace) error {
	fd, err := syscall.Open(ns.path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", ns.path, err)
	}
	defer syscall.Close(fd)
	if _, _, errno := syscall.RawSyscall(sysSetns, uintptr(fd), uintptr(ns.kind), 0); errno != 0 {
		return fmt.Errorf("setns %s: %w", ns.path, errno)
	}
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "nsexec:", err)
	os.Exit(125)
}
