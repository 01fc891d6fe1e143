//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

// Each fault of the data-plane test: a scenario of the lab's config (switched on with one up, off with
// another), its effect measured on the real container, its recovery, and nothing left in the container.

// podKill: the preset checkout-pod-kill strikes at switch-on (its kick-off Workflow); checkout's container
// dies, and its ReplicaSet's new pod becomes Ready on the real node. It returns the strike time (from the
// flip's up returning to the container's death; negative when the kill landed while the up was finishing)
// and the recovery time (from the death to the new pod's Ready).
func (r *dataPlane) podKill(t *testing.T) (strike, recovery time.Duration) {
	pod, ct := r.container(t, dpKill)
	death := WatchDeath(ct)
	defer death.Stop()
	on := r.enable(t, map[string]any{killScenario: map[string]any{"enabled": true}})
	poll(t, r.ctx, 30*time.Second, "checkout's container killed", func(context.Context) (bool, error) { return !death.Died().IsZero(), nil })
	died := death.Died()
	var replacement PodLife
	poll(t, r.ctx, 2*time.Minute, "a Ready replacement of "+pod.Name, func(context.Context) (bool, error) {
		gone, err := r.pods.Replacement(PodLife{UID: string(pod.UID), Owner: ownerOf(pod), Deleted: died})
		replacement = gone
		return err == nil, nil
	})
	strike, recovery = died.Sub(on), replacement.Ready.Sub(died)
	kickOff := scenarios.KickOffName(killScenario)
	exps, err := r.c.Experiments(r.ctx, dpNamespace, v1alpha1.LabelWorkflow+"="+kickOff)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(exps, func(e Experiment) bool { return slices.Contains(e.Targets, dpNamespace+"/"+pod.Name) }); i < 0 {
		t.Errorf("no experiment of %s records %s as its target: %v", kickOff, pod.Name, exps)
	}
	t.Logf("pod-kill: %s's container (pid %d) died %s after the flip's up returned; %s Ready %s later, on %s",
		pod.Name, ct.PID, strike.Round(time.Millisecond), replacement.Name, recovery.Round(time.Millisecond), RealNodeName)
	r.switchOffAll(t)
	return strike, recovery
}

func ownerOf(p *corev1.Pod) string {
	if ref := metav1.GetControllerOf(p); ref != nil {
		return ref.Kind + "/" + ref.Name
	}
	return ""
}

// containerKill: checkout's container is killed in place; the kubelet restarts it in the same pod, which is
// Ready again.
func (r *dataPlane) containerKill(t *testing.T) {
	const name = "e2e-checkout-container-kill"
	pod, ct := r.container(t, dpKill)
	restarts := restartCount(pod, dpKill)
	death := WatchDeath(ct)
	defer death.Stop()
	r.strike(t, name, map[string]any{name: map[string]any{"enabled": true, "fault": "container-kill", "target": dpKill, "duration": "10s"}})
	poll(t, r.ctx, 30*time.Second, "checkout's container killed", func(context.Context) (bool, error) { return !death.Died().IsZero(), nil })
	var ready time.Time
	var after *corev1.Pod
	poll(t, r.ctx, 2*time.Minute, "checkout's container restarted and Ready", func(ctx context.Context) (bool, error) {
		p, err := r.c.Client.CoreV1().Pods(dpNamespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		after, ready = p, time.Now()
		return restartCount(p, dpKill) > restarts && podReady(p), nil
	})
	restarted, err := r.node.containerOf(r.ctx, after, dpKill)
	if err != nil {
		t.Fatal(err)
	}
	if restarted.PID == ct.PID || restarted.ID == ct.ID {
		t.Errorf("the container was not replaced: pid %d → %d, id %s → %s", ct.PID, restarted.PID, ct.ID, restarted.ID)
	}
	t.Logf("container-kill: %s/%s (pid %d) died, restart %d (pid %d) in the same pod, Ready %s after the death",
		pod.Name, dpKill, ct.PID, restartCount(after, dpKill), restarted.PID, ready.Sub(death.Died()).Round(time.Millisecond))
	r.switchOffAll(t)
}

func restartCount(p *corev1.Pod, container string) int32 {
	for _, st := range p.Status.ContainerStatuses {
		if st.Name == container {
			return st.RestartCount
		}
	}
	return -1
}

// podFailure: for its window, currency's container runs the pause image instead of the workload (the pod is
// not Ready); after it, the workload again.
func (r *dataPlane) podFailure(t *testing.T) {
	const name, window = "e2e-currency-pod-failure", 20 * time.Second
	pod, before := r.container(t, dpFailure)
	// Read now: the process is gone once the image is swapped.
	beforeExe := before.Exe()
	if beforeExe != "/workload" {
		t.Fatalf("currency's container runs %q before the pod failure, want /workload", beforeExe)
	}
	exp, _ := r.strike(t, name, map[string]any{name: map[string]any{"enabled": true, "fault": "pod-failure", "target": dpFailure,
		"duration": window.String()}})
	var paused Container
	var pausedAt time.Time
	poll(t, r.ctx, 30*time.Second, "currency's container running pause", func(ctx context.Context) (bool, error) {
		p, err := r.c.Client.CoreV1().Pods(dpNamespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		ct, err := r.node.containerOf(ctx, p, dpFailure)
		if err != nil || ct.Exe() != "/pause" {
			return false, nil
		}
		paused, pausedAt = ct, time.Now()
		return !podReady(p), nil
	})
	t.Logf("pod-failure: %s applied; currency's container now runs %s (pid %d, was %s pid %d), the pod is not Ready",
		exp, paused.Exe(), paused.PID, beforeExe, before.PID)
	var back time.Time
	poll(t, r.ctx, window+time.Minute, "currency's workload back and Ready", func(ctx context.Context) (bool, error) {
		p, err := r.c.Client.CoreV1().Pods(dpNamespace).Get(ctx, paused.Pod, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		ct, err := r.node.containerOf(ctx, p, dpFailure)
		back = time.Now()
		return err == nil && ct.Exe() == "/workload" && podReady(p), nil
	})
	outage := back.Sub(pausedAt)
	t.Logf("pod-failure: the workload runs and is Ready again %s after pause was first seen (window %s)", outage.Round(time.Millisecond), window)
	if outage < window/2 {
		t.Errorf("pause ran for %s only; the window is %s", outage, window)
	}
	r.switchOffAll(t)
}

// cpuStress: one stress worker at load percent in recommendation's container; the CPU that the lab's
// Prometheus reads from the kubelet's cAdvisor for that container reaches the asked load. It returns what was
// reached (cores, cAdvisor) and asked. cAdvisor stamps its samples with its own housekeeping time (every 10 s
// or more for a container, not every scrape), so the window is 30 s: a rate needs two samples in it.
func (r *dataPlane) cpuStress(t *testing.T, load int) (reached, asked float64) {
	name := fmt.Sprintf("e2e-cpu-stress-%d", load)
	const measure = 30 * time.Second
	pod, ct := r.container(t, dpStress)
	asked = float64(load) / 100
	r.strike(t, name, map[string]any{name: map[string]any{"enabled": true, "fault": "cpu-stress", "target": dpStress,
		"workers": "1", "load": load, "duration": "60s"}})
	// stress-ng needs a moment to reach its load; then one measurement window, read two ways.
	time.Sleep(5 * time.Second)
	procs, err := ct.stressProcesses()
	if err != nil || !slices.ContainsFunc(procs, func(p string) bool { return len(p) > 9 && p[:9] == "stress-ng" }) {
		t.Errorf("no stress-ng in %s's pid namespace during the fault: %v %v", pod.Name, procs, err)
	}
	c0, err := ct.CPUSeconds()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(measure)
	c1, err := ct.CPUSeconds()
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now()
	cgroupCores := (c1 - c0) / measure.Seconds()
	// The panel's own series: container_cpu_usage_seconds_total of the container, scraped from cAdvisor.
	q := fmt.Sprintf(`sum(rate(container_cpu_usage_seconds_total{namespace=%q, pod=%q, container=%q}[%s]))`,
		dpNamespace, pod.Name, dpStress, model.Duration(measure))
	// The samples of the window arrive with later scrapes (their timestamps are cAdvisor's).
	poll(t, r.ctx, 30*time.Second, "cAdvisor's CPU series of the window", func(context.Context) (bool, error) {
		reached, err = r.instant(q, end)
		return err == nil, nil
	})
	t.Logf("cpu-stress: asked %.2f core (1 worker at %d%%); cAdvisor via the lab's Prometheus %.2f, the cgroup's cpuacct %.2f (over %s)",
		asked, load, reached, cgroupCores, measure)
	if reached < 0.6*asked || reached > asked+0.25 {
		t.Errorf("cpu-stress: cAdvisor shows %.2f cores; asked %.2f", reached, asked)
	}
	r.switchOffAll(t)
	r.assertClean(t, "after cpu-stress's switch-off", dpStress)
	return reached, asked
}

// memoryStress: recommendation's working set, as cAdvisor reports it, rises by the size asked while the
// fault is on, and falls back after.
func (r *dataPlane) memoryStress(t *testing.T) {
	const name, size, asked = "e2e-memory-stress", "128MB", 128e6
	pod, _ := r.container(t, dpStress)
	q := fmt.Sprintf(`sum(container_memory_working_set_bytes{namespace=%q, pod=%q, container=%q})`, dpNamespace, pod.Name, dpStress)
	if err := r.prom.WaitScraped(r.ctx, cadvisorJob, time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	base, err := r.instant(q, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r.strike(t, name, map[string]any{name: map[string]any{"enabled": true, "fault": "memory-stress", "target": dpStress, "size": size,
		"duration": "40s"}})
	var peak float64
	poll(t, r.ctx, 40*time.Second, "the working set up by "+size, func(ctx context.Context) (bool, error) {
		v, err := r.instant(q, time.Now())
		peak = math.Max(peak, v)
		return err == nil && peak-base >= 0.9*asked, nil
	})
	t.Logf("memory-stress: %s's working set (cAdvisor) %.0f MB before, %.0f MB under %s (+%.0f MB)", pod.Name, base/1e6, peak/1e6, size, (peak-base)/1e6)
	r.switchOffAll(t)
	var after float64
	poll(t, r.ctx, time.Minute, "the working set back down", func(ctx context.Context) (bool, error) {
		after, err = r.instant(q, time.Now())
		return err == nil && after < base+asked/4, nil
	})
	t.Logf("memory-stress: %.0f MB after the switch-off", after/1e6)
	r.assertClean(t, "after memory-stress's switch-off", dpStress)
}

// instant evaluates a query that returns one value.
func (r *dataPlane) instant(q string, at time.Time) (float64, error) {
	val, _, _, err := r.prom.API.Query(r.ctx, q, at)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", q, err)
	}
	vec, _ := val.(model.Vector)
	if len(vec) != 1 {
		return 0, fmt.Errorf("%s: %d series at %s, want 1", q, len(vec), at.Format(time.RFC3339))
	}
	return float64(vec[0].Value), nil
}

// Calls is the workload client's summary of its calls (e2e/images/workload).
type Calls struct {
	Calls          int     `json:"calls"`
	Errors         int     `json:"errors"`
	Bytes          int64   `json:"bytes"`
	MaxLatencyMs   float64 `json:"maxLatencyMs"`
	BytesPerSecond float64 `json:"bytesPerSecond"`
	LastError      string  `json:"lastError"`
}

// calls asks frontend's client what its calls to product-catalog did in [from, to).
func (r *dataPlane) calls(t *testing.T, from, to time.Time) Calls {
	t.Helper()
	p := r.pod(t, dpClient)
	u := fmt.Sprintf("http://%s:%d/calls?%s", p.Status.PodIP, WorkloadPort, url.Values{
		"from": {strconv.FormatInt(from.UnixMilli(), 10)}, "to": {strconv.FormatInt(to.UnixMilli(), 10)}}.Encode())
	body, err := httpGet(u)
	if err != nil {
		t.Fatal(err)
	}
	var c Calls
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// sleepUntil sleeps until at.
func sleepUntil(at time.Time) { time.Sleep(time.Until(at)) }

// partition: frontend → product-catalog; while it is on, every call of frontend's client fails, and after it
// every call passes.
func (r *dataPlane) partition(t *testing.T) {
	const name, window = "e2e-frontend-partition", 20 * time.Second
	baseline := r.calls(t, time.Now().Add(-10*time.Second), time.Now())
	exp, _ := r.strike(t, name, map[string]any{name: map[string]any{"enabled": true, "fault": "network-partition", "target": dpClient,
		"to": dpServer, "duration": window.String()}})
	// Records keep whole seconds; calls time out after 2 s.
	applied := exp.Applied[0].Add(time.Second)
	sleepUntil(applied.Add(12 * time.Second))
	during := r.calls(t, applied.Add(2*time.Second), applied.Add(12*time.Second))
	recovered := r.recovered(t, name, window)
	sleepUntil(recovered.Add(8 * time.Second))
	after := r.calls(t, recovered.Add(2*time.Second), recovered.Add(8*time.Second))
	t.Logf("partition %s → %s: before %d calls, %d errors; during %d calls, %d errors (%s); after %d calls, %d errors",
		dpClient, dpServer, baseline.Calls, baseline.Errors, during.Calls, during.Errors, during.LastError, after.Calls, after.Errors)
	if baseline.Calls == 0 || baseline.Errors > 0 {
		t.Errorf("before the partition: %+v, want calls without errors", baseline)
	}
	if during.Calls == 0 || during.Errors != during.Calls {
		t.Errorf("during the partition: %+v, want every call to fail", during)
	}
	if after.Calls == 0 || after.Errors > 0 {
		t.Errorf("after the partition: %+v, want calls without errors", after)
	}
	r.switchOffAll(t)
	r.assertClean(t, "after the partition's switch-off", dpClient, dpServer)
}

// recovered waits until the one-shot scenario's experiment records its recovery, and returns when.
func (r *dataPlane) recovered(t *testing.T, name string, window time.Duration) time.Time {
	t.Helper()
	var at time.Time
	poll(t, r.ctx, window+time.Minute, name+" recovered", func(ctx context.Context) (bool, error) {
		exps, err := r.c.Experiments(ctx, dpNamespace, v1alpha1.LabelWorkflow+"="+name)
		if err != nil {
			return false, err
		}
		for _, e := range exps {
			if len(e.Recovered) > 0 {
				at = e.Recovered[len(e.Recovered)-1].Add(time.Second)
				return true, nil
			}
		}
		// Chaos Mesh deletes a finished step's chaos object: that is a recovery too.
		run, err := r.c.Workflow(ctx, dpNamespace, name)
		if err == nil && run.Accomplished {
			at = time.Now()
			return true, nil
		}
		return false, nil
	})
	return at
}

// bandwidthRate is the limit asked of product-catalog's egress, and in bytes per second (tc's mbit is 10^6
// bits per second).
const (
	bandwidthRate        = "4mbit"
	bandwidthBytesPerSec = 4e6 / 8
)

// bandwidth: product-catalog's egress is limited (without `to`: with a peer Chaos Mesh needs the prio and sfq
// qdiscs, which this kernel lacks); the throughput that frontend's client measures drops near the rate, and
// comes back after.
func (r *dataPlane) bandwidth(t *testing.T) {
	const name, window = "e2e-catalog-bandwidth", 25 * time.Second
	baseline := r.calls(t, time.Now().Add(-10*time.Second), time.Now())
	exp, _ := r.strike(t, name, map[string]any{name: map[string]any{"enabled": true, "fault": "network-bandwidth", "target": dpServer,
		"rate": bandwidthRate, "duration": window.String()}})
	applied := exp.Applied[0].Add(time.Second)
	sleepUntil(applied.Add(15 * time.Second))
	during := r.calls(t, applied.Add(3*time.Second), applied.Add(15*time.Second))
	recovered := r.recovered(t, name, window)
	sleepUntil(recovered.Add(8 * time.Second))
	after := r.calls(t, recovered.Add(2*time.Second), recovered.Add(8*time.Second))
	t.Logf("bandwidth %s on %s: the client's throughput %.0f kB/s before, %.0f kB/s during (limit %.0f kB/s), %.0f kB/s after",
		bandwidthRate, dpServer, baseline.BytesPerSecond/1e3, during.BytesPerSecond/1e3, bandwidthBytesPerSec/1e3, after.BytesPerSecond/1e3)
	if during.Errors > 0 || during.BytesPerSecond > 1.2*bandwidthBytesPerSec || during.BytesPerSecond < 0.4*bandwidthBytesPerSec {
		t.Errorf("during the limit: %+v, want a throughput near %.0f B/s", during, bandwidthBytesPerSec)
	}
	if baseline.BytesPerSecond < 4*bandwidthBytesPerSec || after.BytesPerSecond < 4*bandwidthBytesPerSec {
		t.Errorf("without the limit the throughput must be far above it: before %.0f B/s, after %.0f B/s", baseline.BytesPerSecond, after.BytesPerSecond)
	}
	r.switchOffAll(t)
	r.assertClean(t, "after the bandwidth limit's switch-off", dpServer)
}

// timeSkew: product-catalog's clock, as its process reads it (time.Now through the vDSO, which TimeChaos
// patches), is an hour behind while the fault is on, and right after.
func (r *dataPlane) timeSkew(t *testing.T) {
	const name, window, offset = "e2e-catalog-time-skew", 20 * time.Second, -time.Hour
	r.strike(t, name, map[string]any{name: map[string]any{"enabled": true, "fault": "time-skew", "target": dpServer,
		"offset": offset.String(), "duration": window.String()}})
	var skew time.Duration
	poll(t, r.ctx, 15*time.Second, "product-catalog's clock shifted by "+offset.String(), func(context.Context) (bool, error) {
		var err error
		skew, err = r.clockSkew()
		return err == nil && (skew-offset).Abs() < 5*time.Second, nil
	})
	t.Logf("time-skew: product-catalog's clock is %s off this machine's", skew.Round(time.Millisecond))
	r.recovered(t, name, window)
	poll(t, r.ctx, 30*time.Second, "product-catalog's clock right again", func(context.Context) (bool, error) {
		var err error
		skew, err = r.clockSkew()
		return err == nil && skew.Abs() < 5*time.Second, nil
	})
	t.Logf("time-skew: after recovery %s", skew.Round(time.Millisecond))
	r.switchOffAll(t)
}

// clockSkew is product-catalog's clock minus this machine's, at the middle of the request.
func (r *dataPlane) clockSkew() (time.Duration, error) {
	start := time.Now()
	body, err := httpGet(fmt.Sprintf("http://%s:%d/time", r.serverIP, WorkloadPort))
	if err != nil {
		return 0, err
	}
	mid := start.Add(time.Since(start) / 2)
	var v struct {
		UnixNano int64 `json:"unixNano"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return 0, err
	}
	return time.Unix(0, v.UnixNano).Sub(mid), nil
}
