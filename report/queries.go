package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// ErrUnreachable wraps failures to talk to Prometheus at all.
var ErrUnreachable = errors.New("prometheus unreachable")

// Analyzer queries Prometheus.
type Analyzer struct {
	API          v1.API
	SLOs         []slo.SLO
	Settings     Settings
	QueryTimeout time.Duration
	Now          func() time.Time
}

func (a *Analyzer) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// promRange writes a duration as a PromQL range in whole seconds (at least 1s).
func promRange(d time.Duration) string {
	s := int64(math.Round(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return fmt.Sprintf("%ds", s)
}

// instant runs one instant query that must give one finite number; otherwise nil and why.
func (a *Analyzer) instant(ctx context.Context, q string, at time.Time) (*float64, string, error) {
	vec, err := a.vector(ctx, q, at)
	if err != nil {
		return nil, "", err
	}
	if len(vec) == 0 {
		return nil, "no data", nil
	}
	v := float64(vec[0].Value)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Sprintf("%v (no traffic)", v), nil
	}
	return &v, "", nil
}

// vector runs one instant query and returns its samples (none when the result is not a vector).
func (a *Analyzer) vector(ctx context.Context, q string, at time.Time) (model.Vector, error) {
	ctx, cancel := context.WithTimeout(ctx, a.QueryTimeout)
	defer cancel()
	val, _, _, err := a.API.Query(ctx, q, at, v1.WithTimeout(a.QueryTimeout))
	if err != nil {
		return nil, queryErr(err)
	}
	vec, _ := val.(model.Vector)
	return vec, nil
}

// Point is one sample of a series; NaN when absent.
type Point struct {
	T time.Time
	V float64
}

// series runs a range query that must give at most one series, sampled at every step (gaps are NaN).
func (a *Analyzer) series(ctx context.Context, q string, from, to time.Time, step time.Duration) ([]Point, error) {
	ctx, cancel := context.WithTimeout(ctx, a.QueryTimeout)
	defer cancel()
	val, _, _, err := a.API.QueryRange(ctx, q, v1.Range{Start: from, End: to, Step: step}, v1.WithTimeout(a.QueryTimeout))
	if err != nil {
		return nil, queryErr(err)
	}
	var out []Point
	for t := from; !t.After(to); t = t.Add(step) {
		out = append(out, Point{T: t, V: math.NaN()})
	}
	m, _ := val.(model.Matrix)
	if len(m) == 0 {
		return out, nil
	}
	for _, sp := range m[0].Values {
		i := int(math.Round(float64(sp.Timestamp.Time().Sub(from)) / float64(step)))
		if i >= 0 && i < len(out) {
			out[i].V = float64(sp.Value)
		}
	}
	return out, nil
}

func queryErr(err error) error {
	var apiErr *v1.Error
	if errors.As(err, &apiErr) && apiErr.Type != v1.ErrClient && apiErr.Type != v1.ErrServer {
		return fmt.Errorf("query rejected: %w", err) // bad_data, execution, ...: Prometheus is there
	}
	return fmt.Errorf("%w: %v", ErrUnreachable, err)
}

// Ping checks that Prometheus answers.
func (a *Analyzer) Ping(ctx context.Context) error {
	_, _, err := a.instant(ctx, "vector(1)", a.now())
	return err
}

// ErrorRatioQuery is the share of a service's server spans that ended in error over the range.
func ErrorRatioQuery(service, rng string) string {
	return slo.SLO{Service: service, Kind: slo.Availability}.ErrorRatioQuery(rng)
}

// NotReadyQuery is desired minus ready replicas of the target Deployment (kube-state-metrics).
func NotReadyQuery(ns, deployment string) string {
	sel := fmt.Sprintf(`{namespace=%q, deployment=%q}`, ns, deployment)
	return fmt.Sprintf(`sum(kube_deployment_spec_replicas%s) - sum(kube_deployment_status_replicas_ready%s)`, sel, sel)
}

// ReadyQuery is the ready replicas of the target Deployment.
func ReadyQuery(ns, deployment string) string {
	return fmt.Sprintf(`sum(kube_deployment_status_replicas_ready{namespace=%q, deployment=%q})`, ns, deployment)
}

// RestartsQuery counts container restarts of the Deployment's pods over the range.
func RestartsQuery(ns, deployment, rng string) string {
	return fmt.Sprintf(`sum(increase(kube_pod_container_status_restarts_total{namespace=%q, pod=~%q}[%s]))`,
		ns, deployment+"-[a-z0-9]+-[a-z0-9]+", rng)
}

// BucketBoundsQuery gives one sample per histogram bound (le) that a service's server spans had over the range.
func BucketBoundsQuery(service, rng string) string {
	return fmt.Sprintf(`count by (le) (count_over_time(%s{%s}[%s]))`, slo.DurationBucket, slo.ServerSpans(service), rng)
}

// explainMissing says why an SLI read nothing, more precisely than "no data" where it can: a latency SLO whose
// threshold is not a bound of the service's histogram reads nothing although the histogram has series, and
// the fix is in the collector's buckets or the SLO's threshold, not in the traffic.
func (a *Analyzer) explainMissing(ctx context.Context, s slo.SLO, why, rng string, at time.Time) (string, error) {
	if s.Kind != slo.Latency {
		return why, nil
	}
	vec, err := a.vector(ctx, BucketBoundsQuery(s.Service, rng), at)
	if err != nil || len(vec) == 0 {
		return why, err
	}
	var bounds []float64
	for _, sample := range vec {
		b, err := strconv.ParseFloat(string(sample.Metric[model.BucketLabel]), 64)
		if err != nil || math.IsInf(b, 1) {
			continue
		}
		if b == s.ThresholdMs {
			return why, nil
		}
		bounds = append(bounds, b)
	}
	slices.Sort(bounds)
	listed := make([]string, len(bounds))
	for i, b := range bounds {
		listed[i] = strconv.FormatFloat(b, 'f', -1, 64)
	}
	return fmt.Sprintf("no le=%q bucket in %s's latency histogram; the collector's buckets are %s ms (a latency SLO's threshold must be one of them)",
		strconv.FormatFloat(s.ThresholdMs, 'f', -1, 64), s.Service, strings.Join(listed, ", ")), nil
}
