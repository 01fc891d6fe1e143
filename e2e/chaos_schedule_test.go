//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

// The pod-kill preset on a short interval, so that the test sees several runs. Its duration only bounds the
// experiment's record; a pod-kill is instantaneous.
const (
	killScenario = "checkout-pod-kill"
	killTarget   = "checkout"
	killInterval = 15 * time.Second
)

func killConfig() map[string]any {
	return map[string]any{"enabled": true, "schedule": "@every " + killInterval.String(), "duration": "5s"}
}

// injectionMatch is how far apart a child's Apply record and the pod deletion seen by the watch may be.
const injectionMatch = 3 * time.Second

// applied lists the children that applied their fault, with the time of the first successful Apply.
func applied(kids []Experiment) []Experiment {
	var out []Experiment
	for _, k := range kids {
		if len(k.Applied) > 0 {
			out = append(out, k)
		}
	}
	return out
}

// schedule: the Schedule spawns PodChaos children (label managed-by), each of which really deletes a checkout
// pod, and the ReplicaSet brings a new one to Ready.
func (r *chaosRun) schedule(t *testing.T) {
	on := r.enable(t, map[string]any{killScenario: killConfig()})
	r.scheduleOn = on
	var kids []Experiment
	poll(t, r.ctx, 2*killInterval+time.Minute, "two pod-kills applied by "+killScenario+"'s children", func(ctx context.Context) (bool, error) {
		var err error
		kids, err = r.c.ScheduleChildren(ctx, apps.AstronomyShop.Namespace, killScenario)
		return err == nil && len(applied(kids)) >= 2, nil
	})
	done := applied(kids)
	t.Logf("first pod-kill applied %s after the flip's up returned (the Schedule's interval is %s)",
		done[0].Applied[0].Sub(on).Round(time.Millisecond), killInterval)
	for _, k := range done {
		if k.Kind != "PodChaos" || k.Labels["managed-by"] != killScenario {
			t.Errorf("child %s: kind %s, managed-by %q; want PodChaos managed by %s", k, k.Kind, k.Labels["managed-by"], killScenario)
		}
		if len(k.Failures) > 0 {
			t.Errorf("child %s failed: %v", k, k.Failures)
		}
		killed, ok := r.deletionNear(k.Applied[0], on)
		if !ok {
			t.Errorf("child %s applied at %s, but no %s pod was deleted within %s of it (deletions: %v)",
				k, k.Applied[0].Format(time.RFC3339Nano), killTarget, injectionMatch, r.pods.Deleted(killTarget, on))
			continue
		}
		var repl PodLife
		poll(t, r.ctx, time.Minute, "a Ready replacement of "+killed.Name, func(context.Context) (bool, error) {
			var err error
			repl, err = r.pods.Replacement(killed)
			return err == nil, nil
		})
		if !strings.HasPrefix(killed.Owner, "ReplicaSet/") {
			t.Errorf("killed pod %s is owned by %q, not a ReplicaSet", killed.Name, killed.Owner)
		}
		t.Logf("%s: deleted %s at %s; %s brought %s to Ready %s later", k, killed.Name, killed.Deleted.Format("15:04:05.000"),
			killed.Owner, repl.Name, repl.Ready.Sub(killed.Deleted).Round(time.Millisecond))
	}
}

// deletionNear finds the pod deletion the watch saw within injectionMatch of at.
func (r *chaosRun) deletionNear(at, since time.Time) (PodLife, bool) {
	for _, d := range r.pods.Deleted(killTarget, since.Add(-injectionMatch)) {
		if diff := d.Deleted.Sub(at); diff > -injectionMatch && diff < injectionMatch {
			return d, true
		}
	}
	return PodLife{}, false
}

// reportWindows: `chaoslab report` (report.Run, as the CLI calls it) reads the fault windows of the
// scenario from the live cluster, one per applied child, each starting when the watch saw a pod die.
func (r *chaosRun) reportWindows(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report")
	var stdout, stderr bytes.Buffer
	args := []string{"--prometheus", r.prom.URL, "--kubeconfig", r.c.Kubeconfig, "--namespace", apps.AstronomyShop.Namespace,
		"--scenario", killScenario, "--since", "30m", "--out", out}
	code := report.Run(args, &stdout, &stderr)
	t.Logf("chaoslab report %s: exit %d\n%s%s", strings.Join(args, " "), code, tail(stdout.String(), 2000), stderr.String())
	if code == report.ExitUsage {
		t.Fatalf("chaoslab report refused its arguments or could not reach the cluster")
	}
	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatalf("report.json: %v", err)
	}
	var rep report.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	kids, err := r.c.ScheduleChildren(r.ctx, apps.AstronomyShop.Namespace, killScenario)
	if err != nil {
		t.Fatal(err)
	}
	done := applied(kids)
	// The Schedule may have struck again between the report's reading and ours.
	if n := len(rep.Windows); n == 0 || n > len(done) || n < len(done)-1 {
		t.Fatalf("the report found %d window(s) for %s; the cluster holds %d applied children", n, killScenario, len(done))
	}
	for _, w := range rep.Windows {
		if w.Scenario != killScenario || w.Target != killTarget {
			t.Errorf("window %+v: want scenario %s, target %s", w.Window, killScenario, killTarget)
		}
		killed, ok := r.deletionNear(w.Start, r.scheduleOn)
		if !ok {
			t.Errorf("window %s starting %s matches no pod deletion that the watch saw", w.Source, w.Start.Format(time.RFC3339Nano))
			continue
		}
		t.Logf("window %s: %s .. %s; %s deleted %s after its start", w.Source, w.Start.Format("15:04:05.000"),
			w.End.Format("15:04:05.000"), killed.Name, killed.Deleted.Sub(w.Start).Round(time.Millisecond))
	}
}
