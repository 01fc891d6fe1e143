// Package exitcode is the one table of chaoslab's exit codes. Every subcommand returns one of these codes,
// every help text prints the rows that apply to its command, and the docs' tables are generated from Table
// (and tested against it), so that a pipeline can rely on one meaning per number.
package exitcode

import (
	"fmt"
	"slices"
	"strings"
)

// Code is a process exit code of chaoslab.
type Code = int

// The exit codes. Their meanings are in Table.
const (
	OK        Code = 0
	Usage     Code = 1
	Failed    Code = 2
	Unknown   Code = 3
	ChaosLeft Code = 4
	NoStrike  Code = 5
)

// Entry is one row of the table: a code, a short name and what it means, and the subcommands that return it.
type Entry struct {
	Code     Code
	Name     string
	Meaning  string
	Commands []string // empty: every subcommand
}

// Table is every exit code, in order.
var Table = []Entry{
	{OK, "ok", "success: the config is valid, no wiring finding, every SLO held (or degraded within tolerance)", nil},
	{Usage, "usage", "usage or setup error: an unknown command or flag, a missing or malformed argument (such as a URL " +
		"without http://), an unreadable file, a cluster or stack that is not reachable or not ready, a failed update", nil},
	{Failed, "failed", "the check failed: the config is invalid (validate, render, plan, run), the wiring has findings " +
		"(plan), an SLO was violated (report, run)", []string{"validate", "render", "plan", "report", "run"}},
	{Unknown, "unknown", "could not judge: data missing, no fault window, Prometheus unreachable, the run interrupted, " +
		"or its chaos deleted by someone else", []string{"report", "run"}},
	{ChaosLeft, "chaos-left", "chaos left on the cluster: a scenario could not be switched off; what is left and how " +
		"to remove it are printed", []string{"run"}},
	{NoStrike, "no-strike", "a fault did not land: a scenario did not strike within its deadline, or Chaos Mesh failed " +
		"to inject it; its reason from Chaos Mesh's status and events is printed", []string{"run"}},
}

// For returns the rows that apply to a subcommand; "" gives every row.
func For(command string) []Entry {
	var out []Entry
	for _, e := range Table {
		if command == "" || len(e.Commands) == 0 || slices.Contains(e.Commands, command) {
			out = append(out, e)
		}
	}
	return out
}

// Help is the "Exit codes:" block that ends a command's help ("" for the whole table), wrapped to width.
func Help(command string) string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, e := range For(command) {
		lines := wrap(e.Meaning, 96)
		fmt.Fprintf(&b, "  %d  %s\n", e.Code, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "     %s\n", l)
		}
	}
	return b.String()
}

// Markdown is the table as the README and the docs show it.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| code | name | meaning | returned by |\n|---|---|---|---|\n")
	for _, e := range Table {
		by := "every subcommand"
		if len(e.Commands) > 0 {
			by = "`" + strings.Join(e.Commands, "`, `") + "`"
		}
		fmt.Fprintf(&b, "| %d | `%s` | %s | %s |\n", e.Code, e.Name, e.Meaning, by)
	}
	return b.String()
}

// Name is the short name of a code, or "exit N" for a code outside the table.
func Name(code Code) string {
	for _, e := range Table {
		if e.Code == code {
			return e.Name
		}
	}
	return fmt.Sprintf("exit %d", code)
}

// wrap breaks text into lines of at most width characters, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}
