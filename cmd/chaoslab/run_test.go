package main

import (
	"strings"
	"testing"
)

func TestRunIsInTheTreeWithItsHelp(t *testing.T) {
	code, out, errOut := runCLI("run", "--help")
	if code != 0 || errOut != "" || !strings.Contains(out, "Usage:\n  chaoslab run --stack NAME --scenario NAME") || !strings.Contains(out, "Exit codes:") {
		t.Errorf("chaoslab run --help: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runCLI("run", "--scenario", "checkout-pod-kill"); code != 1 || !strings.Contains(errOut, "--stack is required") {
		t.Errorf("chaoslab run without --stack: exit %d, %s", code, errOut)
	}
}
