package experiment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/utils/clock"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/cli"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

// Summary is the one-line description of `chaoslab run` in chaoslab's command list.
const Summary = "run scenarios on a live lab end to end: switch on, watch, switch off, judge"

// Options are the flags of `chaoslab run`.
type Options struct {
	Stack      string
	Scenarios  []string
	For        time.Duration // the longest the experiment runs; a Schedule runs this long
	Runs       int           // runs of each Schedule to wait for
	After      time.Duration // recovery watched after the last fault before judging
	OutDir     string
	Prometheus string // base URL; empty: a port-forward to the lab's Prometheus
	Dir        string // the Pulumi project directory (holding Pulumi.yaml)
	Recover    bool   // finish an interrupted run: switch its scenarios off and restore the config
	// StrikeWithin bounds the time from the end of the switch-on to each scenario's first injection; 0: its
	// first run (at once, or one interval for a Schedule without kick-off) plus strikeMargin.
	StrikeWithin time.Duration
	JUnit        string // the JUnit XML file of the verdicts, for CI systems; empty: none
	// OTLP is where the experiment's trace goes (host:port, OTLP over gRPC); empty: the lab's collector
	// through a port-forward; OTLPOff: nowhere.
	OTLP string
}

// longHelp is the description in `chaoslab run --help`.
const longHelp = `Runs chaos scenarios on a live lab from start to verdict, so that a pipeline can gate on its exit code:

  1. checks that the stack is up and the lab's workloads are ready, and that no other chaos runs;
  2. switches the scenarios on in Pulumi.<stack>.yaml and updates the stack (the lab's program runs inline
     through the Automation API: no 'pulumi up' on the directory, no Go language host);
  3. watches Chaos Mesh on the cluster and prints each run, injection and failure to inject as it happens;
  4. when the experiment ends (a one-shot Workflow finishes or is aborted, a Schedule has run --runs times
     or for --for, or on Ctrl-C or SIGTERM) switches the scenarios off again and updates: no fault is left
     behind, and Pulumi.<stack>.yaml is restored byte for byte, even when something fails;
  5. waits --after for recovery, judges the fault windows it saw against the stack's SLOs (as 'chaoslab
     report' does) and writes report.md, report.json, the plots and run.log to --out.

It needs the Pulumi CLI's state of the stack (the lab brought up with make up) and the cluster that the
stack's config points at.

Every scenario must strike: Chaos Mesh must report an injection within --strike-within of the switch-on
(default: its first run plus a minute), or the run ends at once with exit 5 and Chaos Mesh's reason; a failed
injection exits 5 too. An interrupted run, or one whose chaos someone else deleted, never exits 0.

A run is recorded on the cluster (a ConfigMap chaoslab-run-<stack> in the app's namespace, with a heartbeat)
and beside the stack file (.chaoslab/): a second run on the stack, from any checkout, is refused while one is
live. If a run was killed (kill -9, a lost machine) the next one says so, and --recover, from any checkout,
switches its scenarios off and gives the stack file back: byte for byte, or, if a person edited it since,
with only the run's keys reverted. Each run also sends its trace (the switch-on, every fault window, the
judging, the switch-off) over OTLP to the lab's collector, so that Jaeger shows it beside the app's traces.

The first Ctrl-C ends the experiment early (the scenarios are switched off, then the windows seen so far are
judged without waiting for --after); a Ctrl-C while the scenarios are being switched off changes nothing, the
run finishes that first. A Ctrl-C during the report stops it.`

const examples = `  chaoslab run --stack dev --scenario checkout-pod-kill
  chaoslab run --stack dev --scenario frontend-catalog-latency --out out/latency
  chaoslab run --stack dev --scenario ad-failure --for 5m --prometheus http://localhost:9090
  chaoslab run --stack dev --recover`

// bindFlags declares the flags of `chaoslab run` over o.
func bindFlags(fs *pflag.FlagSet, o *Options) {
	fs.StringVar(&o.Stack, "stack", "", "the lab's Pulumi stack (required), such as dev")
	fs.StringSliceVar(&o.Scenarios, "scenario", nil, "a scenario to run: a preset or a key of chaos-mesh-otel:scenarios (repeat, or comma-separate, for several at once)")
	fs.DurationVar(&o.For, "for", 0, "the longest the experiment runs; a Schedule or a flag fault runs this long (required for flag faults)")
	fs.IntVar(&o.Runs, "runs", 0, "runs of each Schedule to wait for (default 1 when --for is not given)")
	fs.DurationVar(&o.After, "after", report.DefaultSettings().After, "recovery watched after the last fault before judging")
	fs.StringVar(&o.OutDir, "out", "", "directory for report.md, report.json, the plots, run.log and the update logs (default out/run-<stack>-<time>)")
	fs.StringVar(&o.Prometheus, "prometheus", "", "Prometheus base URL (default: a port-forward to the lab's Prometheus, opened and closed by the run)")
	fs.StringVar(&o.Dir, "dir", "", "the Pulumi project directory, holding Pulumi.yaml (default: the nearest one from the current directory up)")
	fs.BoolVar(&o.Recover, "recover", false, "finish a run that was killed: switch its scenarios off and restore Pulumi.<stack>.yaml")
	fs.DurationVar(&o.StrikeWithin, "strike-within", 0, "the longest from the switch-on to each scenario's first injection; a scenario that misses it ends the run with exit 5 (default: its first run plus "+strikeMargin.String()+")")
	fs.StringVar(&o.OTLP, "otlp-endpoint", "", "where the experiment's trace goes, host:port of an OTLP/gRPC receiver (default: the lab's collector, through a port-forward; \""+OTLPOff+"\": send none)")
	fs.StringVar(&o.JUnit, "junit", "", "also write the verdicts as JUnit XML to this file, one testcase per fault window (a violated one fails, one without data errs)")
}

// ParseArgs reads the flags of `chaoslab run` (without "run"); usage errors name the flag.
func ParseArgs(args []string) (Options, error) {
	var o Options
	fs := pflag.NewFlagSet("chaoslab run", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	bindFlags(fs, &o)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	return o, checkArgs(o, fs.Args())
}

// checkArgs refuses what the flags cannot say alone.
func checkArgs(o Options, rest []string) error {
	switch {
	case len(rest) > 0:
		return fmt.Errorf("unexpected argument %q (scenarios are given with --scenario)", rest[0])
	case o.Stack == "":
		return errors.New("--stack is required, such as --stack dev")
	case o.Recover && len(o.Scenarios) > 0:
		return errors.New("--recover takes the scenarios from the unfinished run; give no --scenario")
	case !o.Recover && len(o.Scenarios) == 0:
		return errors.New("--scenario is required, such as --scenario checkout-pod-kill")
	case o.For < 0 || o.After < 0 || o.Runs < 0 || o.StrikeWithin < 0:
		return errors.New("--for, --after, --runs and --strike-within must not be negative")
	case o.Prometheus != "":
		return report.CheckPrometheusURL(o.Prometheus)
	}
	return nil
}

// NewCommand is `chaoslab run` over w: the real stack, cluster and judge (package labstack), or fakes.
func NewCommand(w Wiring) *cobra.Command {
	var o Options
	cmd := &cobra.Command{
		Use:     "run --stack NAME --scenario NAME [--scenario NAME ...] [flags] | run --stack NAME --recover",
		Short:   Summary,
		Long:    longHelp,
		Example: examples,
		Args:    cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkArgs(o, args); err != nil {
				return cli.Usagef("%v", err)
			}
			o.Scenarios = uniqueNames(o.Scenarios)
			return cli.Exit(execute(cmd.Context(), o, w, cmd.OutOrStdout(), cmd.ErrOrStderr()))
		},
	}
	bindFlags(cmd.Flags(), &o)
	return cmd
}

// uniqueNames drops empty and repeated scenario names, keeping the first of each in order.
func uniqueNames(names []string) []string {
	var out []string
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// Main is `chaoslab run` with args (without "run"), run with w; it returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, w Wiring) int {
	return cli.ExecuteSub(ctx, NewCommand(w), args, stdout, stderr)
}

// execute runs the experiment of parsed options with w and returns the exit code.
func execute(ctx context.Context, o Options, w Wiring, stdout, stderr io.Writer) int {
	var err error
	if w.Clock == nil {
		w.Clock = clock.RealClock{}
	}
	if w.Interrupts == nil && w.Signals != nil {
		signals, stop := w.Signals()
		defer stop()
		w.Interrupts = signals
	}
	if o.Dir, err = projectDir(o.Dir); err != nil {
		fmt.Fprintf(stderr, "chaoslab run: %v\n", err)
		return ExitSetup
	}
	if o.OutDir == "" {
		o.OutDir = filepath.Join("out", fmt.Sprintf("run-%s-%s", safeName(o.Stack), w.Clock.Now().UTC().Format("20060102T150405Z")))
	}
	if o.OutDir, err = filepath.Abs(o.OutDir); err == nil {
		err = os.MkdirAll(o.OutDir, 0o755)
	}
	if err != nil {
		fmt.Fprintf(stderr, "chaoslab run: --out: %v\n", err)
		return ExitSetup
	}
	// The stack is opened from its project directory: a relative --junit means the caller's directory.
	if o.JUnit != "" {
		if o.JUnit, err = filepath.Abs(o.JUnit); err != nil {
			fmt.Fprintf(stderr, "chaoslab run: --junit: %v\n", err)
			return ExitSetup
		}
	}
	return newRun(o, w, stdout, stderr).execute(ctx)
}

// projectDir is dir made absolute, or the nearest directory from the current one up that holds Pulumi.yaml.
func projectDir(dir string) (string, error) {
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", err
		}
		if !hasProject(abs) {
			return "", fmt.Errorf("--dir %s: no Pulumi.yaml there", dir)
		}
		return abs, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if hasProject(d) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no Pulumi.yaml in %s or above it: run from the repository, or give --dir", wd)
		}
	}
}

func hasProject(dir string) bool {
	for _, name := range []string{"Pulumi.yaml", "Pulumi.yml"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// safeName makes a stack name (org/project/stack) usable in a file name.
func safeName(stack string) string { return strings.ReplaceAll(stack, "/", "_") }

// NotifyInterrupts delivers SIGINT and SIGTERM to the returned channel instead of letting them end the
// process, so that a run can switch its scenarios off first; stop restores the default behaviour.
func NotifyInterrupts() (signals <-chan os.Signal, stop func()) {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	return ch, func() { signal.Stop(ch) }
}
