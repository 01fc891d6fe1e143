// Package telemetry is the format of e2e/results/telemetry.json, the spine's measured footprint that
// `make bench` (TestSpineBench) writes: for each part the peak memory and CPU it used under a load shaped
// like the shop's, and the limit it ran with. The README's table of the spine is made from it (Table), and
// the budgets are checked against it (Check).
package telemetry

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Headroom is how far above its measured peak every limit must be: a measurement on one machine, with a
// generated load, is not the worst a lab will see.
const Headroom = 1.25

// File is telemetry.json.
type File struct {
	// Measured is the date of the run, Machine what it ran on.
	Measured string `json:"measured"`
	Machine  string `json:"machine"`
	// Versions are the programs' versions.
	Versions map[string]string `json:"versions"`
	// Loads are the phases of the run, by name (default, max, fill).
	Loads map[string]Load `json:"loads"`
	Parts []Part          `json:"parts"`
	// ControlPlane are the Kubernetes control plane's processes with the lab's objects loaded, over the same
	// run: what a single-node cluster runs beside the lab.
	ControlPlane []Process `json:"controlPlane"`
}

// Process is one measured process that is not the lab's.
type Process struct {
	Name          string  `json:"name"`
	PeakMiB       float64 `json:"peakMiB"`
	CPUMillicores float64 `json:"cpuMillicores"`
}

// Load is one phase of the run: how many of the load generator's virtual users, at what compression of
// time, and what that made.
type Load struct {
	VUs                 int     `json:"vus"`
	Speed               float64 `json:"speed"`
	Seconds             int     `json:"seconds"`
	IterationsPerSecond float64 `json:"iterationsPerSecond"`
	SpansPerSecond      float64 `json:"spansPerSecond"`
	TracesPerSecond     float64 `json:"tracesPerSecond"`
	// PodRestartSeconds is how often a shop pod was replaced, as a pod-kill would (0: never).
	PodRestartSeconds int    `json:"podRestartSeconds,omitempty"`
	Note              string `json:"note,omitempty"`
}

// Part is one measured process.
type Part struct {
	Part      string `json:"part"`
	Container string `json:"container"`
	// LimitMiB is the container's memory limit that the part ran with: its config derives GOMEMLIMIT (and the
	// collector's memory_limiter) from it.
	LimitMiB int `json:"limitMiB"`
	// PeakMiB is the kernel's peak resident memory of the process over the whole run (VmHWM);
	// PeakAnonMiB its anonymous part, sampled every second.
	PeakMiB     float64 `json:"peakMiB"`
	PeakAnonMiB float64 `json:"peakAnonMiB"`
	// GoHeapMiB is the highest Go heap that the process reported in its own metrics (0: none).
	GoHeapMiB float64 `json:"goHeapMiB,omitempty"`
	// CPUMillicores is the mean CPU per phase; CPUP95Millicores the 95th percentile of 10 s windows.
	CPUMillicores    map[string]float64 `json:"cpuMillicores"`
	CPUP95Millicores map[string]float64 `json:"cpuP95Millicores"`
	// Load names the phase that made the peak, and Detail what the part held then (series, traces).
	Load   string `json:"load"`
	Detail string `json:"detail,omitempty"`
}

// Read reads a telemetry.json.
func Read(path string) (File, error) {
	var f File
	raw, err := os.ReadFile(path)
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return f, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Write writes it, indented, with a final newline.
func (f File) Write(path string) error {
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(raw, '\n'), 0o644)
}

// Check lists the parts whose limit is below Headroom × their peak, or that lack a measurement. limits are
// the limits to check, by part (the lab's budgets now); a part that limits does not name is checked with the
// limit it ran with.
func (f File) Check(limits map[string]int) []string {
	var out []string
	if len(f.Parts) == 0 {
		out = append(out, "no part measured")
	}
	for _, p := range f.Parts {
		limit := p.limit(limits)
		switch {
		case p.PeakMiB <= 0 || limit <= 0:
			out = append(out, fmt.Sprintf("%s: peak %.1f MiB, limit %d MiB: not measured", p.Part, p.PeakMiB, limit))
		case float64(limit) < Headroom*p.PeakMiB:
			out = append(out, fmt.Sprintf("%s: limit %d MiB is below %.2f × its measured peak %.1f MiB = %.0f MiB",
				p.Part, limit, Headroom, p.PeakMiB, Headroom*p.PeakMiB))
		}
	}
	return out
}

func (p Part) limit(limits map[string]int) int {
	if l, ok := limits[p.Part]; ok {
		return l
	}
	return p.LimitMiB
}

// Table is the README's table of the measured parts, with limits as in Check: a limit other than the one
// the part ran with says so.
func (f File) Table(limits map[string]int) string {
	var b strings.Builder
	b.WriteString("| part | peak RSS (Go heap) | limit | limit ÷ peak | mean CPU at default / max / fill load |\n")
	b.WriteString("|---|---:|---:|---:|---:|\n")
	for _, p := range f.Parts {
		heap := ""
		if p.GoHeapMiB > 0 {
			heap = fmt.Sprintf(" (%.0f)", p.GoHeapMiB)
		}
		limit := p.limit(limits)
		ran := ""
		if limit != p.LimitMiB {
			ran = fmt.Sprintf(" (measured at %d Mi)", p.LimitMiB)
		}
		fmt.Fprintf(&b, "| %s | %.0f Mi%s | %d Mi%s | %.2f | %.0fm / %.0fm / %.0fm |\n", p.Part, p.PeakMiB, heap,
			limit, ran, float64(limit)/p.PeakMiB, p.CPUMillicores["default"], p.CPUMillicores["max"], p.CPUMillicores["fill"])
	}
	return b.String()
}
