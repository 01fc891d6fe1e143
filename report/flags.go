package report

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/exitcode"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// Exit codes of `chaoslab report`, from the one table of every chaoslab subcommand (package exitcode).
const (
	ExitOK          = exitcode.OK      // every verdict held or degraded
	ExitUsage       = exitcode.Usage   // usage or setup error: bad flags, unreadable file, cluster not reachable
	ExitViolated    = exitcode.Failed  // some verdict violated
	ExitMissingData = exitcode.Unknown // could not judge: data missing, no window found, or Prometheus unreachable
)

// checkOptions refuses missing and out-of-range flags.
func checkOptions(o *Options) error {
	switch {
	case o.Prometheus == "":
		return errors.New("--prometheus is required (or set PROMETHEUS_URL), such as --prometheus http://localhost:9090")
	case o.OutDir == "":
		return errors.New("--out is required: the directory for report.md, report.json and the plots")
	}
	if err := CheckPrometheusURL(o.Prometheus); err != nil {
		return err
	}
	st := o.Settings
	if st.Step <= 0 || st.RateWindow <= 0 || st.Baseline <= 0 || st.After < 0 || st.Consecutive < 1 || st.Tolerance < 0 || st.RecoveryBudget <= 0 {
		return errors.New("--step, --rate-window, --baseline, --recovery-budget must be positive, --after and --tolerance not negative, --consecutive at least 1")
	}
	if mt := st.Observed; mt.P95Floor <= 0 || mt.P95Share < 0 || mt.ErrorRatioFloor <= 0 || mt.ErrorRatioFloor > 1 {
		return errors.New("--observed-p95-floor must be positive, --observed-p95-share not negative, --observed-error-floor in (0, 1] " +
			"(a ratio: 0.01 is one percentage point)")
	}
	return nil
}

// CheckPrometheusURL refuses a Prometheus address that is not an absolute http(s) URL: a usage error, not
// an unreachable Prometheus.
func CheckPrometheusURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--prometheus %q: expected an absolute http(s) URL, such as http://%s", raw, strings.TrimPrefix(raw, "//"))
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

// loadSLOs gives the SLOs to judge: the file's (or the defaults), narrowed to the names given.
func loadSLOs(file, names string) ([]slo.SLO, error) {
	slos := slo.Defaults()
	if file != "" {
		var err error
		if slos, err = LoadSLOFile(file); err != nil {
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
