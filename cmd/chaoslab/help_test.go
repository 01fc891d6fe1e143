package main

import (
	"strings"
	"testing"
)

// Every subcommand of this package explains itself, the same way whichever form of help is asked for, and
// --help is never taken as a file name.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, name := range []string{"validate", "render", "plan", "dashboards"} {
		forms := [][]string{{name, "-h"}, {name, "--help"}, {name, "-help"}, {"help", name}, {name, "Pulumi.dev.yaml", "--help"}}
		var first string
		for _, args := range forms {
			code, out, errOut := runCLI(args...)
			if code != 0 || errOut != "" {
				t.Errorf("%v: exit %d, stderr %q; want 0 and help on stdout", args, code, errOut)
			}
			for _, want := range []string{"usage: chaoslab " + name, "Example:\n  chaoslab " + name, "Exit codes:",
				"0  success", "1  usage or setup error", "2  the check failed", "3  could not judge"} {
				if !strings.Contains(out, want) {
					t.Errorf("%v: help lacks %q:\n%s", args, want, out)
				}
			}
			if first == "" {
				first = out
			} else if out != first {
				t.Errorf("%v: the help differs from %v's", args, forms[0])
			}
		}
	}
	code, out, _ := runCLI("--help")
	if code != 0 || !strings.Contains(out, "Exit codes:") || !strings.Contains(out, "plan") {
		t.Errorf("chaoslab --help: exit %d\n%s", code, out)
	}
	if code, _, errOut := runCLI("help", "frobnicate"); code != 1 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("help on an unknown command: exit %d, %s", code, errOut)
	}
}

// A usage error prints what was wrong and the help, on stderr, and exits 1.
func TestUsageErrorsExit1(t *testing.T) {
	for _, args := range [][]string{{"validate"}, {"render", "a.yaml", "b.yaml"}, {"validate", "--strict", "a.yaml"}, {"plan"}, {"plan", "--nope", "a.yaml"}, {"dashboards"}} {
		code, out, errOut := runCLI(args...)
		if code != 1 || out != "" || !strings.Contains(errOut, "usage: chaoslab") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 1 and the usage on stderr", args, code, out, errOut)
		}
	}
}
