package report

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/fake"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

func fp(v float64) *float64 { return &v }

func TestParseWindows(t *testing.T) {
	ws, err := ParseWindows([]byte(`
- scenario: checkout-pod-kill
  start: "2026-01-02T10:00:00Z"
  end: 2026-01-02T10:05:00Z
  target: checkout
- {scenario: b, start: "2026-01-02T11:00:00+01:00", end: "2026-01-02T10:30:00Z"}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || ws[0].Target != "checkout" || ws[0].End.Sub(ws[0].Start) != 5*time.Minute ||
		!ws[1].Start.Equal(time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)) || ws[0].Source != "file" {
		t.Fatalf("%+v", ws)
	}
	_, err = ParseWindows([]byte(`
- scenario: ""
  start: yesterday
  end: "2026-01-02T10:05:00Z"
- scenario: x
  start: "2026-01-02T10:05:00Z"
  end: "2026-01-02T10:00:00Z"
`))
	for _, want := range []string{"windows[0].scenario: required", "windows[0].start", "windows[1].end: must be after start"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
	if _, err := ParseWindows([]byte("- scenario: a\n  start: 2026-01-02T10:00:00Z\n  end: 2026-01-02T10:05:00Z\n  stop: 1\n")); err == nil {
		t.Error("unknown field accepted")
	}
	sel := SelectWindows(append(ws, Window{Scenario: "checkout-pod-kill", Start: ws[0].Start.Add(-time.Hour), End: ws[0].Start.Add(-50 * time.Minute)}),
		"checkout-pod-kill", ws[0].Start.Add(-time.Minute), ws[0].End)
	if len(sel) != 1 || sel[0].Target != "checkout" {
		t.Errorf("select: %+v", sel)
	}
}

func chaosObj(kind, name string, labels map[string]string, spec map[string]any, records []any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "chaos-mesh.org/v1alpha1", "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": "otel-demo"},
		"spec":     spec,
		"status":   map[string]any{"experiment": map[string]any{"containerRecords": records}},
	}}
	u.SetLabels(labels)
	return u
}

func record(phase string, events ...[2]string) map[string]any {
	var evs []any
	for _, e := range events {
		evs = append(evs, map[string]any{"type": "Succeeded", "operation": e[0], "timestamp": e[1]})
	}
	return map[string]any{"id": "otel-demo/x", "selectorKey": ".", "phase": phase, "injectedCount": int64(1), "recoveredCount": int64(1), "events": evs}
}

func TestFromCluster(t *testing.T) {
	sel := map[string]any{"selector": map[string]any{"labelSelectors": map[string]any{ComponentLabel: "checkout"}}, "duration": "2m"}
	objs := []runtime.Object{
		// spawned by the Schedule "checkout-latency": two pods, applied and recovered
		chaosObj("NetworkChaos", "checkout-latency-x7k2p", map[string]string{"managed-by": "checkout-latency"}, sel, []any{
			record("Not Injected", [2]string{"Apply", "2026-01-02T10:00:03Z"}, [2]string{"Recover", "2026-01-02T10:02:03Z"}),
			record("Not Injected", [2]string{"Apply", "2026-01-02T10:00:01Z"}, [2]string{"Recover", "2026-01-02T10:02:05Z"}),
		}),
		// spawned by the Workflow "checkout-latency", still injected
		chaosObj("NetworkChaos", "step-1-abc", map[string]string{"chaos-mesh.org/workflow": "checkout-latency"},
			map[string]any{"duration": "1h"}, []any{record("Injected", [2]string{"Apply", "2026-01-02T11:00:00Z"})}),
		// pod kill without a Recover record: ends with spec.duration
		chaosObj("PodChaos", "checkout-latency-podkill", nil, sel, []any{record("Injected", [2]string{"Apply", "2026-01-02T09:00:00Z"})}),
		// labelled by the scenarios package
		chaosObj("HTTPChaos", "whatever", map[string]string{ScenarioLabel: "checkout-latency"}, sel, []any{
			record("Not Injected", [2]string{"Apply", "2026-01-02T08:00:00Z"}, [2]string{"Recover", "2026-01-02T08:00:30Z"}),
		}),
		// another scenario
		chaosObj("PodChaos", "cart-kill", nil, sel, []any{record("Not Injected", [2]string{"Apply", "2026-01-02T10:00:00Z"}, [2]string{"Recover", "2026-01-02T10:01:00Z"})}),
		// never applied
		chaosObj("PodChaos", "checkout-latency-unapplied", nil, sel, []any{}),
	}
	dyn := chaosDynamicClient()
	for _, o := range objs {
		u := o.(*unstructured.Unstructured)
		res := strings.ToLower(u.GetKind())
		if _, err := dyn.Resource(ChaosGroupVersion.WithResource(res)).Namespace("otel-demo").Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 1, 2, 11, 30, 0, 0, time.UTC)
	ws, err := FromCluster(context.Background(), dyn, "otel-demo", "checkout-latency", now)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 4 {
		t.Fatalf("want 4 windows, got %+v", ws)
	}
	want := []struct {
		start, end string
		ongoing    bool
		target     string
	}{
		{"2026-01-02T08:00:00Z", "2026-01-02T08:00:30Z", false, "checkout"},
		{"2026-01-02T09:00:00Z", "2026-01-02T09:02:00Z", false, "checkout"},
		{"2026-01-02T10:00:01Z", "2026-01-02T10:02:05Z", false, "checkout"},
		{"2026-01-02T11:00:00Z", "2026-01-02T11:30:00Z", true, ""},
	}
	for i, w := range want {
		got := ws[i]
		if got.Start.Format(time.RFC3339) != w.start || got.End.Format(time.RFC3339) != w.end || got.Ongoing != w.ongoing ||
			got.Target != w.target || got.Scenario != "checkout-latency" || got.Source == "" {
			t.Errorf("window %d: %+v; want %+v", i, got, w)
		}
	}
	all, err := FromCluster(context.Background(), dyn, "otel-demo", "", now)
	if err != nil || len(all) != 5 {
		t.Fatalf("all scenarios: %v %+v", err, all)
	}
}

func pts(start time.Time, step time.Duration, vs ...float64) []Point {
	out := make([]Point, len(vs))
	for i, v := range vs {
		out[i] = Point{T: start.Add(time.Duration(i) * step), V: v}
	}
	return out
}

func TestRecovery(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	nan := math.NaN()
	end := t0.Add(10 * time.Second)
	// samples every 5 s; fault ends at 10 s; rate window 10 s
	ps := pts(t0, 5*time.Second, 0.9, 0.9, 0.9, 0.95, 1, 0.999, nan, 1, 1, 1, 1)
	// good from 20 s (index 4) but NaN at 30 s breaks the run: first run of 3 starts at 35 s → 35-10-10 = 15 s
	if r := Recovery(ps, end, 0.998, 3, 10*time.Second); r == nil || *r != 15 {
		t.Errorf("recovery %v, want 15", r)
	}
	if r := Recovery(ps, end, 0.998, 2, 10*time.Second); r == nil || *r != 0 {
		t.Errorf("n=2: %v, want 0 (the 20 s sample covers 10..20 s)", r) // 20-10-10 = 0
	}
	if r := Recovery(ps, end, 0.998, 5, 10*time.Second); r != nil {
		t.Errorf("never: %v", *r)
	}
	if r := Recovery(pts(t0, time.Second, 1, 1, 1), t0, 0.5, 3, 5*time.Second); r == nil || *r != 0 {
		t.Errorf("no impact: %v", r)
	}
}

func TestVerdictsAndScore(t *testing.T) {
	avail := slo.SLO{Name: "a", Kind: slo.Availability, Objective: 0.99}
	tol := 0.25 * avail.ErrorBudget()
	cases := []struct {
		base, during float64
		after        *float64
		rec          *float64
		want         string
	}{
		{1, 0.999, fp(1), fp(0), Held},
		{1, 0.995, fp(1), fp(3), Degraded},
		{1, 0.999, fp(1), nil, Degraded},
		{1, 0.9, fp(1), fp(5), Violated},
		{1, 0.999, fp(0.98), nil, Violated},
		{0.98, 0.98, fp(0.98), fp(0), Violated},
	}
	for i, c := range cases {
		r := SLIResult{Objective: 0.99, Baseline: fp(c.base), During: fp(c.during), After: c.after, RecoverySeconds: c.rec, Recovery: Recovered}
		if c.rec == nil {
			r.Recovery = NotRecovered
		}
		if got, why := judge(avail, r, tol, 5*time.Minute, 5*time.Minute); got != c.want {
			t.Errorf("case %d: %s (%s), want %s", i, got, why, c.want)
		}
	}
	// Missing data after the fault is not a failure to recover: it cannot be judged.
	noAfter := SLIResult{Objective: 0.99, Baseline: fp(1), During: fp(0.999), Recovery: NoData}
	if got, why := judge(avail, noAfter, tol, 5*time.Minute, 5*time.Minute); got != Unknown || !strings.Contains(why, "no data after the fault") {
		t.Errorf("no data after the fault: %s (%s), want unknown", got, why)
	}
	// A recovery not observed is not "held": the SLI may yet fall below its objective.
	notYet := SLIResult{Objective: 0.99, Baseline: fp(1), During: fp(0.999), Recovery: NotObservedYet}
	if got, why := judge(avail, notYet, tol, 10*time.Second, 5*time.Minute); got != Unknown || !strings.Contains(why, "recovery not observed: only 10s of the 5m0s") {
		t.Errorf("not observed yet: %s (%s), want unknown with the reason", got, why)
	}
	notYet.During = fp(0.995) // degraded so far, but whether it came back is not known either
	if got, why := judge(avail, notYet, tol, 10*time.Second, 5*time.Minute); got != Unknown || !strings.Contains(why, "SLI fell from 1.0000 to 0.9950") {
		t.Errorf("degraded, not observed yet: %s (%s), want unknown", got, why)
	}
	notYet.During = fp(0.98) // a violation seen is certain
	if got, _ := judge(avail, notYet, tol, 10*time.Second, 5*time.Minute); got != Violated {
		t.Errorf("violated, not observed yet: %s, want violated", got)
	}
	v, rec, st := combine([]SLIResult{{Verdict: Held, RecoverySeconds: fp(0), Recovery: Recovered}, {Verdict: Degraded, RecoverySeconds: fp(7), Recovery: Recovered}})
	if v != Degraded || rec == nil || *rec != 7 || st != Recovered {
		t.Errorf("combine: %s %v %s", v, rec, st)
	}
	if v, rec, st := combine([]SLIResult{{Verdict: Held, RecoverySeconds: fp(0), Recovery: Recovered}, {Verdict: Unknown, Recovery: NoData}}); v != Unknown || rec != nil || st != NoData {
		t.Errorf("unknown must win over held: %s %v %s", v, rec, st)
	}
	if v, _, _ := combine([]SLIResult{{Verdict: Violated, RecoverySeconds: fp(1), Recovery: Recovered}, {Verdict: Unknown}}); v != Violated {
		t.Errorf("violated must win: %s", v)
	}
	if v, rec, st := combine([]SLIResult{{Verdict: Held, RecoverySeconds: fp(3), Recovery: Recovered}, {Verdict: Degraded, Recovery: NotRecovered}}); v != Degraded || rec != nil || st != NotRecovered {
		t.Errorf("one SLO not recovered: %s %v %s", v, rec, st)
	}
	if v, _, _ := combine(nil); v != Unknown {
		t.Errorf("no SLOs: %s", v)
	}

	wr := WindowReport{Verdict: Degraded, RecoverySeconds: fp(30),
		SLIs: []SLIResult{{Objective: 0.99, Baseline: fp(1), During: fp(0.995)}, {Objective: 0.95, Baseline: fp(1), During: fp(1)}}}
	// D = 0.005/0.01 = 0.5, R = 30/120 = 0.25 → 100 × (1 − 0.35 − 0.075) = 57.5
	if s := Score(wr, 2*time.Minute); s == nil || *s != 57.5 {
		t.Errorf("score %v, want 57.5", s)
	}
	wr.Verdict, wr.RecoverySeconds = Violated, fp(0)
	wr.SLIs[0].During = fp(0.999) // D = 0.1 → 93, capped at 50
	if s := Score(wr, 2*time.Minute); s == nil || *s != 50 {
		t.Errorf("violated score %v, want 50", s)
	}
	wr.Verdict = Unknown
	if s := Score(wr, 2*time.Minute); s != nil {
		t.Errorf("unknown score %v, want null", *s)
	}
	wr.Verdict, wr.RecoverySeconds = Held, fp(0)
	wr.SLIs[0].During = fp(1)
	if s := Score(wr, 2*time.Minute); s == nil || *s != 100 {
		t.Errorf("held score %v", s)
	}

	verdict, score := Summarise([]WindowReport{{Verdict: Held, Score: fp(100)}, {Verdict: Degraded, Score: fp(60)}, {Verdict: Unknown}})
	if verdict != Unknown || score == nil || *score != 80 {
		t.Errorf("summary %s %v", verdict, score)
	}
	for _, c := range []struct {
		ws   []WindowReport
		want int
	}{
		{nil, 3},
		{[]WindowReport{{Verdict: Held}, {Verdict: Degraded}}, 0},
		{[]WindowReport{{Verdict: Held}, {Verdict: Unknown}}, 3},
		{[]WindowReport{{Verdict: Unknown}, {Verdict: Violated}}, 2},
	} {
		if got := ExitCode(&Report{Windows: c.ws}); got != c.want {
			t.Errorf("exit code of %+v: %d, want %d", c.ws, got, c.want)
		}
	}
}

func TestRunUsage(t *testing.T) {
	var out, errb strings.Builder
	cases := map[string][]string{
		"--prometheus is required": {"--out", t.TempDir()},
		"--out is required":        {"--prometheus", "http://x"},
		"not RFC 3339":             {"--prometheus", "http://x", "--out", t.TempDir(), "--from", "noon"},
		"no SLO named":             {"--prometheus", "http://x", "--out", t.TempDir(), "--slo", "nope"},
		"windows[0].end":           {"--prometheus", "http://x", "--out", t.TempDir(), "--windows", writeTemp(t, "- {scenario: a, start: '2026-01-01T00:00:00Z', end: x}\n")},
	}
	for want, args := range cases {
		errb.Reset()
		if code := Run(args, &out, &errb); code != ExitUsage || !strings.Contains(errb.String(), want) {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", args, code, errb.String(), want)
		}
	}
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// chaosDynamicClient is a fake cluster that lists the chaos kinds and events.
func chaosDynamicClient() *fake.FakeDynamicClient {
	gvrToList := map[schema.GroupVersionResource]string{eventsResource: "EventList"}
	for _, res := range ChaosResources {
		gvrToList[ChaosGroupVersion.WithResource(res)] = res + "List"
	}
	return fake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), gvrToList)
}

// chaosEvent is an event that Chaos Mesh recorded on a chaos object.
func chaosEvent(name, uid, objName, reason, message, at string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Event",
		"metadata": map[string]any{"name": name, "namespace": "otel-demo"},
		"involvedObject": map[string]any{"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "PodChaos", "name": objName,
			"namespace": "otel-demo", "uid": uid},
		"reason": reason, "message": message, "type": "Normal", "firstTimestamp": at, "lastTimestamp": at,
	}}
}

// A Workflow step's chaos object (the kick-off's pod-kill) is deleted by Chaos Mesh when the step ends; its
// window is read from the events recorded on it, and its target from the killed pod's ReplicaSet.
func TestFromClusterReadsDeletedStepsFromEvents(t *testing.T) {
	ctx := context.Background()
	dyn := chaosDynamicClient()
	live := chaosObj("PodChaos", "checkout-pod-kill-x7k2p", map[string]string{"managed-by": "checkout-pod-kill"},
		map[string]any{"selector": map[string]any{"labelSelectors": map[string]any{ComponentLabel: "checkout"}}},
		[]any{record("Not Injected", [2]string{"Apply", "2026-01-02T10:10:00Z"}, [2]string{"Recover", "2026-01-02T10:10:05Z"})})
	live.SetUID("live-uid")
	if _, err := dyn.Resource(ChaosGroupVersion.WithResource("podchaos")).Namespace("otel-demo").Create(ctx, live, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rs := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apps/v1", "kind": "ReplicaSet",
		"metadata": map[string]any{"name": "checkout-7c69", "namespace": "otel-demo"},
		"spec":     map[string]any{"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{ComponentLabel: "checkout"}}}}}}
	if _, err := dyn.Resource(replicaSetsResource).Namespace("otel-demo").Create(ctx, rs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	events := []*unstructured.Unstructured{
		chaosEvent("e1", "gone-uid", "checkout-pod-kill-g8wvl-p2lwm", "FinalizerInited", "Finalizer has been inited", "2026-01-02T10:00:01Z"),
		chaosEvent("e2", "gone-uid", "checkout-pod-kill-g8wvl-p2lwm", "Applied", "Successfully apply chaos for otel-demo/checkout-7c69-gqzkb", "2026-01-02T10:00:02Z"),
		chaosEvent("e3", "gone-uid", "checkout-pod-kill-g8wvl-p2lwm", "Deleted", "Experiment has been deleted", "2026-01-02T10:00:06Z"),
		chaosEvent("e4", "gone-uid", "checkout-pod-kill-g8wvl-p2lwm", "Recovered", "Successfully recover chaos for otel-demo/checkout-7c69-gqzkb", "2026-01-02T10:00:07Z"),
		// the live object's events: its window comes from its records, once
		chaosEvent("e5", "live-uid", "checkout-pod-kill-x7k2p", "Applied", "Successfully apply chaos for otel-demo/checkout-7c69-abcde", "2026-01-02T10:10:00Z"),
		// another scenario's deleted step, and a deleted object that never applied
		chaosEvent("e6", "other-uid", "cart-kill-abc-def", "Applied", "Successfully apply chaos for otel-demo/cart-1-x", "2026-01-02T10:00:02Z"),
		chaosEvent("e7", "failed-uid", "checkout-pod-kill-zzz-yyy", "Failed", "Failed to apply chaos: boom", "2026-01-02T10:00:02Z"),
	}
	for _, e := range events {
		if _, err := dyn.Resource(eventsResource).Namespace("otel-demo").Create(ctx, e, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	ws, err := FromCluster(ctx, dyn, "otel-demo", "checkout-pod-kill", time.Date(2026, 1, 2, 11, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := []Window{
		{Scenario: "checkout-pod-kill", Start: time.Date(2026, 1, 2, 10, 0, 2, 0, time.UTC), End: time.Date(2026, 1, 2, 10, 0, 7, 0, time.UTC),
			Target: "checkout", Source: "PodChaos/otel-demo/checkout-pod-kill-g8wvl-p2lwm"},
		{Scenario: "checkout-pod-kill", Start: time.Date(2026, 1, 2, 10, 10, 0, 0, time.UTC), End: time.Date(2026, 1, 2, 10, 10, 5, 0, time.UTC),
			Target: "checkout", Source: "PodChaos/otel-demo/checkout-pod-kill-x7k2p"},
	}
	if len(ws) != len(want) {
		t.Fatalf("windows %+v, want %+v", ws, want)
	}
	for i := range want {
		if ws[i] != want[i] {
			t.Errorf("window %d: %+v, want %+v", i, ws[i], want[i])
		}
	}
}
