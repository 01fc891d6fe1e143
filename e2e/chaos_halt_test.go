//go:build e2e

package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

// A pod-failure Schedule whose child is still running when halt comes (a pod-kill child is over at once),
// and a two-step game day whose first step is running then.
const (
	failureScenario = "e2e-currency-pod-failure"
	failureInterval = 20 * time.Second
	haltGameday     = "e2e-halt-gameday"
	haltStep1       = "e2e-halt-step-1"
	haltStep2       = "e2e-halt-step-2"
	// haltStep1Duration is long enough to be still running when halt comes, and short enough that without
	// the abort the second step would start while the test watches.
	haltStep1Duration = time.Minute
)

func failureConfig() map[string]any {
	return map[string]any{"enabled": true, "fault": "pod-failure", "target": "currency", "mode": "one",
		"schedule": "@every " + failureInterval.String(), "duration": "15s"}
}

func haltConfig() map[string]any {
	return map[string]any{
		killScenario:    killConfig(),
		failureScenario: failureConfig(),
		haltGameday:     map[string]any{"enabled": true, "steps": []any{haltStep1, haltStep2}},
		haltStep1:       map[string]any{"fault": "pod-failure", "target": "ad", "duration": haltStep1Duration.String()},
		haltStep2:       map[string]any{"fault": "pod-kill", "target": "cart", "duration": "5s"},
	}
}

// halt: one up with halt=true pauses the running child of a Schedule, aborts a Workflow mid-step, and for two
// intervals nothing new starts; one up with halt=false and the Schedules spawn again.
func (r *chaosRun) halt(t *testing.T) {
	r.enable(t, haltConfig())
	var running, step1 Experiment
	poll(t, r.ctx, 2*failureInterval+time.Minute, "a freshly injected child of "+failureScenario+" and the game day's first step injected",
		func(ctx context.Context) (bool, error) {
			kids, err := r.c.ScheduleChildren(ctx, apps.AstronomyShop.Namespace, failureScenario)
			if err != nil {
				return false, err
			}
			// Halting needs a child that stays in effect for the halt's up: one applied in the last 3 s of its
			// 15 s (records keep whole seconds).
			i := slices.IndexFunc(kids, func(e Experiment) bool {
				return e.Injected && len(e.Applied) > 0 && time.Since(e.Applied[len(e.Applied)-1]) < 3*time.Second
			})
			if i < 0 {
				return false, nil
			}
			running = kids[i]
			steps, err := r.c.Experiments(ctx, apps.AstronomyShop.Namespace, v1alpha1.LabelWorkflow+"="+haltGameday)
			if err != nil {
				return false, err
			}
			j := slices.IndexFunc(steps, func(e Experiment) bool { return e.Injected && len(e.Applied) > 0 })
			if j >= 0 {
				step1 = steps[j]
			}
			return j >= 0, nil
		})

	pauseImage := r.cc.EnvValue("POD_FAILURE_PAUSE_IMAGE")
	if img, err := r.targetImages(running); err != nil || !slices.Contains(img, pauseImage) {
		t.Errorf("pod-failure %s is injected but its target runs %v, not %s (%v)", running, img, pauseImage, err)
	}

	haltAt := r.setHalt(t, true)
	poll(t, r.ctx, 30*time.Second, "the running child "+running.Name+" paused and recovered", func(ctx context.Context) (bool, error) {
		kids, err := r.c.ScheduleChildren(ctx, apps.AstronomyShop.Namespace, failureScenario)
		if err != nil {
			return false, err
		}
		i := slices.IndexFunc(kids, func(e Experiment) bool { return e.Name == running.Name })
		return i >= 0 && kids[i].Paused() && kids[i].DesiredPhase == v1alpha1.StoppedPhase && !kids[i].Injected, nil
	})
	poll(t, r.ctx, 30*time.Second, haltGameday+" aborted", func(ctx context.Context) (bool, error) {
		run, err := r.c.Workflow(ctx, apps.AstronomyShop.Namespace, haltGameday)
		return err == nil && run.Aborted, nil
	})
	t.Logf("halt: %s paused and %s aborted within %s of the halt's up", running, haltGameday, time.Since(haltAt).Round(time.Millisecond))
	// The kick-off Workflows of both Schedules are Workflows of their scenarios: halt aborts them too.
	for _, sch := range []string{killScenario, failureScenario} {
		kick, err := r.c.Workflow(r.ctx, apps.AstronomyShop.Namespace, scenarios.KickOffName(sch))
		if err != nil || kick.Annotations[AbortAnnotation] != "true" {
			t.Errorf("kick-off of %s after halt: annotations %v (%v); want %s", sch, kick.Annotations, err, AbortAnnotation)
		}
	}
	if img, err := r.targetImages(running); err != nil || slices.Contains(img, pauseImage) {
		t.Errorf("paused pod-failure %s did not give its target its images back: %v (%v)", running, img, err)
	}

	known := map[string]bool{}
	for _, sch := range []string{killScenario, failureScenario} {
		kids, err := r.c.ScheduleChildren(r.ctx, apps.AstronomyShop.Namespace, sch)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range kids {
			known[k.Name] = true
		}
	}
	// Two intervals, and past the end that the game day's first step would have had.
	quiet := max(2*failureInterval+5*time.Second, time.Until(step1.Applied[0].Add(haltStep1Duration+10*time.Second)))
	r.observe(t, quiet, "no new child and no further game-day step while halted", func(ctx context.Context) string {
		for _, sch := range []string{killScenario, failureScenario} {
			kids, err := r.c.ScheduleChildren(ctx, apps.AstronomyShop.Namespace, sch)
			if err != nil {
				return err.Error()
			}
			for _, k := range kids {
				if !known[k.Name] {
					return sch + " spawned " + k.Name + " while halted"
				}
			}
		}
		run, err := r.c.Workflow(ctx, apps.AstronomyShop.Namespace, haltGameday)
		if err != nil {
			return err.Error()
		}
		if _, ok := run.Templates[haltStep2]; ok {
			return haltGameday + " ran " + haltStep2 + " after it was aborted"
		}
		return ""
	})
	t.Logf("halted for %s (two intervals of %s, and past the end of %s): nothing new", quiet.Round(time.Second), failureInterval, haltStep1)

	resumeAt := r.setHalt(t, false)
	for _, sch := range []string{killScenario, failureScenario} {
		poll(t, r.ctx, failureInterval+time.Minute, sch+" spawning again after halt=false", func(ctx context.Context) (bool, error) {
			kids, err := r.c.ScheduleChildren(ctx, apps.AstronomyShop.Namespace, sch)
			return err == nil && slices.ContainsFunc(kids, func(e Experiment) bool { return !known[e.Name] && len(e.Applied) > 0 }), nil
		})
	}
	t.Logf("both Schedules applied a new child within %s of halt=false", time.Since(resumeAt).Round(time.Millisecond))
	r.switchOffAll(t)
}

// observe checks cond every second for d; the first violation it reports fails the test.
func (r *chaosRun) observe(t *testing.T, d time.Duration, what string, cond func(ctx context.Context) string) {
	t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if msg := cond(r.ctx); msg != "" {
			t.Fatalf("%s: %s", what, msg)
		}
		time.Sleep(time.Second)
	}
}

// targetImages lists the container images of an experiment's target pods, as the API server has them.
func (r *chaosRun) targetImages(e Experiment) ([]string, error) {
	var out []string
	for _, id := range e.Targets {
		ns, name, _ := strings.Cut(id, "/")
		pod, err := r.c.Client.CoreV1().Pods(ns).Get(r.ctx, name, metav1.GetOptions{})
		if err != nil {
			return out, err
		}
		for _, c := range pod.Spec.Containers {
			out = append(out, c.Image)
		}
	}
	return out, nil
}
