// Package testtool finds the external programs that some tests need (promtool, a Prometheus server, the
// collector config validator). When one is missing the test is skipped, or the part of it that needs the
// program is, with a message that names the program and how to install it, in one format: `make test` reads
// them from `go test -json` (cmd/testsummary) and lists at the end which checks did not run and how to run them.
// In CI (CI=true) a missing program fails the test instead, since CI installs them.
package testtool

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// toolsList is tools.txt: the programs that tests require in CI, which .ci/run reads too.
//
//go:embed tools.txt
var toolsList string

// Listed is one line of tools.txt.
type Listed struct {
	Name   string
	Source string // apt:<Debian package> or built:<make target>
	What   string
}

// Required is every program of tools.txt, in its order.
func Required() []Listed {
	var out []Listed
	for _, line := range strings.Split(toolsList, "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.SplitN(line, "\t", 3)
		for len(fields) < 3 {
			fields = append(fields, "")
		}
		out = append(out, Listed{Name: fields[0], Source: fields[1], What: fields[2]})
	}
	return out
}

// All are the tools that this package knows.
var All = []Tool{Promtool, Prometheus, OtelcolValidate}

// Tool is an external program that tests use.
type Tool struct {
	Name string
	// Env, when set in the environment, is the program's path; otherwise it is looked up in PATH.
	Env string
	// Install says how to get it and run what needs it (no ": " in it: it is a field of Message).
	Install string
	// EnvOnly tools are never looked up in PATH: they are built for the tests, and only Env finds them.
	EnvOnly bool
	// RequiredWith names an environment variable that makes the tool required in CI; empty: CI=true alone.
	RequiredWith string
}

// The tools that the unit tests use.
var (
	Promtool = Tool{Name: "promtool", Env: "PROMTOOL", Install: "apt-get install -y prometheus, then make test"}
	// Prometheus is a real server that PromQL tests scrape a synthetic exporter with.
	Prometheus = Tool{Name: "prometheus", Env: "PROMETHEUS_BIN", Install: "apt-get install -y prometheus, then make test"}
	// OtelcolValidate is a collector built with exactly the lab's components, which loads the rendered config.
	OtelcolValidate = Tool{Name: "otelcol-validate", Env: "OTELCOL_VALIDATE", Install: "make e2e-otelcol-validate (builds it and runs them)",
		EnvOnly: true, RequiredWith: "E2E_TOOLS_BIN"}
)

// Marker starts every message about a check that did not run for want of a tool; the rest of the line is
// "<tool>: <install>: <what did not run>".
const Marker = "testtool: skipped for want of "

// Find returns the tool's path, or false.
func Find(tool Tool) (string, bool) {
	if tool.Env != "" {
		if p := os.Getenv(tool.Env); p != "" {
			return p, true
		}
	}
	if tool.EnvOnly {
		return "", false
	}
	p, err := exec.LookPath(tool.Name)
	return p, err == nil
}

// required says whether a missing tool fails the test: in CI, and with RequiredWith set, only where that is set.
func (tool Tool) required() bool {
	if os.Getenv("CI") != "true" {
		return false
	}
	return tool.RequiredWith == "" || os.Getenv(tool.RequiredWith) != ""
}

// Message is the line that records that what did not run for want of the tool.
func Message(tool Tool, what string) string {
	return fmt.Sprintf("%s%s: %s: %s", Marker, tool.Name, tool.Install, what)
}

// Need returns the tool's path, or skips the test (fails it where the tool is required).
func Need(t testing.TB, tool Tool) string {
	t.Helper()
	p, ok := Find(tool)
	if ok {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s: %v", tool.Name, err)
		}
		return p
	}
	if tool.required() {
		t.Fatalf("%s is required in CI and was not found (%s)", tool.Name, tool.Install)
		return ""
	}
	t.Skip(Message(tool, "the whole test"))
	return ""
}

// Want returns the tool's path, or logs that the part of the test that needs it (what) did not run and
// returns false, so that the rest of the test still runs. Where the tool is required, its absence fails.
func Want(t testing.TB, tool Tool, what string) (string, bool) {
	t.Helper()
	p, ok := Find(tool)
	if ok {
		return p, true
	}
	if tool.required() {
		t.Fatalf("%s is required in CI and was not found (%s)", tool.Name, tool.Install)
		return "", false
	}
	t.Log(Message(tool, what))
	return "", false
}
