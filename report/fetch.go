package report

import (
	"context"
	"math"
	"slices"
	"strconv"

	"github.com/prometheus/common/model"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// fetchWindow reads everything that one window is judged from, once: every service's server-span figures (one
// query per figure and period, grouped by service), each SLO's SLI and rolling SLI, the target's
// kube-state-metrics, and, when a latency SLI read nothing, the histogram bounds that say why.
func (a *Analyzer) fetchWindow(ctx context.Context, sp Span) (WindowData, error) {
	d := WindowData{Span: sp}
	var err error
	if d.Services, err = a.fetchServices(ctx, sp); err != nil {
		return d, err
	}
	for _, s := range a.SLOs {
		sd, err := a.fetchSLI(ctx, s, sp)
		if err != nil {
			return d, err
		}
		d.SLIs = append(d.SLIs, sd)
	}
	if d.Target, err = a.fetchTarget(ctx, sp); err != nil {
		return d, err
	}
	if latencySLIMissing(d.SLIs) {
		d.Bounds, err = a.fetchBounds(ctx, sp)
	}
	return d, err
}

// serviceFigures are the per-service figures of a window: one query each, grouped by service.
var serviceFigures = []struct {
	query func(rng string) string
	of    func(*ServiceData) *Periods
}{
	{slo.P95ByServiceQuery, func(d *ServiceData) *Periods { return &d.P95Ms }},
	{slo.ErrorRatioByServiceQuery, func(d *ServiceData) *Periods { return &d.ErrorRatio }},
	{slo.RequestRateByServiceQuery, func(d *ServiceData) *Periods { return &d.RequestRate }},
}

// fetchServices reads every figure of every service over each period of the span. A service absent from a
// period's result reads "no data" there.
func (a *Analyzer) fetchServices(ctx context.Context, sp Span) (map[string]ServiceData, error) {
	read := map[string]*ServiceData{}
	for _, fig := range serviceFigures {
		for _, per := range sp.periods(a.Settings) {
			got, err := a.byService(ctx, fig.query(per.rng), per.at)
			if err != nil {
				return nil, err
			}
			for svc, r := range got {
				if read[svc] == nil {
					u := unread(sp)
					read[svc] = &ServiceData{P95Ms: u, ErrorRatio: u, RequestRate: u}
				}
				*per.of(fig.of(read[svc])) = r
			}
		}
	}
	out := make(map[string]ServiceData, len(read))
	for svc, d := range read {
		out[svc] = *d
	}
	return out, nil
}

// unread are the readings of a quantity before anything is read: no data, and "after" not observed yet when
// it has not passed.
func unread(sp Span) Periods {
	p := Periods{Baseline: Reading{Why: whyNoData}, During: Reading{Why: whyNoData}, After: Reading{Why: whyNoData}}
	if !sp.AfterObserved {
		p.After.Why = whyNotObservedYet
	}
	return p
}

// fetchSLI reads one SLO's SLI over each period of the span, and its rolling SLI from the start of the window
// to the end of "after".
func (a *Analyzer) fetchSLI(ctx context.Context, s slo.SLO, sp Span) (SLIData, error) {
	st := a.Settings
	d := SLIData{SLO: s, SLI: unread(sp)}
	for _, per := range sp.periods(st) {
		r, err := a.reading(ctx, s.SLIQuery(per.rng), per.at)
		if err != nil {
			return d, err
		}
		*per.of(&d.SLI) = r
	}
	if sp.AfterEnd.After(sp.Start) {
		var err error
		if d.Rolling, err = a.series(ctx, s.SLIQuery(promRange(st.RateWindow)), sp.Start, sp.AfterEnd, st.Step); err != nil {
			return d, err
		}
	}
	return d, nil
}

// fetchTarget reads the target Deployment's not-ready replicas and container restarts from the start of the
// window to the end of "after". Without a target, it reads the first SLO's service, whose impact is shown.
func (a *Analyzer) fetchTarget(ctx context.Context, sp Span) (TargetData, error) {
	st := a.Settings
	d := TargetData{Deployment: sp.Target, Restarts: Reading{Why: whyNoData}}
	if d.Deployment == "" && len(a.SLOs) > 0 {
		d.Deployment = a.SLOs[0].Service
	}
	if d.Deployment == "" || !sp.AfterEnd.After(sp.Start) {
		return d, nil
	}
	var err error
	if d.NotReady, err = a.series(ctx, NotReadyQuery(st.Namespace, d.Deployment), sp.Start, sp.AfterEnd, st.Step); err != nil {
		return d, err
	}
	d.Restarts, err = a.reading(ctx, RestartsQuery(st.Namespace, d.Deployment, promRange(sp.AfterEnd.Sub(sp.Start))), sp.AfterEnd)
	return d, err
}

// latencySLIMissing says whether a latency SLO read no baseline or nothing during the window.
func latencySLIMissing(slis []SLIData) bool {
	return slices.ContainsFunc(slis, func(d SLIData) bool {
		return d.SLO.Kind == slo.Latency && (d.SLI.Baseline.V == nil || d.SLI.During.V == nil)
	})
}

// fetchBounds reads the histogram bounds that each service's server spans had from the start of the baseline
// to the end of the span. A threshold missing from them is missing at any time: the buckets are the collector's
// configuration, not the traffic's.
func (a *Analyzer) fetchBounds(ctx context.Context, sp Span) (map[string][]float64, error) {
	end := sp.End
	if sp.AfterEnd.After(end) {
		end = sp.AfterEnd
	}
	vec, err := a.vector(ctx, BucketBoundsQuery(promRange(end.Sub(sp.Start.Add(-a.Settings.Baseline)))), end)
	if err != nil {
		return nil, err
	}
	out := map[string][]float64{}
	for _, s := range vec {
		b, err := strconv.ParseFloat(string(s.Metric[model.BucketLabel]), 64)
		if err != nil || math.IsInf(b, 1) {
			continue
		}
		svc := string(s.Metric[slo.ServiceLabel])
		out[svc] = append(out[svc], b)
	}
	for _, bs := range out {
		slices.Sort(bs)
	}
	return out, nil
}
