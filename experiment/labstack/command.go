package labstack

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// groupCommand runs the Pulumi CLI in its own process group. A Ctrl-C in the terminal goes to the whole
// foreground group; if it reached the CLI too, it would cancel the update that switches the scenarios off.
// In its own group the CLI hears only chaoslab, which lets an update finish and decides what comes next.
type groupCommand struct {
	path    string
	version semver.Version
}

// newCommand finds the pulumi CLI on PATH and checks its version as the Automation API does.
func newCommand() (auto.PulumiCommand, error) {
	checked, err := auto.NewPulumiCommand(nil)
	if err != nil {
		return nil, err
	}
	path, err := exec.LookPath("pulumi")
	if err != nil {
		return nil, err
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return groupCommand{path: path, version: checked.Version()}, nil
}

func (c groupCommand) Version() semver.Version { return c.version }

// Run runs one CLI command non-interactively. Cancelling ctx interrupts it as a Ctrl-C would (the CLI then
// stops cleanly), and kills it only if it has not ended a minute later.
func (c groupCommand) Run(ctx context.Context, workdir string, stdin io.Reader, additionalOutput, additionalErrorOutput []io.Writer,
	additionalEnv []string, args ...string,
) (string, string, int, error) {
	if !hasFlag(args, "--non-interactive") {
		args = append([]string{"--non-interactive"}, args...)
	}
	cmd := exec.CommandContext(ctx, c.path, args...)
	cmd.Dir = workdir
	cmd.Env = append(append(os.Environ(), additionalEnv...), "PULUMI_AUTOMATION_API=true",
		// Plugins installed beside the CLI (a pinned toolchain) come first.
		"PATH="+filepath.Dir(c.path)+string(os.PathListSeparator)+os.Getenv("PATH"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout = io.MultiWriter(append(additionalOutput, &stdout)...)
	cmd.Stderr = io.MultiWriter(append(additionalErrorOutput, &stderr)...)
	cmd.Stdin = stdin
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	err := cmd.Run()
	code := -2
	var exit *exec.ExitError
	switch {
	case err == nil:
		code = 0
	case errors.As(err, &exit):
		code = exit.ExitCode()
	}
	return stdout.String(), stderr.String(), code, err
}

// hasFlag reports whether args (before a "--") hold flag.
func hasFlag(args []string, flag string) bool {
	if end := slices.Index(args, "--"); end >= 0 {
		args = args[:end]
	}
	return slices.ContainsFunc(args, func(a string) bool { return a == flag || strings.HasPrefix(a, flag+"=") })
}
