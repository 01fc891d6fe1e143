package wiring

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// The checks, by name.
const (
	CheckEndpoints  = "endpoints"
	CheckCollector  = "collector"
	CheckPrometheus = "prometheus"
	CheckScenarios  = "scenarios"
	CheckMetrics    = "metrics"
)

// Finding is one broken connection. It names the object, the field and the peer that is missing.
type Finding struct {
	Check   string // one of the Check* names
	Object  string // the object at fault: Kind namespace/name
	Field   string // the field of that object, e.g. spec.template.spec.containers[cart].env[VALKEY_ADDR]
	Missing string // the missing peer, e.g. "Service otel-demo/valkey-cart exposing port 6379"
	Detail  string // what was found instead, when that helps
}

func (f Finding) String() string {
	s := fmt.Sprintf("[%s] %s: %s: missing %s", f.Check, f.Object, f.Field, f.Missing)
	if f.Detail != "" {
		s += " (" + f.Detail + ")"
	}
	return s
}

// Report is the outcome of the checks.
type Report struct {
	Findings []Finding
	// Notes are things deliberately not counted as findings (ignored addresses of switched-off optional
	// components, checks skipped because a tool is missing, jobs that need nodes), so that nothing is hidden.
	Notes []string
	// Blast is the blast radius of every enabled scenario.
	Blast []Blast
}

// Options tune Check.
type Options struct {
	// Promtool is the promtool binary for `promtool check config`; empty looks it up in PATH.
	Promtool string
	// RequirePromtool makes a missing promtool a finding instead of a note (CI sets it).
	RequirePromtool bool
	// SkipPromtool skips `promtool check config` altogether.
	SkipPromtool bool
}

// Check runs all five checks over the objects.
func Check(objs *Objects, opts Options) *Report {
	r := &Report{}
	r.add(CheckEndpointsOf(objs))
	r.add(CheckCollectorOf(objs))
	prom := CheckPrometheusOf(objs, opts)
	r.add(prom.Partial)
	sc := CheckScenariosOf(objs)
	r.add(sc.Partial)
	r.Blast = sc.Blast
	r.add(CheckMetricsOf(objs, &prom))
	return r
}

func (r *Report) add(p Partial) {
	r.Findings = append(r.Findings, p.Findings...)
	r.Notes = append(r.Notes, p.Notes...)
}

// Partial is the result of one check.
type Partial struct {
	Findings []Finding
	Notes    []string
}

func (p *Partial) find(check, object, field, missing, detail string) {
	p.Findings = append(p.Findings, Finding{Check: check, Object: object, Field: field, Missing: missing, Detail: detail})
}

func (p *Partial) note(format string, args ...any) {
	p.Notes = append(p.Notes, fmt.Sprintf(format, args...))
}

// WriteFindings prints the findings, one a line, sorted, and the notes.
func (r *Report) WriteFindings(w io.Writer) {
	lines := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		lines[i] = f.String()
	}
	sort.Strings(lines)
	if len(lines) == 0 {
		fmt.Fprintln(w, "wiring: no findings")
	} else {
		fmt.Fprintf(w, "wiring: %d finding(s)\n", len(lines))
		for _, l := range lines {
			fmt.Fprintln(w, "  "+l)
		}
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "notes:")
		for _, n := range r.Notes {
			fmt.Fprintln(w, "  "+n)
		}
	}
}

// FindingsOf returns the findings of one check.
func (r *Report) FindingsOf(check string) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Check == check {
			out = append(out, f)
		}
	}
	return out
}

func joinSorted(items []string) string {
	s := append([]string(nil), items...)
	sort.Strings(s)
	return strings.Join(s, ", ")
}
