//go:build e2e

package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// daemonScenario is a preset whose fault needs chaos-daemon (stress-ng in the target's namespaces), which no
// kwok node runs.
const daemonScenario = "recommendation-cpu-stress"

// daemonFault: a fault that needs the daemon fails to inject, and says so where a user looks: the
// experiment's records and its Warning events (kubectl describe, the dashboard's Warnings panel).
func (r *chaosRun) daemonFault(t *testing.T) {
	r.enable(t, map[string]any{daemonScenario: map[string]any{"enabled": true}})
	var exp Experiment
	var events []corev1.Event
	// The controller's RPC to the daemon times out after 1 min (RPC_TIMEOUT) where nothing answers at all.
	poll(t, r.ctx, 3*time.Minute, "a failure to inject recorded by "+daemonScenario+"'s experiment", func(ctx context.Context) (bool, error) {
		exps, err := r.c.Experiments(ctx, apps.AstronomyShop.Namespace, v1alpha1.LabelWorkflow+"="+daemonScenario)
		if err != nil {
			return false, err
		}
		i := slices.IndexFunc(exps, func(e Experiment) bool { return len(e.Failures) > 0 })
		if i < 0 {
			return false, nil
		}
		exp = exps[i]
		events, err = r.c.Events(ctx, apps.AstronomyShop.Namespace, exp.Kind, exp.Name)
		return err == nil && slices.ContainsFunc(events, isApplyFailure), nil
	})
	if exp.Injected || len(exp.Applied) > 0 {
		t.Errorf("%s reports a successful injection without a daemon: applied %v", exp, exp.Applied)
	}
	t.Logf("%s failed to inject, as a user sees it:\nrecords: %s\nevents (kubectl describe %s -n %s %s):\n%s",
		daemonScenario, strings.Join(exp.Failures, "\n         "), strings.ToLower(exp.Kind), apps.AstronomyShop.Namespace, exp.Name, describeEvents(events))
	// Left on: the dashboards step reads its Warning events.
}

func isApplyFailure(e corev1.Event) bool {
	return e.Type == corev1.EventTypeWarning && e.Reason == "Failed" && strings.HasPrefix(e.Message, "Failed to apply chaos")
}
