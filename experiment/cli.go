package experiment

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"k8s.io/utils/clock"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

// Summary is the one-line description of `chaoslab run` in chaoslab's command list.
const Summary = "run scenarios on a live lab end to end: switch on, watch, switch off, judge (exit 0 held, 2 violated, 3 unknown)"

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
}

const usageText = `usage: chaoslab run --stack NAME --scenario NAME [--scenario NAME ...] [flags]
       chaoslab run --stack NAME --recover

Runs chaos scenarios on a live lab from start to verdict, so that a pipeline can gate on its exit code:

  1. checks that the stack is up and the lab's workloads are ready, and that no other chaos runs;
  2. switches the scenarios on in Pulumi.<stack>.yaml and updates the stack (the lab's program runs inline
     through the Automation API: no 'pulumi up' on the directory, no Go language host);
  3. watches Chaos Mesh on the cluster and prints each run, injection and failure to inject as it happens;
  4. when the experiment ends (a one-shot Workflow finishes or is aborted, a Schedule has run --runs times
     or for --for, or on Ctrl-C or SIGTERM) switches the scenarios off again and updates: no fault is left
     behind, and Pulumi.<stack>.yaml is restored byte for byte, even when something fails;
  5. waits --after for recovery, judges the fault windows it saw against the stack's SLOs (as 'chaoslab
     report' does) and writes report.md, report.json, the plots and run.log to --out.

A second run on the same stack is refused while one is in progress. If a run was killed (kill -9, power
loss) before it finished, the next one says so; --recover then switches its scenarios off and restores the
config from the copy that the run kept in .chaoslab/ beside the stack file.

The first Ctrl-C ends the experiment early (the scenarios are switched off, then the windows seen so far are
judged without waiting for --after); a Ctrl-C while the scenarios are being switched off changes nothing, the
run finishes that first. A Ctrl-C during the report stops it.

flags:
`

const usageExamples = `
examples:
  chaoslab run --stack dev --scenario checkout-pod-kill
  chaoslab run --stack dev --scenario frontend-catalog-latency --out out/latency
  chaoslab run --stack dev --scenario ad-failure --for 5m --prometheus http://localhost:9090
  chaoslab run --stack dev --recover

exit codes:
  0  every SLO held (or degraded within tolerance)
  1  usage or setup error: bad flags, stack missing or not up, workloads not ready, another run in
     progress, an update failed, or a scenario could not be switched off (what is left is printed)
  2  an SLO was violated
  3  could not judge: no fault window seen, data missing, Prometheus unreachable, or interrupted
`

// scenarioList is a repeatable flag that also takes comma-separated names.
type scenarioList []string

func (s *scenarioList) String() string { return strings.Join(*s, ",") }

func (s *scenarioList) Set(v string) error {
	for _, name := range strings.Split(v, ",") {
		if name = strings.TrimSpace(name); name != "" && !slices.Contains(*s, name) {
			*s = append(*s, name)
		}
	}
	return nil
}

// errHelp is returned when -h or --help was asked for.
var errHelp = flag.ErrHelp

// ParseArgs reads the flags of `chaoslab run`; usage errors name the flag.
func ParseArgs(args []string, stderr io.Writer) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("chaoslab run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Stack, "stack", "", "the lab's Pulumi stack (required), e.g. dev")
	fs.Var((*scenarioList)(&o.Scenarios), "scenario", "a scenario to run: a preset or a key of chaos-mesh-otel:scenarios (repeat, or comma-separate, for several at once)")
	fs.DurationVar(&o.For, "for", 0, "the longest the experiment runs; a Schedule or a flag fault runs this long (required for flag faults)")
	fs.IntVar(&o.Runs, "runs", 0, "runs of each Schedule to wait for (default 1 when --for is not given)")
	fs.DurationVar(&o.After, "after", report.DefaultSettings().After, "recovery watched after the last fault before judging")
	fs.StringVar(&o.OutDir, "out", "", "directory for report.md, report.json, the plots, run.log and the update logs (default out/run-<stack>-<time>)")
	fs.StringVar(&o.Prometheus, "prometheus", "", "Prometheus base URL (default: a port-forward to the lab's Prometheus, opened and closed by the run)")
	fs.StringVar(&o.Dir, "dir", "", "the Pulumi project directory, holding Pulumi.yaml (default: the nearest one from the current directory up)")
	fs.BoolVar(&o.Recover, "recover", false, "finish a run that was killed: switch its scenarios off and restore Pulumi.<stack>.yaml")
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		fmt.Fprint(stderr, usageExamples)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, errHelp
		}
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q (scenarios are given with --scenario)", fs.Arg(0))
	case o.Stack == "":
		return o, errors.New("--stack is required, e.g. --stack dev")
	case o.Recover && len(o.Scenarios) > 0:
		return o, errors.New("--recover takes the scenarios from the unfinished run; give no --scenario")
	case !o.Recover && len(o.Scenarios) == 0:
		return o, errors.New("--scenario is required, e.g. --scenario checkout-pod-kill")
	case o.For < 0 || o.After < 0 || o.Runs < 0:
		return o, errors.New("--for, --after and --runs must not be negative")
	}
	return o, nil
}

// Main is `chaoslab run`: it parses args, runs the experiment with w and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, w Wiring) int {
	o, err := ParseArgs(args, stderr)
	if errors.Is(err, errHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "chaoslab run: %v\n(chaoslab run --help for usage)\n", err)
		return ExitSetup
	}
	if w.Clock == nil {
		w.Clock = clock.RealClock{}
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
