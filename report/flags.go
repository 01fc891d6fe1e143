package report

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// Exit codes of `chaoslab report`, as every chaoslab subcommand uses them.
const (
	ExitOK          = 0 // every verdict held or degraded
	ExitUsage       = 1 // usage or setup error: bad flags, unreadable file, cluster not reachable
	ExitViolated    = 2 // some verdict violated
	ExitMissingData = 3 // could not judge: data missing, no window found, or Prometheus unreachable
)

const usageLine = "usage: chaoslab report --prometheus URL --out DIR [--scenario NAME] [--since 1h | --from T --to T] [--windows FILE] [flags]"

// usageText is the help of `chaoslab report`; the flag list follows it.
const usageText = usageLine + `

Judges chaos fault windows against the SLOs, from Prometheus. For each window: the SLIs over a baseline
before the fault, during it and after it; the impact on the target service (p95, error ratio, pods not
ready, restarts); the time to recover; a verdict (held, degraded, violated, or unknown when data is
missing); and a resilience score. Writes report.md, report.json and PNG plots to --out.

The fault windows are read from the chaos objects' records on the cluster (--kubeconfig, --namespace), or,
offline, from a YAML file given with --windows:

  - scenario: checkout-pod-kill      # required
    start: "2026-01-02T10:00:00Z"    # required, RFC 3339
    end: "2026-01-02T10:05:00Z"      # required, after start
    target: checkout                 # optional: the service the fault hit; without it, --target, else
                                     # the preset's target when scenario names a preset

--slos reads SLOs in the shape of the chaos-mesh-otel:slos config key, in YAML or JSON: a list of
{name, service, kind, objective, thresholdMs, window}, or a Pulumi.<stack>.yaml that sets that key.
Without --slos, the SLO model's defaults are judged.

Examples:
  kubectl -n observability port-forward svc/prometheus-server 9090:80 &
  chaoslab report --prometheus http://localhost:9090 --scenario checkout-pod-kill --since 2h --out out/report
  chaoslab report --prometheus http://localhost:9090 --windows windows.yaml --slos Pulumi.dev.yaml --out out/report

Exit codes:
  0  success: every SLO held (or degraded within tolerance)
  1  usage or setup error: bad flags or arguments, unreadable file, cluster not reachable
  2  the check failed: an SLO was violated
  3  could not judge: data missing, no fault window, Prometheus unreachable

Flags:
`

// flagValues are the flags that are not Options themselves.
type flagValues struct {
	since              time.Duration
	sinceSet           bool
	from, to           string
	slosFile, sloNames string
}

// newFlagSet declares the flags of `chaoslab report` over o and v.
func newFlagSet(o *Options, v *flagValues, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("chaoslab report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintf(fs.Output(), "%s\n(chaoslab report --help describes every flag)\n", usageLine) }
	def := DefaultSettings()
	o.Settings = def
	fs.StringVar(&o.Prometheus, "prometheus", os.Getenv("PROMETHEUS_URL"), "Prometheus base URL, e.g. http://localhost:9090 (env PROMETHEUS_URL)")
	fs.StringVar(&o.Scenario, "scenario", "", "scenario name (Schedule/Workflow name); empty: every scenario")
	fs.DurationVar(&v.since, "since", time.Hour, "look back this long from now (ignored with --from/--to)")
	fs.StringVar(&v.from, "from", "", "start of the time range, RFC 3339")
	fs.StringVar(&v.to, "to", "", "end of the time range, RFC 3339 (default now)")
	fs.StringVar(&o.WindowsFile, "windows", "", "YAML list of {scenario, start, end[, target]} instead of reading the cluster")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig for reading the chaos objects' records (default ~/.kube/config)")
	fs.StringVar(&o.Settings.Namespace, "namespace", def.Namespace, "namespace of the shop and of the chaos objects")
	fs.StringVar(&o.OutDir, "out", "", "output directory for report.md, report.json and the PNG plots")
	fs.StringVar(&v.slosFile, "slos", "", "SLO list in YAML or JSON (the chaos-mesh-otel:slos shape), or a Pulumi.<stack>.yaml; default: the SLO model's defaults")
	fs.StringVar(&v.sloNames, "slo", "", "comma-separated SLO names to judge (default: all)")
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
	return fs
}

// printHelp writes the usage text and every flag.
func printHelp(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, usageText)
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
}

// checkOptions refuses missing and out-of-range flags.
func checkOptions(o *Options) error {
	switch {
	case o.Prometheus == "":
		return errors.New("--prometheus is required")
	case o.OutDir == "":
		return errors.New("--out is required")
	}
	st := o.Settings
	if st.Step <= 0 || st.RateWindow <= 0 || st.Baseline <= 0 || st.After < 0 || st.Consecutive < 1 || st.Tolerance < 0 || st.RecoveryBudget <= 0 {
		return errors.New("--step, --rate-window, --baseline, --recovery-budget must be positive, --after and --tolerance not negative, --consecutive at least 1")
	}
	return nil
}

// setTimeRange fills From and To from --from/--to, or from --since before now. TimeFromArg says whether
// windows from a file are filtered by that range: only when the user gave one.
func setTimeRange(o *Options, v flagValues, now time.Time) error {
	if v.from == "" && v.to == "" {
		o.From, o.To, o.TimeFromArg = now.Add(-v.since), now, v.sinceSet
		return nil
	}
	o.TimeFromArg = true
	o.To = now
	var err error
	if v.to != "" {
		if o.To, err = time.Parse(time.RFC3339, v.to); err != nil {
			return fmt.Errorf("--to %q is not RFC 3339", v.to)
		}
	}
	if v.from == "" {
		return errors.New("--from is required with --to")
	}
	if o.From, err = time.Parse(time.RFC3339, v.from); err != nil {
		return fmt.Errorf("--from %q is not RFC 3339", v.from)
	}
	if !o.To.After(o.From) {
		return errors.New("--to must be after --from")
	}
	return nil
}

// SLOsKey is the stack config key that holds the SLOs, as it appears in a Pulumi.<stack>.yaml.
const SLOsKey = "chaos-mesh-otel:slos"

// LoadSLOs reads an SLO file: a list in the shape of the chaos-mesh-otel:slos key (YAML or JSON), or a
// Pulumi.<stack>.yaml whose config sets that key (as a structured value or as a JSON string). A stack file
// that does not set it means the defaults, as it does for the program.
func LoadSLOs(raw []byte) ([]slo.SLO, error) {
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("neither YAML nor JSON: %w", err)
	}
	if stack, ok := doc.(map[string]any); ok {
		config, isStack := stack["config"].(map[string]any)
		if !isStack {
			return nil, fmt.Errorf("expected a list of {name, service, kind, objective, thresholdMs, window}, or a Pulumi stack file with %s under config", SLOsKey)
		}
		doc = config[SLOsKey]
		if s, isString := doc.(string); isString {
			return slo.Parse([]byte(s), nil)
		}
	}
	list, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	asJSON, err := yaml.YAMLToJSON(list)
	if err != nil {
		return nil, err
	}
	return slo.Parse(asJSON, nil)
}

// loadSLOs gives the SLOs to judge: the file's (or the defaults), narrowed to the names given.
func loadSLOs(file, names string) ([]slo.SLO, error) {
	slos := slo.Defaults()
	if file != "" {
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--slos: %w", err)
		}
		if slos, err = LoadSLOs(raw); err != nil {
			return nil, fmt.Errorf("--slos %s:\n%w", file, err)
		}
	}
	if names == "" {
		return slos, nil
	}
	var picked []slo.SLO
	for _, n := range strings.Split(names, ",") {
		s, ok := slo.Find(slos, strings.TrimSpace(n))
		if !ok {
			return nil, fmt.Errorf("--slo: no SLO named %q; known: %s", n, strings.Join(slo.Names(slos), ", "))
		}
		picked = append(picked, s)
	}
	return picked, nil
}

// loadWindowsFile reads --windows.
func loadWindowsFile(file string) ([]Window, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--windows: %w", err)
	}
	ws, err := ParseWindows(raw)
	if err != nil {
		return nil, fmt.Errorf("--windows %s:\n%w", file, err)
	}
	return ws, nil
}
