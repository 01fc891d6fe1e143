package experiment

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestRefusalsBeforeAnyChange(t *testing.T) {
	cases := []struct {
		name  string
		setup func(h *harness)
		args  []string
		code  int
		want  string
	}{
		{"never deployed", func(h *harness) { h.engine.info.LastKind = "" }, nil, ExitSetup,
			"stack dev has never been deployed: bring the lab up first (make up STACK=dev)"},
		{"destroyed", func(h *harness) { h.engine.info.LastKind = "destroy" }, nil, ExitSetup, "stack dev was destroyed at"},
		{"last update failed", func(h *harness) { h.engine.info.LastResult = "failed" }, nil, ExitSetup,
			"the last update of stack dev failed"},
		{"update in progress", func(h *harness) { h.engine.info.LastResult = "in-progress" }, nil, ExitSetup,
			"an update of stack dev is in progress: wait for it to finish"},
		{"halted", func(h *harness) { h.engine.values["halt"] = "true" }, nil, ExitSetup,
			"chaos-mesh-otel:halt is true in Pulumi.dev.yaml"},
		{"another scenario on", func(h *harness) { h.engine.values["scenarios"] = `{"frontend-catalog-latency":{"enabled":true}}` }, nil, ExitSetup,
			"Pulumi.dev.yaml also enables frontend-catalog-latency"},
		{"unknown scenario", nil, []string{"--scenario", "chekout-pod-kill"}, ExitSetup,
			"--scenario chekout-pod-kill: no such scenario: not a preset and not a key of chaos-mesh-otel:scenarios in Pulumi.dev.yaml (did you mean checkout-pod-kill?)"},
		{"flag without --for", nil, []string{"--scenario", "ad-failure"}, ExitSetup,
			"--scenario ad-failure is a flag fault, which does not end by itself: give --for"},
		{"invalid config", func(h *harness) { delete(h.engine.values, "grafanaAdminPassword") }, nil, ExitInvalid,
			"chaos-mesh-otel:grafanaAdminPassword: required"},
		{"workloads not ready", func(h *harness) { h.cluster.unready = []string{"Deployment otel-demo/checkout: 0 of 1 available"} }, nil, ExitSetup,
			"the lab is not ready (1 of 27 workloads), so a verdict would judge the wrong thing:\n  Deployment otel-demo/checkout: 0 of 1 available"},
		{"chaos already running", func(h *harness) { h.cluster.put(chaosObject("Schedule", "someone-elses", nil)) }, nil, ExitSetup,
			"chaos is already on the cluster; it would spoil the baseline and the verdict:\n  Schedule/otel-demo/someone-elses"},
		{"Prometheus unreachable", func(h *harness) {
			h.cluster.promErr = errors.New("no Ready pod behind Service observability/prometheus-server")
		}, nil, ExitUnknown,
			"cannot judge, so not starting: Prometheus: no Ready pod behind Service observability/prometheus-server"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			if c.setup != nil {
				c.setup(h)
			}
			args := c.args
			if args == nil {
				args = []string{"--scenario", "checkout-pod-kill"}
			}
			if code := h.run(args...); code != c.code {
				t.Errorf("exit %d, want %d", code, c.code)
			}
			if !strings.Contains(h.stderr.String(), c.want) {
				t.Errorf("stderr lacks %q:\n%s", c.want, h.stderr)
			}
			if calls := h.engine.callList(); len(calls) != 0 {
				t.Errorf("a refused run changed the stack: %v", calls)
			}
			if got, _ := os.ReadFile(h.engine.info.ConfigFile); string(got) != userStackFile {
				t.Errorf("a refused run touched the config")
			}
		})
	}
}

func TestARunWaitsAWhileForALabThatIsStillStarting(t *testing.T) {
	h := newHarness(t)
	h.cluster.controller = killsOnePod(h)
	h.judgeCode = ExitOK
	h.cluster.unready = []string{"DaemonSet chaos-mesh/chaos-daemon: 0 of 1 available"}
	h.cluster.onCall = func(m string) {
		if m == "Unready" && h.clock.Now().After(t0.Add(20*time.Second)) {
			h.cluster.unready = nil
		}
	}
	if code := h.run("--scenario", "checkout-pod-kill", "--after", "0s"); code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, h.stdout, h.stderr)
	}
	assertInOrder(t, h.stdout.String(),
		"waiting up to 2m0s for 1 workload(s) to be ready: DaemonSet chaos-mesh/chaos-daemon: 0 of 1 available",
		"lab ready: 27 workloads ready")
	if strings.Count(h.stdout.String(), "waiting up to") != 1 {
		t.Errorf("the wait is announced more than once:\n%s", h.stdout)
	}
}
