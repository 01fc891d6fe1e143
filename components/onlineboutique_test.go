package components

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// renderBoutique renders the Boutique's edited chart as the lab installs it.
func renderBoutique(t *testing.T, istio bool) []map[string]any {
	t.Helper()
	src := ChartSource{LocalDir: sharedCharts(t), CacheDir: t.TempDir()}
	archive, err := src.ChartArchive(OnlineBoutiqueChart)
	if err != nil {
		t.Fatal(err)
	}
	edited, err := CollectorlessArchive(archive, src.CacheDir)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := CollectorlessArchive(archive, src.CacheDir); err != nil || again != edited {
		t.Errorf("the copy's path must be stable so that a repeat up changes nothing: %s then %s (%v)", edited, again, err)
	}
	host := "otel-collector.observability.svc"
	return renderChart(t, edited, OnlineBoutiqueRelease, apps.OnlineBoutique.Namespace,
		OnlineBoutiqueValues(&OnlineBoutiqueArgs{CollectorHost: host, Istio: istio}))
}

// Every service that traces sends its spans to the lab's collector under its own name, and nothing of the
// chart's own collector is rendered.
func TestOnlineBoutiqueTracesToTheLabsCollector(t *testing.T) {
	tracing := []string{"checkoutservice", "currencyservice", "emailservice", "frontend", "paymentservice",
		"productcatalogservice", "recommendationservice"}
	var traced, deployments []string
	for _, obj := range renderBoutique(t, false) {
		kind, name := obj["kind"], nameOf(obj)
		if strings.Contains(strings.ToLower(name), "collector") {
			t.Errorf("%s %s: the chart's own collector must not be rendered", kind, name)
		}
		if kind == "Service" && name == "frontend-external" {
			t.Error("frontend-external (a LoadBalancer) must be off")
		}
		if kind != "Deployment" {
			continue
		}
		deployments = append(deployments, name)
		for cname, c := range podContainers(obj) {
			env := envOf(c)
			if addr, ok := env["COLLECTOR_SERVICE_ADDR"]; ok {
				if addr != "otel-collector.observability.svc:4317" || env["OTEL_SERVICE_NAME"] != name || env["ENABLE_TRACING"] != "1" {
					t.Errorf("%s/%s: collector %q, service name %q, tracing %q", name, cname, addr, env["OTEL_SERVICE_NAME"], env["ENABLE_TRACING"])
				}
				traced = append(traced, name)
			}
		}
	}
	slices.Sort(traced)
	if !slices.Equal(traced, tracing) {
		t.Errorf("services exporting traces: %v, want %v", traced, tracing)
	}
	slices.Sort(deployments)
	if want := apps.OnlineBoutique.Deploy().ServiceNames(); !slices.Equal(deployments, want) {
		t.Errorf("Deployments %v, want the catalog's %v", deployments, want)
	}
}

// Each container runs with the budget the footprint counts: request = limit for memory.
func TestOnlineBoutiqueRunsWithItsBudgets(t *testing.T) {
	if got, want := slices.Sorted(maps.Keys(boutiqueBudgets)), apps.OnlineBoutique.Deploy().ServiceNames(); !slices.Equal(got, want) {
		t.Errorf("budgets for %v, want every deployed service %v", got, want)
	}
	for _, istio := range []bool{false, true} {
		for _, obj := range renderBoutique(t, istio) {
			if obj["kind"] != "Deployment" {
				continue
			}
			name := nameOf(obj)
			svc, _ := apps.OnlineBoutique.Service(name)
			c, ok := podContainers(obj)[svc.ContainerName()]
			if !ok {
				t.Errorf("%s: no container %s", name, svc.ContainerName())
				continue
			}
			res := c["resources"].(map[string]any)
			limits, requests := res["limits"].(map[string]any), res["requests"].(map[string]any)
			b := boutiqueBudgets[name]
			if name == "redis-cart" {
				if limits["memory"] != "256Mi" {
					t.Errorf("redis-cart: the chart's fixed limit changed: %v", limits)
				}
				continue
			}
			if want := b.Resources(); limits["memory"] != want["limits"].(map[string]any)["memory"] || requests["memory"] != limits["memory"] ||
				requests["cpu"] != want["requests"].(map[string]any)["cpu"] {
				t.Errorf("%s: resources %v, want %v", name, res, want)
			}
			if name == "loadgenerator" {
				spec := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
				_, hasInit := spec["initContainers"]
				if hasInit == istio {
					t.Errorf("istio=%v: the frontend check init container present=%v", istio, hasInit)
				}
			}
		}
	}
}
