// Command testsummary reads `go test -json` on stdin, prints what `go test` would (each package's result, the
// output of failed tests, build errors), and ends with the checks that did not run for want of a tool (see
// internal/testtool) and any other skipped test, with how to run them. It exits 1 when anything failed, 0
// otherwise: a skip is not a failure, but it is never silent. `make test` pipes `go test -json ./...` into it.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/testtool"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// toolSkips are the checks that one missing tool kept from running.
type toolSkips struct {
	install string
	checks  []string
}

type summary struct {
	out    io.Writer
	module string // trimmed from package paths
	failed bool
	// output buffers each running test's lines, by package and test, until it ends.
	output map[string][]string
	// marked are the tests that logged a testtool message.
	marked     map[string]bool
	byTool     map[string]*toolSkips
	toolOrder  []string
	otherSkips []string
}

func newSummary(out io.Writer, module string) *summary {
	return &summary{out: out, module: module, output: map[string][]string{}, marked: map[string]bool{}, byTool: map[string]*toolSkips{}}
}

func (s *summary) pkg(p string) string {
	if s.module != "" && p != s.module {
		return strings.TrimPrefix(p, s.module+"/")
	}
	return p
}

func (s *summary) handle(e event) {
	key := e.Package + " " + e.Test
	switch e.Action {
	case "build-output":
		fmt.Fprint(s.out, e.Output)
	case "build-fail":
		s.failed = true
	case "output":
		if e.Test == "" {
			if e.Output != "PASS\n" && !strings.HasPrefix(e.Output, "=== ") {
				fmt.Fprint(s.out, e.Output)
			}
			return
		}
		s.output[key] = append(s.output[key], e.Output)
		s.noteMissingTool(e)
	case "fail":
		s.failed = true
		if e.Test != "" {
			fmt.Fprint(s.out, strings.Join(s.output[key], ""))
		}
		delete(s.output, key)
	case "skip":
		if e.Test != "" && !s.marked[key] {
			s.otherSkips = append(s.otherSkips, fmt.Sprintf("%s %s: %s", s.pkg(e.Package), e.Test, skipReason(s.output[key])))
		}
		delete(s.output, key)
	case "pass":
		delete(s.output, key)
	}
}

// toolMessage is a testtool message as the testing package prints it: "    file_test.go:12: <marker>...".
var toolMessage = regexp.MustCompile(`^\s*[\w.-]+\.go:\d+: ` + regexp.QuoteMeta(testtool.Marker) + `(.*)$`)

// noteMissingTool records a testtool message: "<tool>: <install>: <what did not run>".
func (s *summary) noteMissingTool(e event) {
	m := toolMessage.FindStringSubmatch(strings.TrimRight(e.Output, "\n"))
	if m == nil {
		return
	}
	parts := strings.SplitN(strings.TrimSpace(m[1]), ": ", 3)
	if len(parts) < 3 {
		return
	}
	tool, install, what := parts[0], parts[1], parts[2]
	s.marked[e.Package+" "+e.Test] = true
	ts, ok := s.byTool[tool]
	if !ok {
		ts = &toolSkips{install: install}
		s.byTool[tool] = ts
		s.toolOrder = append(s.toolOrder, tool)
	}
	check := s.pkg(e.Package) + " " + e.Test
	if what != "the whole test" {
		check += ": " + what
	}
	if !slices.Contains(ts.checks, check) {
		ts.checks = append(ts.checks, check)
	}
}

// skipReason is the message of a t.Skip: the test's last line of its own output.
func skipReason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "---") || strings.HasPrefix(l, "===") {
			continue
		}
		// "file_test.go:33: message"
		if i := strings.Index(l, ".go:"); i >= 0 {
			if _, msg, ok := strings.Cut(l[i:], ": "); ok {
				return msg
			}
		}
		return l
	}
	return "skipped"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// report prints the skipped checks, grouped by the tool that would run them.
func (s *summary) report() {
	for _, tool := range s.toolOrder {
		ts := s.byTool[tool]
		fmt.Fprintf(s.out, "skipped: %s %s; to run them: %s\n", plural(len(ts.checks), "check needs", "checks need"), tool, ts.install)
		for _, c := range ts.checks {
			fmt.Fprintf(s.out, "    %s\n", c)
		}
	}
	if len(s.otherSkips) > 0 {
		fmt.Fprintf(s.out, "skipped: %s:\n", plural(len(s.otherSkips), "other test", "other tests"))
		for _, c := range s.otherSkips {
			fmt.Fprintf(s.out, "    %s\n", c)
		}
	}
}

func run(in io.Reader, out io.Writer, module string) int {
	s := newSummary(out, module)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			fmt.Fprintln(out, sc.Text()) // not an event: pass it on
			continue
		}
		s.handle(e)
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(out, "testsummary: reading go test -json: %v\n", err)
		return 1
	}
	s.report()
	if s.failed {
		return 1
	}
	return 0
}

func main() {
	module := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		module = info.Main.Path
	}
	os.Exit(run(os.Stdin, os.Stdout, module))
}
