// Command chaoslab is the lab's offline tool: it validates, renders and plans a stack from its stack file,
// exports the dashboards, and judges experiments (report). Each subcommand registers itself from its own file.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
)

// exitCodes is the one exit-code convention of every chaoslab subcommand; each help text ends with it.
const exitCodes = `Exit codes:
  0  success: config valid, no findings, every SLO held (or degraded within tolerance)
  1  usage or setup error: bad flags or arguments, unreadable file, cluster or stack not reachable or not ready
  2  the check failed: config invalid (validate, render, plan), wiring findings (plan), an SLO violated (report, run)
  3  could not judge: data missing, no fault window, Prometheus unreachable (report, run)
`

// The exit codes of the subcommands in this package, as the table above gives them.
const (
	exitOK     = 0
	exitUsage  = 1
	exitFailed = 2
)

// command is one chaoslab subcommand. run returns the process exit code; it prints its own help for -h,
// --help or help <command>.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands is the subcommand registry. Each subcommand registers itself from an init() in its own file.
var commands = map[string]command{}

// register adds a subcommand; registering one name twice is a programming error.
func register(name, summary string, run func(args []string, stdout, stderr io.Writer) int) {
	if _, dup := commands[name]; dup {
		panic("chaoslab: subcommand registered twice: " + name)
	}
	commands[name] = command{summary: summary, run: run}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: chaoslab <command> [arguments]
       chaoslab help <command>    (or chaoslab <command> --help)

The lab's offline tool: it reads a stack's Pulumi.<stack>.yaml with the program's own config parser, so that
what it accepts is exactly what pulumi preview accepts, and it needs neither a cluster nor the Pulumi CLI.

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, `
Example:
  chaoslab validate Pulumi.dev.yaml

`+exitCodes)
}

// run dispatches args (without the program name) and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	case "help":
		if len(args) == 1 {
			usage(stdout)
			return exitOK
		}
		c, ok := commands[args[1]]
		if !ok {
			fmt.Fprintf(stderr, "chaoslab: no help for unknown command %q\n\n", args[1])
			usage(stderr)
			return exitUsage
		}
		return c.run([]string{"--help"}, stdout, stderr)
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "chaoslab: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

// wantsHelp says whether any argument asks for help. It is checked before anything else, so that --help is
// never taken for a file name, wherever it stands.
func wantsHelp(args []string) bool {
	return slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "-help" || a == "--help" })
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
