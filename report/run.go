package report

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// Exit codes of `chaoslab report`.
const (
	ExitOK          = 0 // every verdict held or degraded
	ExitUsage       = 1 // bad flags or inputs (windows file, SLO file, kubeconfig)
	ExitViolated    = 2 // some verdict violated
	ExitMissingData = 3 // data missing, no window found, or Prometheus unreachable
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
	SLOs        []slo.SLO
	Settings    Settings
	Timeout     time.Duration
	Title       string
	Now         func() time.Time
	// Windows, when set, are used instead of the file or the cluster (tests).
	Windows []Window
}

// Run is `chaoslab report`: it parses args, writes the report to --out and returns the exit code.
func Run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("chaoslab report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := DefaultSettings()
	o := Options{Settings: def}
	fs.StringVar(&o.Prometheus, "prometheus", os.Getenv("PROMETHEUS_URL"), "Prometheus base URL, e.g. http://localhost:9090 (env PROMETHEUS_URL)")
	fs.StringVar(&o.Scenario, "scenario", "", "scenario name (Schedule/Workflow name); empty: every scenario")
	since := fs.Duration("since", time.Hour, "look back this long from now (ignored with --from/--to)")
	fromS := fs.String("from", "", "start of the time range, RFC 3339")
	toS := fs.String("to", "", "end of the time range, RFC 3339 (default now)")
	fs.StringVar(&o.WindowsFile, "windows", "", "YAML list of {scenario, start, end[, target]} instead of reading the cluster")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig for reading the chaos objects' records (default ~/.kube/config)")
	fs.StringVar(&o.Settings.Namespace, "namespace", def.Namespace, "namespace of the shop and of the chaos objects")
	fs.StringVar(&o.OutDir, "out", "", "output directory for report.md, report.json and the PNG plots")
	slosFile := fs.String("slos", "", "JSON SLO list (the chaos-mesh-otel:slos shape); default: the SLO model's defaults")
	sloNames := fs.String("slo", "", "comma-separated SLO names to judge (default: all)")
	fs.StringVar(&o.Settings.Target, "target", "", "target service for windows that do not name one")
	fs.DurationVar(&o.Settings.Step, "step", def.Step, "series resolution")
	fs.DurationVar(&o.Settings.RateWindow, "rate-window", def.RateWindow, "PromQL range of the rolling SLIs")
	fs.DurationVar(&o.Settings.Baseline, "baseline", def.Baseline, "baseline length before each window")
	fs.DurationVar(&o.Settings.After, "after", def.After, "how long after each window recovery is watched")
	fs.Float64Var(&o.Settings.Tolerance, "tolerance", def.Tolerance, "share of the error budget an SLI may drift from its baseline")
	fs.IntVar(&o.Settings.Consecutive, "consecutive", def.Consecutive, "good samples in a row that make a recovery")
	fs.DurationVar(&o.Settings.RecoveryBudget, "recovery-budget", def.RecoveryBudget, "recovery time that costs the full 30 score points")
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Second, "deadline of each Prometheus query")
	fs.StringVar(&o.Title, "title", "", "report title")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "chaoslab report: "+format+"\n", a...)
		return ExitUsage
	}
	if o.Prometheus == "" {
		return usage("--prometheus is required")
	}
	if o.OutDir == "" {
		return usage("--out is required")
	}
	if o.Settings.Step <= 0 || o.Settings.RateWindow <= 0 || o.Settings.Baseline <= 0 || o.Settings.After < 0 ||
		o.Settings.Consecutive < 1 || o.Settings.Tolerance < 0 || o.Settings.RecoveryBudget <= 0 {
		return usage("--step, --rate-window, --baseline, --recovery-budget must be positive, --after and --tolerance not negative, --consecutive at least 1")
	}
	now := time.Now()
	if *fromS != "" || *toS != "" {
		o.TimeFromArg = true
		var err error
		o.To = now
		if *toS != "" {
			if o.To, err = time.Parse(time.RFC3339, *toS); err != nil {
				return usage("--to %q is not RFC 3339", *toS)
			}
		}
		if *fromS == "" {
			return usage("--from is required with --to")
		}
		if o.From, err = time.Parse(time.RFC3339, *fromS); err != nil {
			return usage("--from %q is not RFC 3339", *fromS)
		}
		if !o.To.After(o.From) {
			return usage("--to must be after --from")
		}
	} else {
		o.From, o.To = now.Add(-*since), now
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "since" {
				o.TimeFromArg = true
			}
		})
	}
	o.SLOs = slo.Defaults()
	if *slosFile != "" {
		raw, err := os.ReadFile(*slosFile)
		if err != nil {
			return usage("--slos: %v", err)
		}
		if o.SLOs, err = slo.Parse(raw, nil); err != nil {
			return usage("--slos %s:\n%v", *slosFile, err)
		}
	}
	if *sloNames != "" {
		var picked []slo.SLO
		for _, n := range strings.Split(*sloNames, ",") {
			s, ok := slo.Find(o.SLOs, strings.TrimSpace(n))
			if !ok {
				return usage("--slo: no SLO named %q; known: %s", n, strings.Join(slo.Names(o.SLOs), ", "))
			}
			picked = append(picked, s)
		}
		o.SLOs = picked
	}
	if o.WindowsFile != "" {
		raw, err := os.ReadFile(o.WindowsFile)
		if err != nil {
			return usage("--windows: %v", err)
		}
		if o.Windows, err = ParseWindows(raw); err != nil {
			return usage("--windows %s:\n%v", o.WindowsFile, err)
		}
	} else {
		ws, err := clusterWindows(o, now)
		if err != nil {
			fmt.Fprintf(stderr, "chaoslab report: reading fault windows from the cluster: %v\n(use --windows FILE offline)\n", err)
			return ExitMissingData
		}
		o.Windows = ws
		o.TimeFromArg = true
	}
	return Execute(context.Background(), o, stdout, stderr)
}

func clusterWindows(o Options, now time.Time) ([]Window, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.Kubeconfig != "" {
		rules.ExplicitPath = o.Kubeconfig
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, err
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

// Execute analyses the windows of o and writes the report; it returns the exit code.
func Execute(ctx context.Context, o Options, stdout, stderr io.Writer) int {
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "chaoslab report: "+format+"\n", a...)
		return code
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return fail(ExitUsage, "--out: %v", err)
	}
	client, err := api.NewClient(api.Config{Address: o.Prometheus, Client: &http.Client{Timeout: o.Timeout + time.Second}})
	if err != nil {
		return fail(ExitUsage, "--prometheus: %v", err)
	}
	a := &Analyzer{API: v1.NewAPI(client), SLOs: o.SLOs, Settings: o.Settings, QueryTimeout: o.Timeout, Now: o.Now}
	if err := a.Ping(ctx); err != nil {
		return fail(ExitMissingData, "Prometheus unreachable at %s: %v", o.Prometheus, err)
	}
	from, to := o.From, o.To
	ws := o.Windows
	if !o.TimeFromArg {
		from, to = time.Time{}, time.Time{}
	}
	ws = SelectWindows(ws, o.Scenario, from, to)
	if len(ws) == 0 {
		rep := &Report{SchemaVersion: 1, Scenario: o.Scenario, Prometheus: o.Prometheus, From: o.From.UTC(), To: o.To.UTC(),
			GeneratedAt: o.Now().UTC(), Verdict: Unknown, Windows: []WindowReport{}, Plots: []string{}, Settings: o.Settings,
			Notes: []string{"no fault window found for this scenario in the time range"}}
		if err := rep.Write(o.OutDir, o.Title); err != nil {
			return fail(ExitUsage, "write report: %v", err)
		}
		return fail(ExitMissingData, "no fault window for scenario %q between %s and %s; nothing to judge", o.Scenario,
			o.From.UTC().Format(time.RFC3339), o.To.UTC().Format(time.RFC3339))
	}
	// The plots and the report span every window with its baseline and its "after".
	if !o.TimeFromArg {
		o.From, o.To = ws[0].Start, ws[0].End
		for _, w := range ws {
			if w.End.After(o.To) {
				o.To = w.End
			}
		}
	}
	if first := ws[0].Start.Add(-o.Settings.Baseline); first.Before(o.From) {
		o.From = first
	}
	for _, w := range ws {
		if e := w.End.Add(o.Settings.After); e.After(o.To) {
			o.To = e
		}
	}
	if n := o.Now(); o.To.After(n) {
		o.To = n
	}
	rep, err := a.Analyze(ctx, o.Scenario, ws, o.From, o.To)
	if err != nil {
		what := "querying"
		if errors.Is(err, ErrUnreachable) {
			what = "Prometheus unreachable while querying"
		}
		return fail(ExitMissingData, "%s %s: %v", what, o.Prometheus, err)
	}
	rep.Prometheus = o.Prometheus
	charts, err := a.Charts(ctx, ws, o.From, o.To)
	if err != nil {
		return fail(ExitMissingData, "querying Prometheus at %s for the plots: %v", o.Prometheus, err)
	}
	for _, c := range charts {
		name, err := c.Render(o.OutDir, ws, o.From, o.To)
		if err != nil {
			return fail(ExitUsage, "%v", err)
		}
		rep.Plots = append(rep.Plots, name)
	}
	if err := rep.Write(o.OutDir, o.Title); err != nil {
		return fail(ExitUsage, "write report: %v", err)
	}
	code := ExitCode(rep)
	fmt.Fprintf(stdout, "%s: verdict %s, score %s, %d window(s); report in %s\n", scenarioLabel(o.Scenario), rep.Verdict,
		fnum(rep.Score, "%.1f"), len(rep.Windows), o.OutDir)
	for i, w := range rep.Windows {
		fmt.Fprintf(stdout, "  window %d %s → %s: %s, recovery %s\n", i+1, w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339), w.Verdict, recovery(w.RecoverySeconds))
		if w.Verdict == Unknown {
			for _, s := range w.SLIs {
				if s.Verdict == Unknown {
					fmt.Fprintf(stderr, "chaoslab report: window %d, %s: %s\n", i+1, s.SLO, s.Reason)
				}
			}
		}
	}
	switch code {
	case ExitViolated:
		fmt.Fprintln(stderr, "chaoslab report: at least one window violated an SLO (exit 2)")
	case ExitMissingData:
		fmt.Fprintln(stderr, "chaoslab report: data is missing for at least one window (exit 3)")
	}
	return code
}

func scenarioLabel(s string) string {
	if s == "" {
		return "all scenarios"
	}
	return s
}
