//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report/promtest"
)

// A three-step game day gated by the availability SLO of the synthetic shop's service: interval 5 s,
// failure threshold 2. Each step lasts long enough that an abort during the second one leaves the third
// undone.
const (
	gatedGameday  = "e2e-gated-gameday"
	gateInterval  = 5 * time.Second
	gateThreshold = 2
	gatedStepTime = 20 * time.Second
)

var gatedSteps = []string{"e2e-gated-step-1", "e2e-gated-step-2", "e2e-gated-step-3"}

func gatedConfig() map[string]any {
	step := func(target string) map[string]any {
		return map[string]any{"fault": "pod-failure", "target": target, "duration": gatedStepTime.String()}
	}
	return map[string]any{
		gatedGameday: map[string]any{
			"enabled": true,
			"steps":   []any{gatedSteps[0], gatedSteps[1], gatedSteps[2]},
			"steadyState": map[string]any{
				"slo": gateSLO, "interval": gateInterval.String(), "failureThreshold": gateThreshold,
			},
		},
		gatedSteps[0]: step("currency"),
		gatedSteps[1]: step("ad"),
		gatedSteps[2]: step("cart"),
	}
}

// steadyStateGate: the lab's StatusCheck calls the SLO gate (a process on loopback, set with sloGateURL),
// which reads the real Prometheus fed by the synthetic exporter. While the SLO holds the game day runs its
// steps; when the exporter breaks the SLO, Chaos Mesh aborts the game day within interval × failureThreshold
// plus one interval of the gate's first 503, and the third step never runs.
func (r *chaosRun) steadyStateGate(t *testing.T) {
	poll(t, r.ctx, 2*time.Minute, "the gate answering 200 for "+gateSLO+" before the game day", func(ctx context.Context) (bool, error) {
		code, _, err := r.gate.Status(ctx, gateSLO)
		return err == nil && code == http.StatusOK, nil
	})
	if err := r.s.SetConfig(r.ctx, Key("sloGateURL"), autoValue(r.gate.URL)); err != nil {
		t.Fatal(err)
	}
	r.enable(t, gatedConfig())
	poll(t, r.ctx, gatedStepTime+time.Minute, "the game day running its second step under a holding SLO", func(ctx context.Context) (bool, error) {
		run, err := r.c.Workflow(ctx, apps.AstronomyShop.Namespace, gatedGameday)
		if err != nil || run.Aborted {
			return false, err
		}
		_, second := run.Templates[gatedSteps[1]]
		return second, nil
	})
	// The second step's node exists a moment before its experiment has applied (the first step's experiment
	// is deleted by Chaos Mesh when its node ends): wait for the second step's fault.
	var steps []Experiment
	poll(t, r.ctx, 30*time.Second, "the second step's fault applied while the SLO held", func(ctx context.Context) (bool, error) {
		var err error
		steps, err = r.c.Experiments(ctx, apps.AstronomyShop.Namespace, v1alpha1.LabelWorkflow+"="+gatedGameday)
		return err == nil && slices.ContainsFunc(applied(steps), func(e Experiment) bool {
			return strings.HasPrefix(e.Name, gatedSteps[1]+"-")
		}), nil
	})
	for _, s := range steps {
		if len(s.Failures) > 0 {
			t.Errorf("step experiment %s of %s failed while the SLO held: %v", s, gatedGameday, s.Failures)
		}
	}

	breakAt := time.Now()
	r.exporter.Switch(gateService, promtest.Degraded(20, 0.5))
	t.Cleanup(func() { r.exporter.Switch(gateService, promtest.Steady(20)) })
	var violatedAt time.Time
	poll(t, r.ctx, 30*time.Second, "the gate answering 503 for "+gateSLO, func(ctx context.Context) (bool, error) {
		code, _, err := r.gate.Status(ctx, gateSLO)
		violatedAt = time.Now()
		return err == nil && code == http.StatusServiceUnavailable, nil
	})
	bound := gateInterval*gateThreshold + gateInterval
	var abortedAt time.Time
	poll(t, r.ctx, bound+30*time.Second, gatedGameday+" aborted by its StatusCheck", func(ctx context.Context) (bool, error) {
		run, err := r.c.Workflow(ctx, apps.AstronomyShop.Namespace, gatedGameday)
		abortedAt = time.Now()
		return err == nil && run.Aborted, nil
	})
	took := abortedAt.Sub(violatedAt)
	t.Logf("exporter broke the SLO; the gate said 503 after %s; Chaos Mesh aborted the game day %s later (bound %s = %s × %d + %s)",
		violatedAt.Sub(breakAt).Round(time.Millisecond), took.Round(time.Millisecond), bound, gateInterval, gateThreshold, gateInterval)
	// The poll samples every 0.5 s, so the measured time can exceed the true one by that much.
	if took > bound+500*time.Millisecond {
		t.Errorf("the abort took %s after the gate's first 503; want at most %s", took.Round(time.Millisecond), bound)
	}
	run, err := r.c.Workflow(r.ctx, apps.AstronomyShop.Namespace, gatedGameday)
	if err != nil {
		t.Fatal(err)
	}
	if run.Annotations[AbortAnnotation] != "true" {
		t.Errorf("Chaos Mesh did not mark %s with %s: %v", gatedGameday, AbortAnnotation, run.Annotations)
	}
	// The third step would have started when the second one ended.
	second := run.Templates[gatedSteps[1]]
	r.observe(t, time.Until(second.Add(gatedStepTime+10*time.Second)), "no step after the abort", func(ctx context.Context) string {
		run, err := r.c.Workflow(ctx, apps.AstronomyShop.Namespace, gatedGameday)
		if err != nil {
			return err.Error()
		}
		if _, ok := run.Templates[gatedSteps[2]]; ok {
			return gatedGameday + " ran " + gatedSteps[2] + " after its StatusCheck aborted it"
		}
		return ""
	})
	r.switchOffAll(t)
}
