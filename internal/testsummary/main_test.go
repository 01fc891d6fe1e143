package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/testtool"
)

const module = "example.com/lab"

func stream(events ...event) string {
	var b strings.Builder
	for _, e := range events {
		raw, _ := json.Marshal(e)
		b.Write(append(raw, '\n'))
	}
	return b.String()
}

func out(pkg, test, line string) event {
	return event{Action: "output", Package: module + "/" + pkg, Test: test, Output: line}
}

func ended(action, pkg, test string) event {
	return event{Action: action, Package: module + "/" + pkg, Test: test}
}

func TestSkipsAreListedAndDoNotFail(t *testing.T) {
	promtool := testtool.Message(testtool.Promtool, "the whole test")
	partial := testtool.Message(testtool.Promtool, "promtool check config of the rendered config")
	in := stream(
		out("slo", "TestRules", "=== RUN   TestRules\n"),
		out("slo", "TestRules", "    rules_test.go:12: "+promtool+"\n"),
		out("slo", "TestRules", "--- SKIP: TestRules (0.00s)\n"),
		ended("skip", "slo", "TestRules"),
		out("wiring", "TestLab", "    lab_test.go:70: "+partial+"\n"),
		out("wiring", "TestLab", "--- PASS: TestLab (1.00s)\n"),
		ended("pass", "wiring", "TestLab"),
		out("cmd/x", "TestCharts", "    plan_test.go:23: chart archives not found in \"/nowhere\"\n"),
		out("cmd/x", "TestCharts", "--- SKIP: TestCharts (0.00s)\n"),
		ended("skip", "cmd/x", "TestCharts"),
		out("slo", "", "PASS\n"),
		out("slo", "", "ok  \texample.com/lab/slo\t0.1s\n"),
		ended("pass", "slo", ""),
	)
	var b strings.Builder
	if code := run(strings.NewReader(in), &b, module); code != 0 {
		t.Errorf("exit %d with only skips, want 0", code)
	}
	got := b.String()
	for _, want := range []string{
		"ok  \texample.com/lab/slo\t0.1s\n",
		"skipped: 2 checks need promtool; to run them: apt-get install -y prometheus, then make test\n    slo TestRules\n    wiring TestLab: promtool check config of the rendered config\n",
		"skipped: 1 other test:\n    cmd/x TestCharts: chart archives not found in \"/nowhere\"\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "=== RUN") || strings.Contains(got, "PASS\n\n") {
		t.Errorf("passing and skipped tests' own output should not be printed:\n%s", got)
	}
}

func TestFailuresAreShownAndFail(t *testing.T) {
	in := stream(
		out("report", "TestX", "=== RUN   TestX\n"),
		out("report", "TestX", "    x_test.go:9: got 1, want 2\n"),
		out("report", "TestX", "--- FAIL: TestX (0.00s)\n"),
		ended("fail", "report", "TestX"),
		out("report", "", "FAIL\n"),
		out("report", "", "FAIL\texample.com/lab/report\t0.2s\n"),
		ended("fail", "report", ""),
	)
	var b strings.Builder
	if code := run(strings.NewReader(in), &b, module); code != 1 {
		t.Errorf("exit %d with a failure, want 1", code)
	}
	if got := b.String(); !strings.Contains(got, "got 1, want 2") || !strings.Contains(got, "FAIL\texample.com/lab/report") {
		t.Errorf("output:\n%s", got)
	}

	// A package that does not build fails too.
	b.Reset()
	build := stream(event{Action: "build-output", Output: "report/x.go:3:1: syntax error\n"}, event{Action: "build-fail"})
	if code := run(strings.NewReader(build), &b, module); code != 1 || !strings.Contains(b.String(), "syntax error") {
		t.Errorf("build failure: exit %d, output %q", code, b.String())
	}
}

// Only a testtool message as the testing package logs it counts; the marker quoted in a failure does not.
func TestQuotedMarkerIsNotASkip(t *testing.T) {
	quoted := "    x_test.go:37: got skip message \"" + testtool.Message(testtool.Promtool, "the whole test") + "\"\n"
	in := stream(out("x", "TestX", quoted), ended("fail", "x", "TestX"))
	var b strings.Builder
	run(strings.NewReader(in), &b, module)
	if strings.Contains(b.String(), "skipped:") {
		t.Errorf("a quoted marker was taken for a skip:\n%s", b.String())
	}
}
