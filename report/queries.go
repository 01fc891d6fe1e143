package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// ErrUnreachable wraps failures to talk to Prometheus at all.
var ErrUnreachable = errors.New("prometheus unreachable")

// Analyzer queries Prometheus. Its SLOs and Settings say what a window's data are (fetchWindow).
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

// reading runs one instant query that should give one number: the first sample, or why there is none.
func (a *Analyzer) reading(ctx context.Context, q string, at time.Time) (Reading, error) {
	vec, err := a.vector(ctx, q, at)
	if err != nil || len(vec) == 0 {
		return Reading{Why: whyNoData}, err
	}
	return readingOf(float64(vec[0].Value)), nil
}

// byService runs one instant query grouped by service (slo.ServiceLabel) and gives each service's reading.
func (a *Analyzer) byService(ctx context.Context, q string, at time.Time) (map[string]Reading, error) {
	vec, err := a.vector(ctx, q, at)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Reading, len(vec))
	for _, s := range vec {
		if svc := string(s.Metric[slo.ServiceLabel]); svc != "" { // a series of no service is no service's figure
			out[svc] = readingOf(float64(s.Value))
		}
	}
	return out, nil
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
	m, err := a.matrix(ctx, q, from, to, step)
	if err != nil || len(m) == 0 {
		return sampled(nil, from, to, step), err
	}
	return sampled(m[0].Values, from, to, step), nil
}

// seriesByService runs a range query grouped by service (slo.ServiceLabel) and samples each service's series
// at every step (gaps are NaN).
func (a *Analyzer) seriesByService(ctx context.Context, q string, from, to time.Time, step time.Duration) (map[string][]Point, error) {
	m, err := a.matrix(ctx, q, from, to, step)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]Point, len(m))
	for _, s := range m {
		out[string(s.Metric[slo.ServiceLabel])] = sampled(s.Values, from, to, step)
	}
	return out, nil
}

func (a *Analyzer) matrix(ctx context.Context, q string, from, to time.Time, step time.Duration) (model.Matrix, error) {
	ctx, cancel := context.WithTimeout(ctx, a.QueryTimeout)
	defer cancel()
	val, _, _, err := a.API.QueryRange(ctx, q, v1.Range{Start: from, End: to, Step: step}, v1.WithTimeout(a.QueryTimeout))
	if err != nil {
		return nil, queryErr(err)
	}
	m, _ := val.(model.Matrix)
	return m, nil
}

// sampled puts a series' samples on the grid from, from+step, … to; a step without a sample is NaN.
func sampled(values []model.SamplePair, from, to time.Time, step time.Duration) []Point {
	var out []Point
	for t := from; !t.After(to); t = t.Add(step) {
		out = append(out, Point{T: t, V: math.NaN()})
	}
	for _, sp := range values {
		i := int(math.Round(float64(sp.Timestamp.Time().Sub(from)) / float64(step)))
		if i >= 0 && i < len(out) {
			out[i].V = float64(sp.Value)
		}
	}
	return out
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
	_, err := a.reading(ctx, "vector(1)", a.now())
	return err
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

// BucketBoundsQuery gives one sample per service and histogram bound (le) that the services' server spans had
// over the range.
func BucketBoundsQuery(rng string) string {
	return fmt.Sprintf(`count by (%s, le) (count_over_time(%s{%s}[%s]))`, slo.ServiceLabel, slo.DurationBucket, slo.AnyServerSpans(), rng)
}
