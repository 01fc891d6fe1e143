package main

import (
	"strings"
	"testing"
)

func TestRunIsRegisteredWithItsHelp(t *testing.T) {
	if _, ok := commands["run"]; !ok {
		t.Fatal("subcommand run not registered")
	}
	code, _, errOut := runCLI("run", "--help")
	if code != 0 || !strings.Contains(errOut, "usage: chaoslab run --stack NAME --scenario NAME") || !strings.Contains(errOut, "exit codes:") {
		t.Errorf("chaoslab run --help: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := runCLI("run", "--scenario", "checkout-pod-kill"); code != 1 || !strings.Contains(errOut, "--stack is required") {
		t.Errorf("chaoslab run without --stack: exit %d, %s", code, errOut)
	}
}
