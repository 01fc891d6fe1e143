package main

import (
	"strings"
	"testing"
)

func TestReportRegistered(t *testing.T) {
	t.Setenv("PROMETHEUS_URL", "")
	var out, errb strings.Builder
	if code := run([]string{"report", "--out", t.TempDir()}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--prometheus is required") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	out.Reset()
	run([]string{"help"}, &out, &errb)
	if !strings.Contains(out.String(), "report") {
		t.Errorf("help lacks report: %s", out.String())
	}
}
