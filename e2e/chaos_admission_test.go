//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// oneOfEachFault is a valid scenario for every Chaos Mesh fault of the config (flags are not Chaos Mesh
// objects), so that the admission step sends every kind the lab can declare through the webhooks. A fault
// added to the scenarios package without an entry here fails the step.
var oneOfEachFault = map[string]map[string]any{
	"network-delay":     {"target": "frontend", "latency": "100ms", "duration": "30s"},
	"network-loss":      {"target": "frontend", "loss": "10", "duration": "30s"},
	"network-duplicate": {"target": "frontend", "duplicate": "10", "duration": "30s"},
	"network-corrupt":   {"target": "frontend", "corrupt": "10", "duration": "30s"},
	"network-bandwidth": {"target": "frontend", "rate": "1mbps", "duration": "30s"},
	"network-partition": {"target": "frontend", "to": "product-catalog", "duration": "30s"},
	"cpu-stress":        {"target": "recommendation", "workers": "1", "load": 50, "duration": "30s"},
	"memory-stress":     {"target": "recommendation", "size": "64MB", "duration": "30s"},
	"http-delay":        {"target": "shipping", "port": 8080, "delay": "100ms", "duration": "30s"},
	"http-abort":        {"target": "shipping", "port": 8080, "duration": "30s"},
	"http-replace":      {"target": "shipping", "port": 8080, "code": 500, "duration": "30s"},
	"dns-error":         {"target": "checkout", "patterns": []any{"payment"}, "duration": "30s"},
	"dns-random":        {"target": "checkout", "patterns": []any{"payment"}, "duration": "30s"},
	"io-latency":        {"target": "product-catalog", "delay": "100ms", "path": "/tmp/**/*", "duration": "30s"},
	"io-fault":          {"target": "astronomy-db", "errno": 5, "volumePath": "/var/lib/postgresql/data", "duration": "30s"},
	"time-skew":         {"target": "checkout", "offset": "-10m", "duration": "30s"},
	"pod-kill":          {"target": "checkout", "schedule": "@every 1h"},
	"pod-failure":       {"target": "checkout", "duration": "30s"},
	"container-kill":    {"target": "checkout"},
}

// everyChaosScenario enables every preset that the shop without Istio accepts and one scenario per Chaos Mesh
// fault. Flags and mesh faults are no Chaos Mesh objects (a mesh fault is an Istio VirtualService, which
// TestAppsWithIstio covers), so Chaos Mesh's webhooks never see them.
func everyChaosScenario(t *testing.T) map[string]any {
	t.Helper()
	all := map[string]any{}
	shop := scenarios.Options{Deployment: apps.AstronomyShop.Deploy(),
		Gate: scenarios.Gate{URL: "http://gate", SLOs: slo.Names(slo.DefaultsFor(apps.AstronomyShop))}}
	for _, p := range scenarios.ApplicablePresets(shop) {
		all[p] = map[string]any{"enabled": true}
	}
	for _, f := range scenarios.FaultNames() {
		if f == string(scenarios.FlagFault) || f == string(scenarios.MeshFault) {
			continue
		}
		cfg, ok := oneOfEachFault[f]
		if !ok {
			t.Fatalf("fault %s has no scenario in oneOfEachFault: add one, so that admission covers it", f)
		}
		s := maps.Clone(cfg)
		s["fault"], s["enabled"] = f, true
		all["e2e-"+f] = s
	}
	return all
}

// admission: every chaos object the lab can declare passes Chaos Mesh's real defaulting and validating
// webhooks (failurePolicy Fail: an unreachable or refusing webhook fails the up), a repeat up after the
// webhooks had their say changes nothing, and the validating webhook really refuses what Chaos Mesh refuses.
func (r *chaosRun) admission(t *testing.T) {
	before, err := r.cc.WebhookRequests()
	if err != nil {
		t.Fatal(err)
	}
	all := everyChaosScenario(t)
	if err := r.s.SetConfig(r.ctx, Key("halt"), autoValue("true")); err != nil {
		t.Fatal(err)
	}
	// Halted, so that nothing is injected: Schedules are created paused and Workflows aborted, and both still
	// go through admission.
	r.enable(t, all)
	objs, err := r.c.ChaosObjects(r.ctx, apps.AstronomyShop.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	after, err := r.cc.WebhookRequests()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.Kind]++
	}
	t.Logf("the lab applied %d chaos objects (%v) through the webhooks", len(objs), kinds)
	if len(objs) < len(all)-1 { // the flag preset is not a Chaos Mesh object
		t.Errorf("expected a Schedule or Workflow for each of %d scenarios, found %d", len(all)-1, len(objs))
	}
	for kind, n := range kinds {
		res := strings.ToLower(kind)
		for _, path := range []string{"/mutate-chaos-mesh-org-v1alpha1-" + res, "/validate-chaos-mesh-org-v1alpha1-" + res, "/validate-auth"} {
			if got := after[path+" 200"] - before[path+" 200"]; got < float64(n) {
				t.Errorf("webhook %s answered 200 to %v requests during the up, want at least %d (one per %s)", path, got, n, kind)
			}
		}
	}

	res, _, out, err := Preview(r.ctx, r.s, optpreview.ExpectNoChanges())
	if n, what := Changes(ChangeSummaryOf(res.ChangeSummary)); err != nil || n != 0 {
		t.Errorf("a repeat preview after admission is not a no-op (%d: %s): %v\n%s", n, what, err, tail(out, 4000))
	}
	// Halt does not keep a Workflow created aborted from starting its first step (see releaseStuckMidApply).
	stop := r.releaseStuckMidApply(t)
	if err := r.s.SetConfig(r.ctx, Key("halt"), autoValue("false")); err != nil {
		t.Fatal(err)
	}
	r.switchOffAll(t)
	stop()

	// The validating webhook is live: a Schedule that the CRD schema accepts but Chaos Mesh refuses.
	bad := probePodKill("e2e-bad-schedule", apps.AstronomyShop.Namespace)
	sch := &v1alpha1.Schedule{
		TypeMeta:   metav1.TypeMeta{APIVersion: "chaos-mesh.org/v1alpha1", Kind: v1alpha1.KindSchedule},
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-bad-schedule", Namespace: apps.AstronomyShop.Namespace},
		Spec: v1alpha1.ScheduleSpec{Schedule: "every now and then", Type: v1alpha1.ScheduleTypePodChaos, HistoryLimit: 1,
			ConcurrencyPolicy: v1alpha1.ForbidConcurrent, ScheduleItem: v1alpha1.ScheduleItem{EmbedChaos: v1alpha1.EmbedChaos{PodChaos: &bad.Spec}}},
	}
	u := toUnstructured(t, sch)
	_, err = r.c.Dynamic.Resource(scheduleGVR).Namespace(apps.AstronomyShop.Namespace).Create(r.ctx, u, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err == nil || !strings.Contains(err.Error(), "admission webhook") {
		t.Errorf("a Schedule with schedule %q was not refused by Chaos Mesh's validating webhook: %v", sch.Spec.Schedule, err)
	} else {
		t.Logf("refused as on a real cluster: %v", err)
	}
}

// WebhookRequests reads controller-runtime's webhook request counter from the controller's metrics:
// "<path> <code>" -> count.
func (cc *ChaosController) WebhookRequests() (map[string]float64, error) {
	fams, err := scrape("http://" + cc.MetricsAddr + "/metrics")
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	fam, ok := fams["controller_runtime_webhook_requests_total"]
	if !ok {
		return out, nil
	}
	for _, m := range fam.GetMetric() {
		var path, code string
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "webhook":
				path = l.GetValue()
			case "code":
				code = l.GetValue()
			}
		}
		out[path+" "+code] += m.GetCounter().GetValue()
	}
	return out, nil
}

// probePodKill is a pod-kill of one checkout pod, for probes the test sends itself.
func probePodKill(name, ns string) *v1alpha1.PodChaos {
	return &v1alpha1.PodChaos{
		TypeMeta:   metav1.TypeMeta{APIVersion: "chaos-mesh.org/v1alpha1", Kind: v1alpha1.KindPodChaos},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.PodChaosSpec{Action: v1alpha1.PodKillAction, ContainerSelector: v1alpha1.ContainerSelector{
			PodSelector: v1alpha1.PodSelector{Mode: v1alpha1.OneMode, Selector: v1alpha1.PodSelectorSpec{
				GenericSelectorSpec: v1alpha1.GenericSelectorSpec{
					Namespaces:     []string{apps.AstronomyShop.Namespace},
					LabelSelectors: map[string]string{"app.kubernetes.io/component": "checkout"},
				},
			}},
		}},
	}
}

func toUnstructured(t testing.TB, obj runtime.Object) *unstructured.Unstructured {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: m}
}

// sortedKeys is for stable messages.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// Chaos Mesh's finalizer controller removes the records finalizer of an experiment with this annotation even
// though it was never recovered (controllers/common/finalizers): its documented way out of a stuck deletion.
const (
	cleanFinalizerAnnotation = "chaos-mesh.chaos-mesh.org/cleanFinalizer"
	cleanFinalizerForced     = "forced"
)

// finalizerGrace is how long an annotated experiment under deletion may keep its finalizer before the test
// takes the second step of docs/troubleshooting.md and removes it.
const finalizerGrace = 20 * time.Second

// releaseStuckMidApply finds the experiments that the halted Workflows started anyway (Chaos Mesh creates a
// Workflow's first step before it acts on the abort annotation it was created with) and whose Apply failed
// half-way for want of chaos-daemon: a record in phase "Not Injected/<stage>". Chaos Mesh must finish an
// Apply before it may recover, so it retries the Apply for ever and keeps the finalizer: deleting the
// Workflow (switching the scenario off, or destroy) would wait for ever. The test does what the
// troubleshooting page tells a user: annotate them cleanFinalizer=forced, and, when that does not release
// one, remove its finalizer. The annotation alone can fail: Chaos Mesh 2.8.3 runs its finalizer cleaner as the
// last step of each experiment's pipeline, after the records step, and while the Apply fails at once (as when
// the daemon's address answers but is not the daemon), the records step asks for a retry on every pass and
// the cleaner never runs. Anything else stuck still fails switchOffAll.
func (r *chaosRun) releaseStuckMidApply(t *testing.T) (stop func()) {
	ctx, cancel := context.WithCancel(r.ctx)
	done := make(chan struct{})
	annotated := map[string]time.Time{}
	go func() {
		defer close(done)
		// Until the switch-off is over: a record may reach its half-way failure only after a daemon timeout.
		for ctx.Err() == nil {
			r.releaseOnce(ctx, t, annotated)
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
		}
	}()
	return func() { cancel(); <-done }
}

// releaseOnce annotates the chaos objects stuck half-way through an Apply, and removes the finalizer of those
// that are still held finalizerGrace after their annotation while under deletion.
func (r *chaosRun) releaseOnce(ctx context.Context, t *testing.T, annotated map[string]time.Time) {
	for _, res := range report.ChaosResources {
		resource := r.c.Dynamic.Resource(chaosGVR(res)).Namespace(apps.AstronomyShop.Namespace)
		list, err := resource.List(ctx, metav1.ListOptions{})
		if err != nil {
			continue // the next round retries; switchOffAll fails on what is left
		}
		for i := range list.Items {
			u := &list.Items[i]
			key := u.GetKind() + "/" + u.GetName()
			if at, ok := annotated[key]; ok {
				if u.GetDeletionTimestamp() != nil && len(u.GetFinalizers()) > 0 && time.Since(at) > finalizerGrace {
					if _, err := resource.Patch(ctx, u.GetName(), types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{}); err == nil {
						t.Logf("%s still held by %v %s after its annotation, under deletion; removed the finalizer", key, u.GetFinalizers(), finalizerGrace)
					}
				}
				continue
			}
			phase, failure := midApplyFailure(u)
			if phase == "" {
				continue
			}
			patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, cleanFinalizerAnnotation, cleanFinalizerForced)
			if _, err := resource.Patch(ctx, u.GetName(), types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
				continue
			}
			annotated[key] = time.Now()
			t.Logf("%s (a step of a Workflow created aborted) is stuck in phase %q: %q; annotated %s=%s",
				key, phase, failure, cleanFinalizerAnnotation, cleanFinalizerForced)
		}
	}
}

// midApplyFailure returns the phase and last failure of a record stuck half-way through its Apply.
func midApplyFailure(u *unstructured.Unstructured) (phase, failure string) {
	records, _, _ := unstructured.NestedSlice(u.Object, "status", "experiment", "containerRecords")
	for _, raw := range records {
		rec, _ := raw.(map[string]any)
		p, _ := rec["phase"].(string)
		if !strings.HasPrefix(p, string(v1alpha1.NotInjected)+"/") {
			continue
		}
		events, _ := rec["events"].([]any)
		if len(events) == 0 {
			continue
		}
		last, _ := events[len(events)-1].(map[string]any)
		if last["type"] == string(v1alpha1.TypeFailed) && last["operation"] == string(v1alpha1.Apply) {
			msg, _ := last["message"].(string)
			return p, msg
		}
	}
	return "", ""
}
