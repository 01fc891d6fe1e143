//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
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

// kickOffStrike bounds the time from the flip's up returning to the kick-off's first injection (issue 11's
// target for a scenario switched on).
const kickOffStrike = 15 * time.Second

// schedule: the kick-off Workflow strikes at once, then the Schedule spawns PodChaos children (label
// managed-by); each of them really deletes a checkout pod, and the ReplicaSet brings a new one to Ready.
func (r *chaosRun) schedule(t *testing.T) {
	r.scheduleFrom = time.Now()
	on := r.enable(t, map[string]any{killScenario: killConfig()})
	r.kickOff = r.kickOffStruck(t, on)
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
		killed, ok := r.deletionNear(k.Applied[0], r.scheduleFrom)
		if !ok {
			t.Errorf("child %s applied at %s, but no %s pod was deleted within %s of it (deletions: %v)",
				k, k.Applied[0].Format(time.RFC3339Nano), killTarget, injectionMatch, r.pods.Deleted(killTarget, r.scheduleFrom))
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

// kickOffStruck waits for the pod-kill of the scenario's kick-off Workflow (<scenario>-first), which Chaos
// Mesh deletes when its step ends, and checks that it struck within kickOffStrike of the up and really
// deleted a checkout pod. It returns the kick-off's experiment.
func (r *chaosRun) kickOffStruck(t *testing.T, on time.Time) Experiment {
	kickOff := scenarios.KickOffName(killScenario)
	var kick Experiment
	poll(t, r.ctx, kickOffStrike+10*time.Second, "the pod-kill of "+kickOff+" applied", func(ctx context.Context) (bool, error) {
		steps, err := r.c.Experiments(ctx, apps.AstronomyShop.Namespace, v1alpha1.LabelWorkflow+"="+kickOff)
		if err != nil {
			return false, err
		}
		done := applied(steps)
		if len(done) > 0 {
			kick = done[0]
		}
		return len(done) > 0, nil
	})
	after := kick.Applied[0].Sub(on)
	t.Logf("kick-off %s: %s applied %s after the flip's up returned (records keep whole seconds; the Schedule's first run is one interval, %s, after its creation)",
		kickOff, kick, after.Round(time.Millisecond), killInterval)
	if after > kickOffStrike {
		t.Errorf("the kick-off struck %s after the up returned; want within %s", after.Round(time.Millisecond), kickOffStrike)
	}
	if kick.Kind != "PodChaos" || len(kick.Failures) > 0 {
		t.Errorf("kick-off experiment %s: failures %v", kick, kick.Failures)
	}
	killed, ok := r.deletionNear(kick.Applied[0], r.scheduleFrom)
	if !ok {
		t.Errorf("kick-off %s applied at %s, but no %s pod was deleted within %s of it (deletions: %v)",
			kick, kick.Applied[0].Format(time.RFC3339Nano), killTarget, injectionMatch, r.pods.Deleted(killTarget, r.scheduleFrom))
	} else {
		t.Logf("kick-off %s deleted %s at %s", kick, killed.Name, killed.Deleted.Format("15:04:05.000"))
	}
	return kick
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
// scenario from the live cluster since the switch-on, one per applied child and the kick-off's, each
// starting when the watch saw a pod die. (From the switch-on: the admission step enabled the same scenario
// halted, and Chaos Mesh starts a Workflow created aborted before it sees the abort, so its kick-off struck
// then too; the report finds that window as well.)
func (r *chaosRun) reportWindows(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report")
	var stdout, stderr bytes.Buffer
	args := []string{"--prometheus", r.prom.URL, "--kubeconfig", r.c.Kubeconfig, "--namespace", apps.AstronomyShop.Namespace,
		"--scenario", killScenario, "--from", r.scheduleFrom.UTC().Format(time.RFC3339), "--out", out}
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
	// One window per applied child, and the kick-off's, whose experiment Chaos Mesh deleted when its step
	// ended (the report reads it from its events). The Schedule may have struck again between the report's
	// reading and ours.
	if n := len(rep.Windows); n > len(done)+1 || n < len(done) {
		t.Fatalf("the report found %d window(s) for %s; the cluster holds %d applied children, and the kick-off struck once", n, killScenario, len(done))
	}
	kickSource := "PodChaos/" + apps.AstronomyShop.Namespace + "/" + r.kickOff.Name
	if !slices.ContainsFunc(rep.Windows, func(w report.WindowReport) bool {
		return w.Source == kickSource && w.Start.Equal(r.kickOff.Applied[0])
	}) {
		t.Errorf("the report has no window of the kick-off's strike (%s, applied %s)", kickSource, r.kickOff.Applied[0].Format(time.RFC3339))
	}
	for _, w := range rep.Windows {
		if w.Scenario != killScenario || w.Target != killTarget {
			t.Errorf("window %+v: want scenario %s, target %s", w.Window, killScenario, killTarget)
		}
		killed, ok := r.deletionNear(w.Start, r.scheduleFrom)
		if !ok {
			t.Errorf("window %s starting %s matches no pod deletion that the watch saw", w.Source, w.Start.Format(time.RFC3339Nano))
			continue
		}
		t.Logf("window %s: %s .. %s; %s deleted %s after its start", w.Source, w.Start.Format("15:04:05.000"),
			w.End.Format("15:04:05.000"), killed.Name, killed.Deleted.Sub(w.Start).Round(time.Millisecond))
	}
}
