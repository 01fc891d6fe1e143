package report

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"sort"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// Curve is one named line of a chart.
type Curve struct {
	Name   string
	Points []Point
}

// Chart is one PNG: curves over time with the fault windows shaded.
type Chart struct {
	File, Title, YLabel string
	Curves              []Curve
	Scale               float64 // multiply values for display (100 for percentages)
}

// Charts reads the series of the plots over [from, to]: p95 and error ratio of every SLO's service, target
// and observed service (one query each, grouped by service), and ready replicas of every target.
func (a *Analyzer) Charts(ctx context.Context, wrs []WindowReport, from, to time.Time) ([]Chart, error) {
	st := a.Settings
	step := st.Step
	if span := to.Sub(from); span/step > 5000 {
		step = (span / 5000).Round(time.Second) + time.Second
	}
	var targets, observed []string
	for _, wr := range wrs {
		targets = append(targets, wr.Target, wr.Impact.Service)
		for _, o := range wr.Observed {
			observed = append(observed, o.Service)
		}
	}
	rw := promRange(st.RateWindow)
	p95 := Chart{File: "p95.png", Title: "Latency p95 of server spans (rate over " + rw + ")", YLabel: "ms", Scale: 1}
	errs := Chart{File: "error-ratio.png", Title: "Error ratio of server spans (rate over " + rw + ")", YLabel: "%", Scale: 100}
	services := sortedServices(a.SLOs, append(targets, observed...)...)
	for _, c := range []struct {
		chart *Chart
		query string
	}{{&p95, slo.P95ByServiceQuery(rw)}, {&errs, slo.ErrorRatioByServiceQuery(rw)}} {
		bySvc, err := a.seriesByService(ctx, c.query, from, to, step)
		if err != nil {
			return nil, err
		}
		for _, svc := range services {
			pts, ok := bySvc[svc]
			if !ok {
				pts = sampled(nil, from, to, step)
			}
			c.chart.Curves = append(c.chart.Curves, Curve{Name: svc, Points: pts})
		}
	}
	ready := Chart{File: "ready-pods.png", Title: "Ready replicas of the target Deployment (kube-state-metrics)", YLabel: "pods", Scale: 1}
	for _, svc := range sortedServices(nil, targets...) {
		pts, err := a.series(ctx, ReadyQuery(st.Namespace, svc), from, to, step)
		if err != nil {
			return nil, err
		}
		ready.Curves = append(ready.Curves, Curve{Name: svc, Points: pts})
	}
	return []Chart{p95, errs, ready}, nil
}

var shade = color.NRGBA{R: 230, G: 60, B: 60, A: 50}

// Render writes the chart as a PNG in dir and returns its file name.
func (c Chart) Render(dir string, ws []Window, from, to time.Time) (string, error) {
	p := plot.New()
	p.Title.Text = c.Title
	p.Y.Label.Text = c.YLabel
	p.X.Label.Text = "time (UTC); shaded: fault windows"
	p.X.Tick.Marker = plot.TimeTicks{Format: "15:04:05", Time: plot.UnixTimeIn(time.UTC)}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true

	ymax := 0.0
	for _, cv := range c.Curves {
		for _, pt := range cv.Points {
			if v := pt.V * c.Scale; !math.IsNaN(v) && !math.IsInf(v, 0) && v > ymax {
				ymax = v
			}
		}
	}
	if ymax == 0 {
		ymax = 1
	}
	ymax *= 1.1
	p.Y.Min, p.Y.Max = 0, ymax
	p.X.Min, p.X.Max = unix(from), unix(to)

	for _, w := range ws {
		x0, x1 := math.Max(unix(w.Start), p.X.Min), math.Min(unix(w.End), p.X.Max)
		if x1 <= x0 {
			continue
		}
		poly, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: 0}, {X: x1, Y: 0}, {X: x1, Y: ymax}, {X: x0, Y: ymax}})
		if err != nil {
			return "", err
		}
		poly.Color = shade
		poly.LineStyle.Width = 0
		p.Add(poly)
	}
	drawn, err := c.addCurves(p)
	if err != nil {
		return "", err
	}
	if drawn == 0 {
		p.Title.Text += " — no data"
	}
	if err := p.Save(9*vg.Inch, 3.5*vg.Inch, filepath.Join(dir, c.File)); err != nil {
		return "", fmt.Errorf("plot %s: %w", c.File, err)
	}
	return c.File, nil
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// addCurves draws each curve as lines broken where samples are missing, and returns how many were drawn.
func (c Chart) addCurves(p *plot.Plot) (int, error) {
	drawn := 0
	for i, cv := range c.Curves {
		style := draw.LineStyle{Color: plotutil.Color(i), Width: vg.Points(1.5)}
		var seg plotter.XYs
		legend := false
		flush := func() error {
			if len(seg) == 0 {
				return nil
			}
			l, err := plotter.NewLine(seg)
			if err != nil {
				return err
			}
			l.LineStyle = style
			p.Add(l)
			if !legend {
				p.Legend.Add(cv.Name, l)
				legend = true
			}
			drawn++
			seg = nil
			return nil
		}
		for _, pt := range cv.Points {
			v := pt.V * c.Scale
			if math.IsNaN(v) || math.IsInf(v, 0) {
				if err := flush(); err != nil {
					return drawn, err
				}
				continue
			}
			seg = append(seg, plotter.XY{X: unix(pt.T), Y: v})
		}
		if err := flush(); err != nil {
			return drawn, err
		}
	}
	return drawn, nil
}

// sortedServices are the SLOs' services and the extra ones, once each, sorted.
func sortedServices(slos []slo.SLO, extra ...string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range slos {
		if !seen[s.Service] {
			seen[s.Service] = true
			out = append(out, s.Service)
		}
	}
	for _, s := range extra {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
