//go:build e2e

package e2e

import (
	"context"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/wiring"
)

// The preset the flip and halt steps enable (override with E2E_SCENARIO).
func flipScenario() string {
	if s := os.Getenv("E2E_SCENARIO"); s != "" {
		return s
	}
	return "checkout-pod-kill"
}

// TestLab runs the whole lab through the real engine against the simulated cluster: up from nothing,
// idempotent preview, scenario flip, halt, a broken config refused at preview, destroy.
func TestLab(t *testing.T) {
	ctx := context.Background()
	c, e, before := labCluster(t, nil)
	s := e.RepoStack(ctx, t, stacks.Lab)
	if err := s.SetAllConfig(ctx, LabConfig(c)); err != nil {
		t.Fatal(err)
	}
	scenario := flipScenario()
	step := steps(t)

	step("up", func(t *testing.T) {
		_, d, err := Up(ctx, t, s)
		if err != nil {
			t.Fatalf("up: %v", err)
		}
		t.Logf("full up: %s", d.Round(time.Millisecond))
		assertLabUp(ctx, t, c)
	})

	step("idempotent", func(t *testing.T) { assertNoOpPreview(ctx, t, s) })

	step("flip", func(t *testing.T) {
		objs0, err := c.ChaosObjects(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(objs0) != 0 {
			t.Fatalf("chaos objects exist before any scenario is enabled: %v", objs0)
		}
		setScenarios(ctx, t, s, `{"`+scenario+`":{"enabled":true}}`)
		res, d, err := Up(ctx, t, s)
		if err != nil {
			t.Fatalf("up with %s enabled: %v", scenario, err)
		}
		t.Logf("flip up: %s (%v)", d.Round(time.Millisecond), res.Summary.ResourceChanges)
		objs, err := c.ChaosObjects(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		// Its Schedule or Workflow, named after it; a Schedule comes with its kick-off Workflow
		// (<name>-first), which strikes once at switch-on.
		want := []string{"Workflow/" + apps.AstronomyShop.Namespace + "/" + scenario}
		if slices.ContainsFunc(objs, func(o ChaosObject) bool { return o.Kind == "Schedule" }) {
			want = []string{"Schedule/" + apps.AstronomyShop.Namespace + "/" + scenario,
				"Workflow/" + apps.AstronomyShop.Namespace + "/" + scenarios.KickOffName(scenario)}
		}
		var got []string
		for _, o := range objs {
			got = append(got, o.String())
		}
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Fatalf("enabling %s: want exactly %v, got %v", scenario, want, got)
		}
		if n, what := Changes(derefSummary(res.Summary.ResourceChanges)); n == 0 {
			t.Fatalf("flip up reported no change (%s)", what)
		}
		// A flip creates the chaos object and updates the scenario dashboard in place; it replaces nothing.
		if replaced := derefSummary(res.Summary.ResourceChanges)["replace"]; replaced != 0 {
			t.Errorf("flip up replaced %d resource(s): %v", replaced, res.Summary.ResourceChanges)
		}

		// The wiring proof on the live cluster, with the scenario on: every address, scrape job, selector
		// and metric producer resolves among the objects that the API server really holds.
		if report := assertLiveWiring(ctx, t, c); len(report.Blast) == 0 {
			t.Errorf("the enabled scenario %s has no blast radius on the live cluster", scenario)
		}

		setScenarios(ctx, t, s, `{"`+scenario+`":{"enabled":false}}`)
		if _, _, err := Up(ctx, t, s); err != nil {
			t.Fatalf("up with %s disabled: %v", scenario, err)
		}
		objs, err = c.ChaosObjects(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(objs) != 0 {
			t.Fatalf("disabling %s left chaos objects: %v", scenario, objs)
		}
	})

	step("halt", func(t *testing.T) {
		// A Schedule preset and a Workflow preset, so that both annotations are exercised.
		haltScenarios := os.Getenv("E2E_HALT_SCENARIOS")
		wantKinds := map[string]bool{}
		if haltScenarios == "" {
			haltScenarios = `{"` + scenario + `":{"enabled":true},"checkout-gameday":{"enabled":true}}`
			wantKinds = map[string]bool{"Schedule": true, "Workflow": true}
		}
		setScenarios(ctx, t, s, haltScenarios)
		if _, _, err := Up(ctx, t, s); err != nil {
			t.Fatalf("up with scenarios: %v", err)
		}
		objs, err := c.ChaosObjects(ctx, apps.AstronomyShop.Namespace)
		if err != nil {
			t.Fatal(err)
		}
		if len(objs) == 0 {
			t.Fatalf("no chaos object to halt")
		}
		for _, o := range objs {
			delete(wantKinds, o.Kind)
		}
		if len(wantKinds) > 0 {
			t.Fatalf("expected a Schedule and a Workflow to halt, got %v", objs)
		}
		for _, o := range objs {
			if haltMark(o) != "" {
				t.Fatalf("%s carries a halt annotation before halt: %v", o, o.Annotations)
			}
		}

		if err := s.SetConfig(ctx, Key("halt"), auto.ConfigValue{Value: "true"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Up(ctx, t, s); err != nil {
			t.Fatalf("up with halt=true: %v", err)
		}
		halted, err := c.ChaosObjects(ctx, apps.AstronomyShop.Namespace)
		if err != nil {
			t.Fatal(err)
		}
		if names(halted) != names(objs) {
			t.Fatalf("halt changed the set of chaos objects: %s -> %s", names(objs), names(halted))
		}
		for _, o := range halted {
			if haltMark(o) != "true" {
				t.Errorf("%s not halted after one up with halt=true: annotations %v", o, o.Annotations)
			}
		}

		if err := s.SetConfig(ctx, Key("halt"), auto.ConfigValue{Value: "false"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Up(ctx, t, s); err != nil {
			t.Fatalf("up with halt=false: %v", err)
		}
		resumed, err := c.ChaosObjects(ctx, apps.AstronomyShop.Namespace)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range resumed {
			if o.Kind == "Schedule" && haltMark(o) == "true" {
				t.Errorf("%s still paused after halt=false: %v", o, o.Annotations)
			}
		}
	})

	step("broken-config", func(t *testing.T) {
		good, err := s.GetAllConfig(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fp0 := fingerprint(ctx, t, c)
		// enabled must be a boolean: the scenarios validation names the key path.
		setScenarios(ctx, t, s, `{"`+scenario+`":{"enabled":"maybe"}}`)
		_, _, out, err := Preview(ctx, s)
		if err == nil {
			t.Fatalf("preview accepted a broken scenarios config:\n%s", tail(out, 4000))
		}
		msg := err.Error() + out
		if !strings.Contains(msg, "scenarios."+scenario+".enabled") {
			t.Errorf("the preview error does not name the key (scenarios.%s.enabled):\n%s", scenario, tail(msg, 4000))
		}
		if _, _, err := Up(ctx, t, s); err == nil {
			t.Errorf("up accepted a broken scenarios config")
		}
		if fp1 := fingerprint(ctx, t, c); !reflect.DeepEqual(fp0, fp1) {
			t.Errorf("a refused config touched the cluster:\n%s", diffFingerprint(fp0, fp1))
		}
		if err := s.SetAllConfig(ctx, good); err != nil {
			t.Fatal(err)
		}
	})

	step("stack-files", func(t *testing.T) {
		fp0 := fingerprint(ctx, t, c)
		assertStackFilesReadAsPulumiReadsThem(ctx, t, s, c)
		if fp1 := fingerprint(ctx, t, c); !reflect.DeepEqual(fp0, fp1) {
			t.Errorf("a previewed stack file touched the cluster:\n%s", diffFingerprint(fp0, fp1))
		}
	})

	step("destroy", func(t *testing.T) {
		d, err := Destroy(ctx, t, s)
		if err != nil {
			t.Fatalf("destroy: %v", err)
		}
		t.Logf("destroy: %s", d.Round(time.Millisecond))
		assertLabGone(ctx, t, c, before)
	})
}

// assertLabUp checks that everything the lab declared is really up on the simulated cluster.
func assertLabUp(ctx context.Context, t *testing.T, c *Cluster) {
	t.Helper()
	assertLabUpIn(ctx, t, c, LabNamespaces)
}

// assertLabUpIn is assertLabUp for the namespaces of a stack.
func assertLabUpIn(ctx context.Context, t *testing.T, c *Cluster, namespaces []string) {
	t.Helper()
	for _, ns := range namespaces {
		if ok, err := c.NamespaceExists(ctx, ns); err != nil || !ok {
			t.Errorf("namespace %s missing (%v)", ns, err)
		}
	}
	// Pulumi waits for workloads it creates; allow the controllers a moment for the rest (DaemonSets).
	var problems []string
	var found int
	err := wait.PollUntilContextTimeout(ctx, time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		var err error
		problems, found, err = c.NotAvailable(ctx, namespaces)
		return err == nil && len(problems) == 0, nil
	})
	if err != nil || found == 0 {
		t.Errorf("workloads not available (%d found): %s", found, strings.Join(problems, "; "))
	}
	t.Logf("%d Deployments/StatefulSets/DaemonSets available", found)
	podProblems, pods, err := c.PodsNotRunning(ctx, namespaces)
	if err != nil || len(podProblems) > 0 {
		t.Errorf("pods not Running on %s (%v): %s", NodeName, err, strings.Join(podProblems, "; "))
	}
	t.Logf("%d pods Running on %s", pods, NodeName)

	crds, err := c.ChaosCRDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"schedules.chaos-mesh.org", "workflows.chaos-mesh.org", "podchaos.chaos-mesh.org", "networkchaos.chaos-mesh.org"} {
		if !crds[want] {
			t.Errorf("CRD %s not established (chaos CRDs: %v)", want, crds)
		}
	}
	for name, ok := range crds {
		if !ok {
			t.Errorf("CRD %s not established", name)
		}
	}

	dash, err := c.DashboardConfigMaps(ctx, components.ObservabilityNamespace)
	if err != nil || len(dash) == 0 {
		t.Errorf("no Grafana dashboard ConfigMap (key <uid>.json) in %s (%v)", components.ObservabilityNamespace, err)
	}
	t.Logf("dashboard ConfigMaps: %v", dash)

	// Storage decision (README): the lab uses no PersistentVolumeClaims; the harness has no provisioner.
	for _, ns := range namespaces {
		pvcs, err := c.Client.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pvcs.Items {
			t.Errorf("the lab declares PVC %s/%s; it must keep its data in emptyDir (no provisioner by default)", ns, p.Name)
		}
	}
}

// labCluster starts a simulated cluster and a Pulumi engine for a lab test, from the cluster and engine tools
// plus extra, and returns them with the cluster-scoped objects that exist before any lab.
func labCluster(t *testing.T, extra []string, opts ...ClusterOption) (*Cluster, *Engine, map[string]bool) {
	t.Helper()
	bin, err := ToolsBin(append(append(append([]string{}, ClusterTools...), EngineTools...), extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ChartsDir()); err != nil {
		t.Fatalf("charts dir: %v (set CHARTS_DIR)", err)
	}
	c := StartCluster(t, bin, opts...)
	e := NewEngine(t, bin)
	before, err := c.ClusterScoped(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c, e, before
}

// steps runs a test's steps as subtests; a failed step ends the test, since later steps build on it.
func steps(t *testing.T) func(name string, f func(t *testing.T)) {
	return func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
}

// assertNoOpPreview asserts that a preview right after an up changes nothing.
func assertNoOpPreview(ctx context.Context, t *testing.T, s auto.Stack) {
	t.Helper()
	res, d, out, err := Preview(ctx, s, optpreview.ExpectNoChanges(), optpreview.Diff())
	n, what := Changes(ChangeSummaryOf(res.ChangeSummary))
	if err != nil || n != 0 {
		t.Fatalf("preview right after up is not a no-op (%d changes: %s): %v\n%s", n, what, err, tail(out, 8000))
	}
	t.Logf("no-op preview: %s", d.Round(time.Millisecond))
}

// assertLiveWiring runs the wiring proof on the live cluster, which must find nothing, logs the blast radius
// of the enabled scenarios, and returns the report.
func assertLiveWiring(ctx context.Context, t *testing.T, c *Cluster) *wiring.Report {
	t.Helper()
	live, err := wiring.FromCluster(ctx, c.Kubeconfig)
	if err != nil {
		t.Fatalf("reading the lab's objects: %v", err)
	}
	report := wiring.Check(live, wiring.Options{RequirePromtool: os.Getenv("CI") == "true"})
	var findings strings.Builder
	report.WriteFindings(&findings)
	if len(report.Findings) != 0 {
		t.Errorf("wiring findings on the live cluster:\n%s", findings.String())
	}
	var blast strings.Builder
	wiring.WriteBlastRadius(&blast, report.Blast)
	t.Logf("live wiring: %d objects, %d findings; blast radius:\n%s", len(live.Items), len(report.Findings), blast.String())
	return report
}

// assertLabGone checks that destroy left nothing of the lab behind.
func assertLabGone(ctx context.Context, t *testing.T, c *Cluster, before map[string]bool) {
	t.Helper()
	assertLabGoneIn(ctx, t, c, before, LabNamespaces)
}

// assertLabGoneIn is assertLabGone for the namespaces of a stack.
func assertLabGoneIn(ctx context.Context, t *testing.T, c *Cluster, before map[string]bool, namespaces []string) {
	t.Helper()
	for _, ns := range namespaces {
		ok, err := c.NamespaceExists(ctx, ns)
		if err != nil || ok {
			t.Errorf("namespace %s still there after destroy (%v)", ns, err)
		}
	}
	if objs, err := c.ChaosObjects(ctx, ""); err != nil || len(objs) > 0 {
		t.Errorf("chaos objects left after destroy: %v (%v)", objs, err)
	}
	if rels, err := c.HelmReleases(ctx); err != nil || len(rels) > 0 {
		t.Errorf("helm releases left after destroy: %v (%v)", rels, err)
	}
	after, err := c.ClusterScoped(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for k := range after {
		if !before[k] {
			left = append(left, k)
		}
	}
	sort.Strings(left)
	if len(left) > 0 {
		t.Errorf("cluster-scoped objects left after destroy: %v", left)
	}
}

func setScenarios(ctx context.Context, t *testing.T, s auto.Stack, raw string) {
	t.Helper()
	if err := s.SetConfig(ctx, Key("scenarios"), auto.ConfigValue{Value: raw}); err != nil {
		t.Fatalf("set scenarios: %v", err)
	}
}

// haltMark is the value of the halt annotation that applies to the object's kind.
func haltMark(o ChaosObject) string {
	if o.Kind == "Workflow" {
		return o.Annotations[AbortAnnotation]
	}
	return o.Annotations[PauseAnnotation]
}

func names(objs []ChaosObject) string {
	var n []string
	for _, o := range objs {
		n = append(n, o.String())
	}
	return strings.Join(n, ",")
}

func derefSummary(m *map[string]int) map[string]int {
	if m == nil {
		return nil
	}
	return *m
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// fingerprint captures what a refused config must not touch: every object of the lab's namespaces that
// the lab writes (workloads by generation, the rest by resourceVersion) and the chaos objects.
func fingerprint(ctx context.Context, t *testing.T, c *Cluster) map[string]string {
	t.Helper()
	fp := map[string]string{}
	for _, ns := range LabNamespaces {
		deps, err := c.Client.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range deps.Items {
			fp["deploy/"+ns+"/"+d.Name] = metav1.FormatLabelSelector(d.Spec.Selector) + "@" + itoa(d.Generation)
		}
		cms, err := c.Client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, cm := range cms.Items {
			fp["cm/"+ns+"/"+cm.Name] = cm.ResourceVersion
		}
		secrets, err := c.Client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets.Items {
			if s.Type == corev1.SecretTypeServiceAccountToken {
				continue
			}
			fp["secret/"+ns+"/"+s.Name] = s.ResourceVersion
		}
	}
	objs, err := c.ChaosObjects(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		fp["chaos/"+o.String()] = o.ResourceVersion
	}
	return fp
}

func diffFingerprint(a, b map[string]string) string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, k+": "+v+" -> "+b[k])
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k+": new "+v)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
