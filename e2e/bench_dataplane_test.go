//go:build e2e && bench

package e2e

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBenchDataPlane prints the figures of faults on real containers (make bench): the lab on a cluster with
// the real node, as TestDataPlane sets it up, then
//   - three switch-ons of checkout-pod-kill: the strike time, from the flip's up returning to the death of
//     checkout's container, and the recovery time, from that death to the new pod's Ready;
//   - CPU stress at 50 % and 100 % of one worker: the CPU of the container that the kubelet's cAdvisor
//     reports through the lab's Prometheus, against what the scenario asked.
func TestBenchDataPlane(t *testing.T) {
	r := startDataPlane(t)
	var rows [][2]string
	row := func(k, v string) { rows = append(rows, [2]string{k, v}) }
	defer func() {
		var out strings.Builder
		host, _ := os.Hostname()
		fmt.Fprintf(&out, "\nchaos-mesh-otel data-plane bench (%s, %d CPU, %s/%s, kube %s, real node %s)\n", host, runtime.NumCPU(),
			runtime.GOOS, runtime.GOARCH, KubeVersion(), RealNodeName)
		for _, r := range rows {
			fmt.Fprintf(&out, "  %-72s %s\n", r[0], r[1])
		}
		fmt.Print(out.String())
		if f := os.Getenv("E2E_BENCH_OUT"); f != "" {
			_ = os.WriteFile(f+".dataplane", []byte(out.String()), 0o644)
		}
	}()
	var strikes, recoveries []time.Duration
	for i := range 3 {
		t.Run(fmt.Sprintf("pod-kill-%d", i+1), func(t *testing.T) {
			s, rec := r.podKill(t)
			strikes, recoveries = append(strikes, s), append(recoveries, rec)
		})
	}
	row("pod-kill strike: flip's up returned → checkout's container dead (median of 3)", medianOf(strikes))
	row("pod-kill recovery: container dead → new pod Ready on the real node (median of 3)", medianOf(recoveries))
	for _, load := range []int{50, 100} {
		t.Run(fmt.Sprintf("cpu-stress-%d", load), func(t *testing.T) {
			reached, asked := r.cpuStress(t, load)
			row(fmt.Sprintf("cpu-stress, 1 worker at %d %%: cAdvisor (lab's Prometheus) vs asked", load),
				fmt.Sprintf("%.2f of %.2f core (%.0f %%)", reached, asked, 100*reached/asked))
		})
	}
}

// medianOf prints the median and every run, in seconds.
func medianOf(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no data"
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	var runs []string
	for _, d := range ds {
		runs = append(runs, fmt.Sprintf("%.2f", d.Seconds()))
	}
	return fmt.Sprintf("%.2f s (runs %s s)", sorted[len(sorted)/2].Seconds(), strings.Join(runs, ", "))
}
