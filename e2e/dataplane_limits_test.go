//go:build e2e

package e2e

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment/labstack"
)

// haltClean: with a CPU stress, a partition and a bandwidth limit in effect, one up with halt=true takes every
// one of them out of the containers: no stress process, no iptables rule or ipset, no qdisc.
func (r *dataPlane) haltClean(t *testing.T) {
	faults := map[string]any{
		"e2e-halt-cpu":       map[string]any{"enabled": true, "fault": "cpu-stress", "target": dpStress, "load": 30, "duration": "5m"},
		"e2e-halt-partition": map[string]any{"enabled": true, "fault": "network-partition", "target": dpClient, "to": dpServer, "duration": "5m"},
		"e2e-halt-bandwidth": map[string]any{"enabled": true, "fault": "network-bandwidth", "target": dpServer, "rate": bandwidthRate, "duration": "5m"},
	}
	r.enable(t, faults)
	affected := []string{dpStress, dpClient, dpServer}
	poll(t, r.ctx, time.Minute, "the three faults in effect in their containers", func(ctx context.Context) (bool, error) {
		for _, svc := range affected {
			_, ct := r.container(t, svc)
			residue, err := ct.FaultResidue(ctx)
			if err != nil || len(residue) == 0 {
				return false, err
			}
		}
		return true, nil
	})
	for _, svc := range affected {
		_, ct := r.container(t, svc)
		residue, _ := ct.FaultResidue(r.ctx)
		t.Logf("in effect in %s: %v", svc, residue)
	}
	halted := r.setHalt(t, true)
	var left []string
	poll(t, r.ctx, time.Minute, "no fault left in the containers after halt", func(ctx context.Context) (bool, error) {
		left = nil
		for _, svc := range affected {
			_, ct := r.container(t, svc)
			residue, err := ct.FaultResidue(ctx)
			if err != nil {
				return false, err
			}
			for _, x := range residue {
				left = append(left, svc+": "+x)
			}
		}
		return len(left) == 0, nil
	})
	t.Logf("halt: every container clean %s after the halt's up returned", time.Since(halted).Round(time.Millisecond))
	r.setHalt(t, false)
	r.switchOffAll(t)
	r.assertClean(t, "after halt, un-halt and switch-off", affected...)
}

// netemMessage is what tc answers on a kernel without the netem qdisc, which chaos-daemon logs; tcFailure is
// what Chaos Mesh records instead, in the NetworkChaos's records and events and the pod's PodNetworkChaos.
const (
	netemMessage = "Specified qdisc kind is unknown"
	tcFailure    = "unable to set tcs for pod"
)

// podNetworkChaosFailure is status.failedMessage of a pod's PodNetworkChaos (named after the pod).
func (r *dataPlane) podNetworkChaosFailure(t *testing.T, pod string) string {
	t.Helper()
	gvr := schema.GroupVersionResource{Group: "chaos-mesh.org", Version: "v1alpha1", Resource: "podnetworkchaos"}
	u, err := r.c.Dynamic.Resource(gvr).Namespace(dpNamespace).Get(r.ctx, pod, metav1.GetOptions{})
	if err != nil {
		t.Errorf("PodNetworkChaos %s/%s: %v", dpNamespace, pod, err)
		return ""
	}
	msg, _, _ := unstructured.NestedString(u.Object, "status", "failedMessage")
	return msg
}

// netem: a delay and a loss fail to inject on this kernel (no netem), and say so where a user looks: a Failed
// record on the chaos object and a Warning event; switching them off leaves the containers clean.
func (r *dataPlane) netem(t *testing.T) {
	faults := map[string]any{
		"e2e-frontend-delay": map[string]any{"enabled": true, "fault": "network-delay", "target": dpClient, "latency": "200ms", "duration": "2m"},
		"e2e-currency-loss":  map[string]any{"enabled": true, "fault": "network-loss", "target": dpFailure, "loss": "50", "duration": "2m"},
	}
	r.enable(t, faults)
	for _, name := range slices.Sorted(maps.Keys(faults)) {
		var exp Experiment
		var events []corev1.Event
		poll(t, r.ctx, 2*time.Minute, name+"'s failure to inject recorded", func(ctx context.Context) (bool, error) {
			exps, err := r.c.Experiments(ctx, dpNamespace, v1alpha1.LabelWorkflow+"="+name)
			if err != nil {
				return false, err
			}
			i := slices.IndexFunc(exps, func(e Experiment) bool { return len(e.Failures) > 0 })
			if i < 0 {
				return false, nil
			}
			exp = exps[i]
			events, err = r.c.Events(ctx, dpNamespace, exp.Kind, exp.Name)
			return err == nil && slices.ContainsFunc(events, isApplyFailure), nil
		})
		if exp.Injected || len(exp.Applied) > 0 {
			t.Errorf("%s reports an injection on a kernel without netem: %v", exp, exp.Applied)
		}
		// The NetworkChaos and the pod's PodNetworkChaos say that tc failed on the pod (Chaos Mesh logs the
		// daemon's error and returns its own); tc's words are in chaos-daemon's log.
		if !slices.ContainsFunc(exp.Failures, func(f string) bool { return strings.Contains(f, tcFailure) }) {
			t.Errorf("%s: its failures do not say that tc failed (%q): %v", exp, tcFailure, exp.Failures)
		}
		for _, target := range exp.Targets {
			_, pod, _ := strings.Cut(target, "/")
			msg := r.podNetworkChaosFailure(t, pod)
			if !strings.Contains(msg, tcFailure) {
				t.Errorf("PodNetworkChaos %s/%s: failedMessage %q, want %q", dpNamespace, pod, msg, tcFailure)
			} else {
				t.Logf("kubectl get podnetworkchaos -n %s %s -o jsonpath={.status.failedMessage}: %s", dpNamespace, pod, msg)
			}
		}
		// The controller logs the daemon's answer ("error while setting tcs for container ..."), tc's words in it.
		if log, err := os.ReadFile(r.cc.Log); err != nil || !strings.Contains(string(log), netemMessage) {
			t.Errorf("the controller's log does not quote tc's %q (%v)", netemMessage, err)
		} else {
			t.Logf("the controller's log (kubectl logs -n chaos-mesh deploy/chaos-controller-manager) quotes tc: %q", netemMessage)
		}
		if strings.Contains(r.daemonLog(), netemMessage) {
			t.Logf("chaos-daemon's log quotes it too")
		}
		t.Logf("%s fails as a user sees it:\nrecords: %s\nevents (kubectl describe %s -n %s %s):\n%s", name,
			strings.Join(exp.Failures, "\n         "), strings.ToLower(exp.Kind), dpNamespace, exp.Name, describeEvents(events))
	}
	stop := r.releaseStuckMidApply(t)
	r.switchOffAll(t)
	stop()
	r.assertClean(t, "after the failed netem faults' switch-off", dpClient, dpFailure)
}

// runNetem: `chaoslab run` of the preset frontend-catalog-latency (a 1 s delay from frontend to
// product-catalog) exits 5, a fault that did not land, quoting Chaos Mesh's reason, and leaves no chaos.
func (r *dataPlane) runNetem(t *testing.T) {
	const preset = "frontend-catalog-latency"
	t.Setenv("PATH", r.engine.Env["PATH"])
	t.Chdir(RepoRoot())
	t.Cleanup(func() {
		leftovers, _ := filepath.Glob(filepath.Join(RepoRoot(), ".chaoslab", "run-"+r.s.Name()+".*"))
		for _, f := range leftovers {
			_ = os.Remove(f)
		}
	})
	var out, errOut syncBuffer
	stop := r.releaseStuckMidApply(t)
	defer stop()
	started := time.Now()
	code := labstack.Run(r.ctx, []string{"--stack", r.s.Name(), "--dir", RepoRoot(), "--out", t.TempDir(), "--prometheus", r.prom.URL,
		"--scenario", preset, "--for", "45s", "--after", "0s"}, &out, &errOut, nil)
	t.Logf("chaoslab run --scenario %s (%s), exit %d:\n%s%s", preset, time.Since(started).Round(time.Second), code, out.String(), errOut.String())
	if code != experiment.ExitNoStrike {
		t.Errorf("exit %d, want %d (no-strike: a fault that did not land)", code, experiment.ExitNoStrike)
	}
	assertInOrder(t, errOut.String(), "chaoslab run: "+preset+": Chaos Mesh failed to inject it", tcFailure)
	if objs, err := r.c.ChaosObjects(r.ctx, ""); err != nil || len(objs) > 0 {
		t.Errorf("chaos objects left after the run: %v (%v)", objs, err)
	}
	r.assertClean(t, "after chaoslab run of "+preset, dpClient)
}
