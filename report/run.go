package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/cli"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// Options are the inputs of one report run; Run fills them from flags.
type Options struct {
	Prometheus  string
	Scenario    string
	From, To    time.Time
	TimeFromArg bool // From/To were given (else windows from a file are not filtered by time)
	WindowsFile string
	Kubeconfig  string
	OutDir      string
	// JUnit, when set, is a file to write the verdicts to as JUnit XML as well (one testcase per window), also
	// when no verdict could be given.
	JUnit    string
	SLOs     []slo.SLO
	Settings Settings
	Timeout  time.Duration
	Title    string
	Now      func() time.Time
	// Windows, when set, are used instead of the file or the cluster (tests).
	Windows []Window
}

// Run is `chaoslab report` with args (without "report"): it writes the report to --out and returns the
// exit code.
func Run(args []string, stdout, stderr io.Writer) int {
	return cli.ExecuteSub(context.Background(), NewCommand(), args, stdout, stderr)
}

// runParsed is the command once its flags are parsed.
func runParsed(o Options, v flagValues, stdout, stderr io.Writer) error {
	if err := checkOptions(&o); err != nil {
		return cli.Usagef("%v", err)
	}
	now := time.Now()
	if err := setTimeRange(&o, v, now); err != nil {
		return cli.Usagef("%v", err)
	}
	var err error
	if o.SLOs, err = loadSLOs(v.slosFile, v.sloNames); err != nil {
		return cli.Usagef("%v", err)
	}
	if o.WindowsFile != "" {
		if o.Windows, err = loadWindowsFile(o.WindowsFile); err != nil {
			return cli.Usagef("%v", err)
		}
	} else {
		if o.Windows, err = clusterWindows(o, now); err != nil {
			return cli.Fail(ExitUsage, fmt.Errorf("reading fault windows from the cluster: %w", err))
		}
		o.TimeFromArg = true
	}
	return cli.Exit(Execute(context.Background(), o, stdout, stderr))
}

func clusterWindows(o Options, now time.Time) ([]Window, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.Kubeconfig != "" {
		rules.ExplicitPath = o.Kubeconfig
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, errors.New("no kubeconfig found: pass --kubeconfig PATH (or set KUBECONFIG) to read the fault windows " +
				"from the chaos objects on the cluster, or --windows FILE to judge windows offline")
		}
		return nil, fmt.Errorf("%w\n(pass --kubeconfig PATH, or --windows FILE to judge windows offline)", err)
	}
	cfg.Timeout = o.Timeout
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	return FromCluster(ctx, dyn, o.Settings.Namespace, o.Scenario, now)
}

// failure is an exit code with what to tell the user.
type failure struct {
	code int
	err  error
}

func fail(code int, format string, a ...any) *failure {
	return &failure{code: code, err: fmt.Errorf(format, a...)}
}

// Execute analyses the windows of o and writes the report (and o.JUnit); it returns the exit code.
func Execute(ctx context.Context, o Options, stdout, stderr io.Writer) int {
	if o.Now == nil {
		o.Now = time.Now
	}
	rep, f := execute(ctx, &o)
	if f != nil {
		fmt.Fprintf(stderr, "chaoslab report: %v\n", f.err)
		// CI reads the JUnit file: it must say that nothing was judged, and why.
		return withJUnit(o, &Report{Scenario: o.Scenario, GeneratedAt: o.Now().UTC(), Verdict: Unknown, Notes: []string{f.err.Error()}},
			f.code, stderr)
	}
	code := ExitCode(rep)
	printVerdicts(rep, o, code, stdout, stderr)
	return withJUnit(o, rep, code, stderr)
}

// withJUnit writes rep to o.JUnit, if asked, and returns code; a file that cannot be written turns a
// success into a setup error.
func withJUnit(o Options, rep *Report, code int, stderr io.Writer) int {
	if o.JUnit == "" {
		return code
	}
	if err := writeJUnit(o.JUnit, rep); err != nil {
		fmt.Fprintf(stderr, "chaoslab report: --junit: %v\n", err)
		if code == ExitOK {
			return ExitUsage
		}
	}
	return code
}

// execute judges the windows and writes the report.
func execute(ctx context.Context, o *Options) (*Report, *failure) {
	if o.Settings.Observed == (MoveTolerance{}) {
		o.Settings.Observed = DefaultSettings().Observed // a caller that built its Settings by hand
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, fail(ExitUsage, "--out: %v", err)
	}
	client, err := api.NewClient(api.Config{Address: o.Prometheus, Client: &http.Client{Timeout: o.Timeout + time.Second}})
	if err != nil {
		return nil, fail(ExitUsage, "--prometheus: %v", err)
	}
	a := &Analyzer{API: v1.NewAPI(client), SLOs: o.SLOs, Settings: o.Settings, QueryTimeout: o.Timeout, Now: o.Now}
	if err := a.Ping(ctx); err != nil {
		return nil, fail(ExitMissingData, "Prometheus unreachable at %s: %v", o.Prometheus, err)
	}
	from, to := o.From, o.To
	if !o.TimeFromArg {
		from, to = time.Time{}, time.Time{}
	}
	ws := SelectWindows(o.Windows, o.Scenario, from, to)
	if len(ws) == 0 {
		return nil, writeEmptyReport(o)
	}
	o.From, o.To = reportSpan(*o, ws)
	rep, err := a.Analyze(ctx, o.Scenario, ws, o.From, o.To)
	if err != nil {
		what := "querying"
		if errors.Is(err, ErrUnreachable) {
			what = "Prometheus unreachable while querying"
		}
		return nil, fail(ExitMissingData, "%s %s: %v", what, o.Prometheus, err)
	}
	rep.Prometheus = o.Prometheus
	charts, err := a.Charts(ctx, rep.Windows, o.From, o.To)
	if err != nil {
		return nil, fail(ExitMissingData, "querying Prometheus at %s for the plots: %v", o.Prometheus, err)
	}
	for _, c := range charts {
		name, err := c.Render(o.OutDir, ws, o.From, o.To)
		if err != nil {
			return nil, fail(ExitUsage, "%v", err)
		}
		rep.Plots = append(rep.Plots, name)
	}
	if err := rep.Write(o.OutDir, o.Title); err != nil {
		return nil, fail(ExitUsage, "write report: %v", err)
	}
	return rep, nil
}

// writeEmptyReport records that no window was found, so that a pipeline's artifacts say so too.
func writeEmptyReport(o *Options) *failure {
	rep := &Report{SchemaVersion: 1, Scenario: o.Scenario, Prometheus: o.Prometheus, From: o.From.UTC(), To: o.To.UTC(),
		GeneratedAt: o.Now().UTC(), Verdict: Unknown, Windows: []WindowReport{}, Plots: []string{}, Settings: o.Settings,
		Notes: []string{"no fault window found for this scenario in the time range"}}
	if err := rep.Write(o.OutDir, o.Title); err != nil {
		return fail(ExitUsage, "write report: %v", err)
	}
	return fail(ExitMissingData, "no fault window for scenario %q between %s and %s; nothing to judge", o.Scenario,
		o.From.UTC().Format(time.RFC3339), o.To.UTC().Format(time.RFC3339))
}

// reportSpan is the time that the report and its plots cover: the windows with their baselines and their
// "after" periods (within the user's range, when one was given), and never past now.
func reportSpan(o Options, ws []Window) (time.Time, time.Time) {
	from, to := o.From, o.To
	if !o.TimeFromArg {
		from, to = ws[0].Start, ws[0].End
		for _, w := range ws {
			if w.End.After(to) {
				to = w.End
			}
		}
	}
	if first := ws[0].Start.Add(-o.Settings.Baseline); first.Before(from) {
		from = first
	}
	for _, w := range ws {
		if e := w.End.Add(o.Settings.After); e.After(to) {
			to = e
		}
	}
	if n := o.Now(); to.After(n) {
		to = n
	}
	return from, to
}

// printVerdicts says on the terminal what the report says, and why a run could not be judged.
func printVerdicts(rep *Report, o Options, code int, stdout, stderr io.Writer) {
	fmt.Fprintf(stdout, "%s: verdict %s, score %s, %d window(s); report in %s\n", scenarioLabel(o.Scenario), rep.Verdict,
		fnum(rep.Score, "%.1f"), len(rep.Windows), o.OutDir)
	for i, w := range rep.Windows {
		for _, l := range windowLines(i, w, o.Settings.After) {
			fmt.Fprintf(stdout, "  %s\n", l)
		}
		for _, s := range w.SLIs {
			if s.Verdict == Unknown {
				fmt.Fprintf(stderr, "chaoslab report: window %d, %s: %s\n", i+1, s.SLO, s.Reason)
			}
		}
	}
	switch code {
	case ExitViolated:
		fmt.Fprintln(stderr, "chaoslab report: at least one window violated an SLO (exit 2)")
	case ExitMissingData:
		fmt.Fprintln(stderr, "chaoslab report: data is missing for at least one window (exit 3)")
	}
}

func scenarioLabel(s string) string {
	if s == "" {
		return "all scenarios"
	}
	return s
}
