//go:build e2e

package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// destroyDeadline is far beyond a normal destroy (about 15 s here): reaching it means something waits on a
// finalizer that nobody removes.
const destroyDeadline = 5 * time.Minute

// teardown: destroy while an experiment is in effect (a pod-failure child injected) ends without a finalizer
// hang, with the controller releasing its experiments, and leaves nothing.
func (r *chaosRun) teardown(t *testing.T, before map[string]bool) {
	r.enable(t, map[string]any{failureScenario: failureConfig(), daemonScenario: map[string]any{"enabled": true}})
	poll(t, r.ctx, 2*failureInterval+time.Minute, "a child of "+failureScenario+" in effect", func(ctx context.Context) (bool, error) {
		kids, err := r.c.ScheduleChildren(ctx, apps.AstronomyShop.Namespace, failureScenario)
		return err == nil && slices.ContainsFunc(kids, func(e Experiment) bool { return e.Injected }), nil
	})
	ctx, cancel := context.WithTimeout(r.ctx, destroyDeadline)
	defer cancel()
	d, err := Destroy(ctx, t, r.s)
	if err != nil {
		t.Fatalf("destroy with an experiment in effect: %v (after %s; deadline %s)", err, d.Round(time.Millisecond), destroyDeadline)
	}
	t.Logf("destroy with an experiment in effect: %s", d.Round(time.Millisecond))
	// The release's uninstall ends the controller's pod on a real cluster; end the process likewise. With its
	// CRDs gone it may have exited already, which is no fault.
	if err := r.cc.Stop(); err != nil {
		t.Logf("chaos controller after destroy: %v", err)
	}
	r.cc = nil
	assertLabGone(r.ctx, t, r.c, before)
	crds, err := r.c.ChaosCRDs(r.ctx)
	if err != nil || len(crds) > 0 {
		t.Errorf("chaos-mesh.org CRDs left after destroy: %v (%v)", sortedKeys(crds), err)
	}
}
