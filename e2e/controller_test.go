//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report/promtest"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// chaosRun is what the steps of TestChaosController share: the simulated cluster with admission webhooks
// on, the lab's stack, the real Chaos Mesh controller standing in for the chart's controller pod, a real
// Prometheus scraping it and a synthetic shop exporter, the SLO gate as a process, and a watch of the shop's
// pods.
type chaosRun struct {
	ctx      context.Context
	c        *Cluster
	s        auto.Stack
	cc       *ChaosController
	prom     *Prometheus
	gate     *SLOGate
	exporter *promtest.Exporter
	pods     *PodWatch
	started  time.Time // the controller's start: dashboards are read from here on
	// scheduleFrom is when the up that switched the pod-kill Schedule on began: the report's windows are
	// read, and matched against the pod deletions seen, from then on.
	scheduleFrom time.Time
	// kickOff is the pod-kill of the scenario's kick-off Workflow, its strike at switch-on.
	kickOff Experiment
}

// TestChaosController runs the lab on the real engine with Chaos Mesh's real controller, and shows what it
// does with what the lab declares: admission through its webhooks, Schedules that spawn experiments that
// really delete pods, halt, a game day gated by the SLO gate, a fault that needs the missing daemon, the
// dashboards' chaos queries on its real metrics, the report's windows from the live cluster, and a destroy
// with an experiment running.
func TestChaosController(t *testing.T) {
	if _, err := PrometheusBinary(); err != nil {
		t.Fatal(err)
	}
	r := &chaosRun{ctx: context.Background()}
	c, e, before := labCluster(t, []string{ChaosControllerBinary}, WithAdmissionWebhooks())
	r.c = c
	r.s = e.RepoStack(r.ctx, t, stacks.Lab)
	if err := r.s.SetAllConfig(r.ctx, LabConfig(r.c)); err != nil {
		t.Fatal(err)
	}
	// The synthetic shop serves spanmetrics for the SLO gate's SLI from the start, so that the gate has data
	// before any game day asks it.
	r.exporter = promtest.NewExporter(t, apps.AstronomyShop.Namespace, map[string][]promtest.Step{gateService: {{At: 0, Phase: promtest.Steady(20)}}})

	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow() // later steps build on this one
		}
		if r.cc != nil && !r.cc.Running() {
			t.Fatalf("the chaos controller exited during %s:\n%s", name, r.cc.Tail(6000))
		}
	}
	step("up", func(t *testing.T) {
		if _, d, err := Up(r.ctx, t, r.s); err != nil {
			t.Fatalf("up: %v", err)
		} else {
			t.Logf("full up: %s", d.Round(time.Millisecond))
		}
		assertLabUp(r.ctx, t, r.c)
	})
	r.startServers(t)
	step("controller", r.controllerReady)
	step("namespace-filter", r.namespaceFilter)
	step("admission", r.admission)
	step("schedule", r.schedule)
	step("report", r.reportWindows)
	step("halt", r.halt)
	step("steady-state-gate", r.steadyStateGate)
	step("daemon-fault", r.daemonFault)
	step("dashboards", r.dashboards)
	step("teardown", func(t *testing.T) { r.teardown(t, before) })
}

// enable switches exactly these scenarios on (JSON of the scenarios config) and runs one up; it returns when
// up returned.
func (r *chaosRun) enable(t *testing.T, scenarios map[string]any) time.Time {
	t.Helper()
	raw, err := json.Marshal(scenarios)
	if err != nil {
		t.Fatal(err)
	}
	setScenarios(r.ctx, t, r.s, string(raw))
	if _, d, err := Up(r.ctx, t, r.s); err != nil {
		t.Fatalf("up with scenarios %s: %v", raw, err)
	} else {
		t.Logf("up with %d scenario(s): %s", len(scenarios), d.Round(time.Millisecond))
	}
	return time.Now()
}

// setHalt sets the halt key and runs one up.
func (r *chaosRun) setHalt(t *testing.T, halt bool) time.Time {
	t.Helper()
	v := "false"
	if halt {
		v = "true"
	}
	if err := r.s.SetConfig(r.ctx, Key("halt"), auto.ConfigValue{Value: v}); err != nil {
		t.Fatal(err)
	}
	if _, d, err := Up(r.ctx, t, r.s); err != nil {
		t.Fatalf("up with halt=%s: %v", v, err)
	} else {
		t.Logf("up with halt=%s: %s", v, d.Round(time.Millisecond))
	}
	return time.Now()
}

// switchOffAll disables every scenario and waits until no chaos object of any kind is left in the shop's
// namespace: the controller has recovered and released every experiment.
func (r *chaosRun) switchOffAll(t *testing.T) {
	t.Helper()
	r.enable(t, map[string]any{})
	var left []string
	err := wait.PollUntilContextTimeout(r.ctx, time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		objs, err := r.c.ChaosObjects(ctx, apps.AstronomyShop.Namespace)
		if err != nil {
			return false, nil // keep what the last listing found, for the message
		}
		exps, err := r.c.Experiments(ctx, apps.AstronomyShop.Namespace, "")
		if err != nil {
			return false, nil
		}
		left = nil
		for _, o := range objs {
			left = append(left, o.String())
		}
		for _, e := range exps {
			left = append(left, e.State())
		}
		return len(left) == 0, nil
	})
	if err != nil {
		t.Fatalf("chaos objects left 2 min after switching every scenario off: %v (%v)", left, err)
	}
}

// poll runs cond every interval until it reports done, fails the test with what after d.
func poll(t *testing.T, ctx context.Context, d time.Duration, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, d, true, cond); err != nil {
		t.Fatalf("%s: not within %s (%v)", what, d, err)
	}
}
