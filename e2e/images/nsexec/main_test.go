//go:build linux && amd64

package main

import (
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestParseWhatChaosDaemonSends(t *testing.T) {
	// As pkg/bpm builds a stress command: the namespaces, then "--", then the command.
	nss, cmd, err := parse([]string{"-p", "/proc/42/ns/pid", "-n", "/proc/42/ns/net", "--", "stress-ng", "--cpu", "1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []namespace{{"/proc/42/ns/pid", syscall.CLONE_NEWPID}, {"/proc/42/ns/net", syscall.CLONE_NEWNET}}
	if !slices.Equal(nss, want) || !slices.Equal(cmd, []string{"stress-ng", "--cpu", "1"}) {
		t.Errorf("got %v %v", nss, cmd)
	}
}

func TestParseRefuses(t *testing.T) {
	for args, want := range map[string]string{
		"-l -m /proc/1/ns/mnt -- cat": "mount namespace",
		"-m /proc/1/ns/mnt -- cat":    "mount namespace",
		"-x /proc/1/ns/net -- cat":    "unknown option",
		"-n":                          "needs a path",
		"-n /proc/1/ns/net --":        "usage",
		"-n /proc/1/ns/net cat":       "unknown option",
	} {
		if _, _, err := parse(strings.Fields(args)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error about %s", args, err, want)
		}
	}
}
