//go:build e2e && bench

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// TestBench prints the lab's figures from one run on the simulated cluster (make bench): wall times of the
// full up, the no-op preview, the scenario flip and the destroy; the floor (an empty program's up on the
// same engine) and flip/floor; the footprint read from the live pods and whether all of them got scheduled
// on the 4 CPU / 8 GiB node. With helm in the toolchain bin it also times a helm CLI install of the charts.
func TestBench(t *testing.T) {
	bin, err := ToolsBin()
	if err != nil {
		t.Fatal(err)
	}
	c := StartCluster(t, bin)
	e := NewEngine(t, bin)
	ctx := context.Background()
	var rows [][2]string
	row := func(k, v string) { rows = append(rows, [2]string{k, v}) }
	secs := func(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }
	defer func() {
		var b strings.Builder
		host, _ := os.Hostname()
		fmt.Fprintf(&b, "\nchaos-mesh-otel bench (%s, %d CPU, %s/%s, kube %s)\n", host, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, KubeVersion())
		for _, r := range rows {
			fmt.Fprintf(&b, "  %-48s %s\n", r[0], r[1])
		}
		fmt.Print(b.String())
		if f := os.Getenv("E2E_BENCH_OUT"); f != "" {
			_ = os.WriteFile(f, []byte(b.String()), 0o644)
		}
	}()

	// The floor is an empty inline program's up. Its stack has the same secrets provider as the lab's, so
	// both pay the passphrase key derivation (about 0.2 s of CPU) that the engine does on every up. Its first
	// up creates the stack, before the lab exists; the floors that flip/floor divides by are taken later,
	// each just before a flip, so that both see the same machine and the same cluster.
	floorStack := e.ScratchStack(ctx, t, "floor", func(*pulumi.Context) error { return nil })
	floorUp := func() time.Duration {
		_, d, err := Up(ctx, t, floorStack)
		if err != nil {
			t.Fatalf("floor up: %v", err)
		}
		return d
	}
	row("floor on an idle cluster (first up, creates the stack)", secs(floorUp()))

	s := e.RepoStack(ctx, t, stacks.Lab)
	if err := s.SetAllConfig(ctx, LabConfig(c)); err != nil {
		t.Fatal(err)
	}
	res, full, err := Up(ctx, t, s)
	if err != nil {
		row("full up", "FAILED after "+secs(full))
		if fp, ferr := c.Footprint(ctx, LabNamespaces); ferr == nil {
			row("partial footprint: pods / unscheduled", fmt.Sprintf("%d / %d", fp.Pods, fp.Unscheduled))
			row("partial footprint: CPU req, mem req, mem lim", fmt.Sprintf("%s, %s, %s", fp.CPURequests.String(), MiB(fp.MemRequests), MiB(fp.MemLimits)))
		}
		t.Fatalf("full up: %v", err)
	}
	created := 0
	if res.Summary.ResourceChanges != nil {
		created = (*res.Summary.ResourceChanges)["create"]
	}
	row("full up", fmt.Sprintf("%s (%d resources created)", secs(full), created))

	fp, err := c.Footprint(ctx, LabNamespaces)
	if err != nil {
		t.Fatal(err)
	}

	pres, noop, out, err := Preview(ctx, s, optpreview.ExpectNoChanges())
	n, what := Changes(ChangeSummaryOf(pres.ChangeSummary))
	if err != nil {
		t.Errorf("the no-op preview found changes (%d: %s): %v\n%s", n, what, err, tail(out, 4000))
	}
	row("no-op preview", fmt.Sprintf("%s (%d changes)", secs(noop), n))

	// The flip and the floor, interleaved: three rounds of a floor up then an up that switches the scenario
	// on (with an up that switches it off again between rounds); flip/floor is the ratio of their medians.
	var floors, ons, offs []time.Duration
	for i := range 3 {
		if i > 0 {
			setScenarios(ctx, t, s, `{}`)
			_, off, err := Up(ctx, t, s)
			if err != nil {
				t.Fatalf("flip off: %v", err)
			}
			offs = append(offs, off)
		}
		floors = append(floors, floorUp())
		setScenarios(ctx, t, s, `{"`+flipScenario()+`":{"enabled":true}}`)
		_, on, err := Up(ctx, t, s)
		if err != nil {
			t.Fatalf("flip up: %v", err)
		}
		ons = append(ons, on)
	}
	median := func(ds []time.Duration) time.Duration { return slices.Sorted(slices.Values(ds))[len(ds)/2] }
	floor, flip := median(floors), median(ons)
	row("floor: empty program up (median of 3)", fmt.Sprintf("%s (runs: %s)", secs(floor), joinSecs(floors)))
	row("scenario flip up, switch on ("+flipScenario()+"; median of 3)", fmt.Sprintf("%s (runs: %s)", secs(flip), joinSecs(ons)))
	row("scenario flip up, switch off (2 runs)", joinSecs(offs))
	row("flip / floor (target <= 1.5)", fmt.Sprintf("%.2f", flip.Seconds()/floor.Seconds()))

	destroy, err := Destroy(ctx, t, s)
	if err != nil {
		t.Fatalf("destroy: %v", err)
	}
	row("destroy", secs(destroy))

	limit := resource.MustParse("6Gi")
	row("pods (running, lab namespaces)", fmt.Sprint(fp.Pods))
	for _, p := range fp.UnscheduledPods {
		row("unscheduled", p)
	}
	row("all scheduled on 4 CPU / 8 GiB node", fmt.Sprintf("%v (%d unscheduled)", fp.Unscheduled == 0, fp.Unscheduled))
	row("sum CPU requests", fp.CPURequests.String())
	row("sum memory requests", MiB(fp.MemRequests))
	row("sum memory limits (target <= 6 GiB)", fmt.Sprintf("%s (%v; %d of %d containers without a limit)",
		MiB(fp.MemLimits), fp.MemLimits.Cmp(limit) <= 0, fp.ContainersWithoutMemLimit, fp.Containers))

	if helm := filepath.Join(bin, "helm"); fileExists(helm) {
		d, err := helmInstall(ctx, t, c, helm)
		if err != nil {
			row("helm CLI install of the charts", "failed: "+err.Error())
		} else {
			row("helm CLI install of the same charts and values (--wait)", secs(d))
			row("full up / helm", fmt.Sprintf("%.2f", full.Seconds()/d.Seconds()))
		}
	}
}

func helmInstall(ctx context.Context, t *testing.T, c *Cluster, helm string) (time.Duration, error) {
	// archive name prefix -> release, namespace
	charts := [][3]string{
		{"chaos-mesh-", "chaos-mesh", ChaosNamespace},
		{"prometheus-", "prometheus", ObsNamespace},
		{"grafana-", "grafana", ObsNamespace},
		{"jaeger-", "jaeger", ObsNamespace},
		{"opentelemetry-collector-", "otel-collector", ObsNamespace},
		{"opentelemetry-demo-", "otel-demo", ShopNamespace},
	}
	run := func(args ...string) error {
		cmd := exec.CommandContext(ctx, helm, append(args, "--kubeconfig", c.Kubeconfig)...)
		cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+filepath.Join(c.Dir, "helm-cache"),
			"HELM_CONFIG_HOME="+filepath.Join(c.Dir, "helm-config"), "HELM_DATA_HOME="+filepath.Join(c.Dir, "helm-data"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("helm %s: %v\n%s", strings.Join(args[:2], " "), err, tail(string(out), 2000))
		}
		return nil
	}
	// The same charts with the lab's own values (from the components' pure functions), and the demo
	// archive packed as `helm package` packs it, so that helm's release record fits its Secret.
	cfg, err := stacks.ParseConfig(stacks.Source{Get: func(key string) (string, bool) {
		switch key {
		case "grafanaAdminPassword":
			return "bench-password", true
		case "chartsDir":
			return ChartsDir(), true
		}
		return "", false
	}})
	if err != nil {
		return 0, err
	}
	ruleFiles, err := slo.ServerFiles(cfg.SLOs)
	if err != nil {
		return 0, err
	}
	labValues := map[string]map[string]any{
		"chaos-mesh":     components.ChaosMeshValues(&components.ChaosMeshArgs{Runtime: cfg.ChaosRuntime, SocketPath: cfg.ChaosSocketPath}),
		"prometheus":     components.PrometheusValues(&components.PrometheusArgs{RuleFiles: ruleFiles}),
		"grafana":        components.GrafanaValues(),
		"jaeger":         components.JaegerValues(),
		"otel-collector": components.CollectorValues(),
		"otel-demo": components.OtelDemoValues(&components.OtelDemoArgs{
			CollectorHost: "otel-collector.observability.svc", LoadGeneratorUsers: cfg.LoadGeneratorUsers,
		}),
	}
	kubectl := func(args ...string) error {
		out, err := exec.CommandContext(ctx, filepath.Join(c.Bin, "kubectl"), append(args, "--kubeconfig", c.Kubeconfig)...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	start := time.Now()
	// What a helm script needs besides the charts, as the lab declares it: the namespaces, Grafana's admin
	// Secret and dashboards ConfigMap, and flagd's overrides.
	for _, step := range [][]string{
		{"create", "namespace", ChaosNamespace}, {"create", "namespace", ObsNamespace}, {"create", "namespace", ShopNamespace},
		{"-n", ObsNamespace, "create", "secret", "generic", "grafana-admin", "--from-literal=admin-user=admin", "--from-literal=admin-password=bench-password"},
		{"-n", ObsNamespace, "create", "configmap", components.GrafanaDashboardsConfigMap},
		{"-n", ShopNamespace, "create", "configmap", components.FlagOverridesConfigMap, "--from-literal=" + components.FlagOverridesKey + "=" + components.EmptyFlagOverrides},
	} {
		if err := kubectl(step...); err != nil {
			return 0, err
		}
	}
	var installed []string
	for _, ch := range charts {
		archives, _ := filepath.Glob(filepath.Join(ChartsDir(), ch[0]+"[0-9]*.tgz"))
		if len(archives) != 1 {
			return 0, fmt.Errorf("chart %s*: found %v", ch[0], archives)
		}
		archive, err := components.PackedArchive(archives[0], filepath.Join(c.Dir, "packed"))
		if err != nil {
			return 0, err
		}
		valuesYAML, err := yaml.Marshal(labValues[ch[1]])
		if err != nil {
			return 0, err
		}
		valuesFile := filepath.Join(c.Dir, ch[1]+"-values.yaml")
		if err := os.WriteFile(valuesFile, valuesYAML, 0o644); err != nil {
			return 0, err
		}
		if err := run("install", "bench-"+ch[1], archive, "-n", ch[2], "--wait", "--timeout", "5m", "-f", valuesFile); err != nil {
			return 0, err
		}
		installed = append(installed, ch[1]+"/"+ch[2])
	}
	d := time.Since(start)
	for _, rn := range installed {
		rel, ns, _ := strings.Cut(rn, "/")
		_ = run("uninstall", "bench-"+rel, "-n", ns, "--wait")
	}
	t.Logf("helm installed %v in %s", installed, d)
	return d, nil
}

func joinSecs(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%.1f s", d.Seconds())
	}
	return strings.Join(parts, ", ")
}
