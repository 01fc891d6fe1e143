// Package cli holds the house rules of chaoslab's command line, on cobra and pflag as kubectl, helm and
// Chaos Mesh's own CLI use them: GNU --flags, help on stdout with the exit-code table of the command, usage
// errors on stderr with exit 1 and a pointer to --help, suggestions for a mistyped command or a flag
// written with one dash, and one error type that carries an exit code (package exitcode).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/exitcode"
)

// Error ends a command with an exit code. When Err is nil the command has already said what it had to.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return exitcode.Name(e.Code)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Exit ends a command with code after it has printed everything itself; Exit(0) is nil.
func Exit(code int) error {
	if code == exitcode.OK {
		return nil
	}
	return &Error{Code: code}
}

// Fail ends a command with code and err, which Execute prints as "chaoslab <command>: err".
func Fail(code int, err error) error { return &Error{Code: code, Err: err} }

// usageError is a mistake in the command line: Execute prints it with a pointer to the command's help.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// Usagef is a usage error (exit 1): a missing or malformed flag or argument.
func Usagef(format string, a ...any) error { return &usageError{fmt.Errorf(format, a...)} }

// Args checks the positional arguments of a command: between min and max of them (max < 0: any number),
// what names them in the message ("one stack file, Pulumi.<stack>.yaml").
func Args(min, max int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= min && (max < 0 || len(args) <= max) {
			return nil
		}
		got := "none"
		if len(args) > 0 {
			got = fmt.Sprintf("%d (%s)", len(args), strings.Join(args, " "))
		}
		return Usagef("expected %s, got %s", what, got)
	}
}

// Configure applies the house rules to a command and all its subcommands, present and future ones included
// (cobra inherits the help and flag-error functions).
func Configure(root *cobra.Command) {
	root.SilenceErrors = true
	root.SilenceUsage = true
	root.SuggestionsMinimumDistance = 2
	root.SetFlagErrorFunc(flagErrorFor(nil))
	root.SetHelpCommand(helpCommand())
	defaultHelp := root.HelpFunc()
	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		defaultHelp(cmd, args)
		fmt.Fprint(cmd.OutOrStdout(), "\n"+exitcode.Help(commandName(cmd)))
	})
}

// helpCommand is `help [command]`: the command's help on stdout, or a usage error for a command that does
// not exist (cobra's own prints a notice and exits 0).
func helpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			root := c.Root()
			target, rest, err := root.Find(args)
			if err != nil || target == nil || len(rest) > 0 {
				hint := ""
				if len(args) > 0 {
					if s := root.SuggestionsFor(args[0]); len(s) > 0 {
						hint = fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
					}
				}
				return Usagef("no help for unknown command %q%s", strings.Join(args, " "), hint)
			}
			// As `target --help` would show it: its help flag is added only when it runs.
			target.InitDefaultHelpFlag()
			target.InitDefaultVersionFlag()
			return target.Help()
		},
	}
}

// commandName is the subcommand under the root ("" for the root itself): the name the exit-code table knows.
func commandName(cmd *cobra.Command) string {
	path := strings.Fields(cmd.CommandPath())
	if len(path) < 2 {
		return ""
	}
	return path[1]
}

var singleDash = regexp.MustCompile(`^-([A-Za-z][A-Za-z0-9-]+)$`)

// flagErrorFor turns pflag's error into a usage error, with a hint when the command line holds a long flag
// written with one dash (pflag reads -help as -h -e -l -p).
func flagErrorFor(args []string) func(*cobra.Command, error) error {
	return func(cmd *cobra.Command, err error) error {
		for _, a := range args {
			m := singleDash.FindStringSubmatch(a)
			if m != nil && (cmd.Flags().Lookup(m[1]) != nil || m[1] == "help") {
				return Usagef("%v: flags are written GNU style, with two dashes: did you mean --%s?", err, m[1])
			}
		}
		return &usageError{err}
	}
}

// Execute runs the command tree on args and returns the exit code. Help goes to stdout; errors go to stderr,
// each once, and a usage error adds where to find the command's help.
func Execute(root *cobra.Command, args []string, stdout, stderr io.Writer) int {
	root.SetArgs(args)
	root.SetFlagErrorFunc(flagErrorFor(args))
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitcode.OK
	}
	if cmd == nil {
		cmd = root
	}
	var coded *Error
	if errors.As(err, &coded) {
		if coded.Err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), coded.Err)
		}
		return coded.Code
	}
	// Anything else comes from cobra or pflag (an unknown command or flag, a bad flag value) or is a usage
	// error of ours: the command line was wrong.
	fmt.Fprintf(stderr, "%s: %v\nRun '%s --help' for usage.\n", cmd.CommandPath(), err, cmd.CommandPath())
	return exitcode.Usage
}

// ExecuteSub runs one subcommand as `chaoslab <sub> args...` would, for packages that give their command's
// function a plain entry point (tests, and code that calls a command in-process).
func ExecuteSub(ctx context.Context, sub *cobra.Command, args []string, stdout, stderr io.Writer) int {
	root := &cobra.Command{Use: "chaoslab"}
	root.AddCommand(sub)
	root.SetContext(ctx)
	Configure(root)
	return Execute(root, append([]string{sub.Name()}, args...), stdout, stderr)
}
