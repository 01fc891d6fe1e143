package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/exitcode"
)

// Every subcommand explains itself on stdout, the same way whichever form of help is asked for, ends with
// the exit codes it can return (from the one table), and --help is never taken for a file name.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, path := range [][]string{{"validate"}, {"render"}, {"plan"}, {"dashboards", "export"}, {"report"}, {"run"}, {"version"}} {
		name := strings.Join(path, " ")
		forms := [][]string{append(path, "-h"), append(path, "--help"), append([]string{"help"}, path...), append(path, "Pulumi.dev.yaml", "--help")}
		var first string
		for _, args := range forms {
			code, out, errOut := runCLI(args...)
			if code != 0 || errOut != "" {
				t.Errorf("%v: exit %d, stderr %q; want 0 and help on stdout", args, code, errOut)
			}
			for _, want := range []string{"Usage:\n  chaoslab " + name, "Examples:\n  chaoslab " + name, exitcode.Help(path[0])} {
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
	if code != 0 || !strings.Contains(out, exitcode.Help("")) || !strings.Contains(out, "plan") || !strings.Contains(out, "completion") {
		t.Errorf("chaoslab --help: exit %d\n%s", code, out)
	}
}

// The exit codes that each command's help lists are those it can return, and no others.
func TestHelpListsTheCommandsExitCodes(t *testing.T) {
	_, validate, _ := runCLI("validate", "--help")
	_, run, _ := runCLI("run", "--help")
	for _, e := range exitcode.Table {
		line := func(help string) bool { return strings.Contains(help, "\n  "+strconv.Itoa(e.Code)+"  ") }
		if !line(run) {
			t.Errorf("run's help lacks code %d", e.Code)
		}
		if want := e.Code <= exitcode.Failed; line(validate) != want {
			t.Errorf("validate's help lists code %d: %v, want %v", e.Code, line(validate), want)
		}
	}
}

// A usage error says what was wrong and where the help is, on stderr, and exits 1.
func TestUsageErrorsExit1(t *testing.T) {
	for args, want := range map[string]string{
		"validate":                                   "expected one stack file, Pulumi.<stack>.yaml, got none",
		"render a.yaml b.yaml":                       "expected one stack file, Pulumi.<stack>.yaml, got 2 (a.yaml b.yaml)",
		"validate --json f":                          "unknown flag: --json",
		"validate --strict a.yaml":                   "unknown flag: --strict",
		"plan --nope a.yaml":                         "unknown flag: --nope",
		"dashboards":                                 "expected a subcommand: export DIR",
		"dashboards import x":                        `unknown subcommand "import"`,
		"dashboards export":                          "expected one output directory, got none",
		"validate -help":                             "with two dashes: did you mean --help?",
		"report -prometheus http://x":                "did you mean --prometheus?",
		"valdate x":                                  "Did you mean this?\n\tvalidate",
		"help frobnicate":                            `no help for unknown command "frobnicate"`,
		"report --prometheus localhost:9090 --out x": `--prometheus "localhost:9090": expected an absolute http(s) URL, such as http://localhost:9090`,
		"run --stack dev --scenario x --prometheus 9090": `expected an absolute http(s) URL`,
		"": "a command is required",
	} {
		code, out, errOut := runCLI(strings.Fields(args)...)
		if code != exitcode.Usage || out != "" || !strings.Contains(errOut, want) || !strings.Contains(errOut, "--help' for usage.") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 1, %q and where the help is", args, code, out, errOut, want)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, errOut := runCLI("version")
	if code != 0 || errOut != "" || !strings.HasPrefix(out, "chaoslab ") || !strings.Contains(out, "chaos-mesh") || !strings.Contains(out, "2.8.3") {
		t.Errorf("version: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runCLI("--version"); code != 0 || !strings.HasPrefix(out, "chaoslab version ") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
}

// cobra's completion scripts come with the command tree, subcommands and flags included.
func TestShellCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, errOut := runCLI("completion", shell)
		if code != 0 || errOut != "" || len(out) < 500 {
			t.Errorf("completion %s: exit %d, %d bytes, stderr %q", shell, code, len(out), errOut)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"__complete", "va"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "validate") {
		t.Errorf("completing va: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"__complete", "report", "--prom"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "--prometheus") {
		t.Errorf("completing report --prom: exit %d, %q", code, out.String())
	}
}
