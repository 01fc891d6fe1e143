package components

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

func TestEveryContainerHasABudget(t *testing.T) {
	for _, llm := range []bool{false, true} {
		for _, line := range Footprint(llm, true) {
			if line.Budget.MemoryMi <= 0 || line.Budget.CPUMilli <= 0 {
				t.Errorf("llm=%v: %s/%s has no memory or CPU request", llm, line.Part, line.Container)
			}
		}
	}
}

// The node that make up starts holds the lab's limits beside its own processes, and is the smallest whole
// GiB that does.
func TestNodeMemoryHoldsTheLimitsAndTheReserve(t *testing.T) {
	for _, limits := range []int{1000, 5000, 6000, 7000, 9000} {
		node := NodeMemoryMi(limits)
		if limits+NodeReserveMi(node) > node || node%1024 != 0 || node < 8*1024 {
			t.Errorf("%d Mi of limits: a %d Mi node (reserve %d Mi) does not hold them", limits, node, NodeReserveMi(node))
		}
		if smaller := node - 1024; smaller >= 8*1024 && limits+NodeReserveMi(smaller) <= smaller {
			t.Errorf("%d Mi of limits: %d Mi would do, not %d", limits, smaller, node)
		}
	}
}

func TestEveryShopServiceHasABudget(t *testing.T) {
	values := OtelDemoValues(&OtelDemoArgs{CollectorHost: "c", LoadGeneratorUsers: 5})
	comps := values["components"].(map[string]any)
	for name, v := range comps {
		settings := v.(map[string]any)
		if settings["enabled"] == false {
			continue
		}
		res, ok := settings["resources"].(map[string]any)
		if !ok {
			t.Errorf("component %s has no resources", name)
			continue
		}
		limits := res["limits"].(map[string]any)
		requests := res["requests"].(map[string]any)
		if limits["memory"] == nil || requests["memory"] != limits["memory"] {
			t.Errorf("component %s: memory request %v must equal its limit %v", name, requests["memory"], limits["memory"])
		}
	}
}

func TestBudgetResources(t *testing.T) {
	r := Budget{MemoryMi: 64, CPUMilli: 10, CPULimitMilli: 500}.Resources()
	if r["limits"].(map[string]any)["cpu"] != "500m" || r["requests"].(map[string]any)["memory"] != "64Mi" {
		t.Errorf("resources = %v", r)
	}
	if _, hasCPU := (Budget{MemoryMi: 64, CPUMilli: 10}).Resources()["limits"].(map[string]any)["cpu"]; hasCPU {
		t.Error("no CPU limit unless asked")
	}
}

// The collector's configuration is complete: every pipeline names components that are defined, and the
// spanmetrics connector is both an exporter (of traces) and a receiver (of metrics).
func TestCollectorPipelinesAreComplete(t *testing.T) {
	cfg := CollectorConfig()
	service := cfg["service"].(map[string]any)
	pipelines := service["pipelines"].(map[string]any)
	connectors := cfg["connectors"].(map[string]any)
	presetOn := CollectorValues()["presets"].(map[string]any)["kubernetesAttributes"].(map[string]any)["enabled"] == true
	defined := func(section, name string) bool {
		if section == "processors" && name == "k8s_attributes" {
			return presetOn // the chart's kubernetesAttributes preset defines it
		}
		if m, ok := cfg[section].(map[string]any); ok {
			if _, ok := m[name]; ok {
				return true
			}
		}
		_, isConnector := connectors[name]
		return isConnector && (section == "receivers" || section == "exporters")
	}
	usedAs := map[string]map[string]bool{}
	for name, p := range pipelines {
		for _, section := range []string{"receivers", "processors", "exporters"} {
			items := p.(map[string]any)[section].([]any)
			if len(items) == 0 && section != "processors" {
				t.Errorf("pipeline %s has no %s", name, section)
			}
			for _, item := range items {
				if !defined(section, item.(string)) {
					t.Errorf("pipeline %s: %s %q is not defined", name, section, item)
				}
				if usedAs[item.(string)] == nil {
					usedAs[item.(string)] = map[string]bool{}
				}
				usedAs[item.(string)][section] = true
			}
		}
	}
	if !usedAs["spanmetrics"]["receivers"] || !usedAs["spanmetrics"]["exporters"] {
		t.Error("spanmetrics must be exported to from traces and received by metrics")
	}
	for name, p := range pipelines {
		processors := p.(map[string]any)["processors"].([]any)
		if len(processors) == 0 || processors[0] != "memory_limiter" {
			t.Errorf("pipeline %s: memory_limiter must come first, got %v", name, processors)
		}
	}
	if !usedAs["otlp/jaeger"]["exporters"] || !usedAs["prometheus"]["exporters"] || !usedAs[LogsSink]["exporters"] {
		t.Errorf("traces must reach Jaeger, metrics Prometheus, logs %s: %v", LogsSink, usedAs)
	}
	if !strings.HasPrefix(JaegerOTLPEndpoint, JaegerService+"."+ObservabilityNamespace+".svc:") {
		t.Errorf("jaeger endpoint %s", JaegerOTLPEndpoint)
	}
	values := CollectorValues()
	if values["presets"].(map[string]any)["kubernetesAttributes"].(map[string]any)["enabled"] != true {
		t.Error("k8sattributes must be on, so that every series carries pod and namespace")
	}
}

// Every combination of app and Istio fits the node that make up starts for it: its CPU requests fit the
// node's 4 CPUs, and the Makefile starts Minikube with the memory it needs.
func TestEveryCombinationFitsOneNode(t *testing.T) {
	for _, c := range footprintCombinations() {
		lines := FootprintOf(c.deployment, c.istio, true)
		for _, line := range lines {
			if line.Budget.MemoryMi <= 0 || line.Budget.CPUMilli <= 0 {
				t.Errorf("%s: %s/%s has no memory or CPU request", c.name(), line.Part, line.Container)
			}
		}
		tot := Totals(lines)
		t.Logf("%s: %d Mi, %dm CPU, %d containers, %d sidecars", c.name(), tot.MemoryMi, tot.CPUMilli, tot.Containers, tot.Sidecars)
		if tot.CPUMilli > NodeCPUMilli {
			t.Errorf("%s: %dm CPU requested does not fit the node's %dm", c.name(), tot.CPUMilli, NodeCPUMilli)
		}
		if node, made := DeploymentNodeMi(c.deployment, c.istio), makefileNodeMi(t, c.istio); made < node {
			t.Errorf("%s needs a %d GiB node; make up starts %d GiB (Makefile MINIKUBE_MEMORY)", c.name(), node>>10, made>>10)
		}
		meshed := 0
		for _, svc := range c.deployment.Services() {
			if svc.Meshed() {
				meshed++
			}
		}
		if want := map[bool]int{false: 0, true: meshed}[c.istio]; tot.Sidecars != want {
			t.Errorf("%s: %d sidecars counted, want one per meshed pod (%d)", c.name(), tot.Sidecars, want)
		}
	}
}

type footprintCombination struct {
	deployment apps.Deployment
	istio      bool
}

func (c footprintCombination) name() string {
	return fmt.Sprintf("%s, Istio %v", c.deployment.App.Name, c.istio)
}

func footprintCombinations() []footprintCombination {
	return []footprintCombination{
		{ShopDeployment(false), false},
		{ShopDeployment(false), true},
		{apps.OnlineBoutique.Deploy(), false},
		{apps.OnlineBoutique.Deploy(), true},
	}
}

// A memory-stress scenario is checked against these: the budget of the service's own container, and Istio's
// sidecar of a meshed service; nothing else.
func TestContainerMemoryMi(t *testing.T) {
	shop, boutique := ShopDeployment(false), apps.OnlineBoutique.Deploy()
	for _, tc := range []struct {
		d                  apps.Deployment
		istio              bool
		service, container string
		want               int
		ok                 bool
	}{
		{shop, false, "checkout", "", shopBudgets["checkout"].MemoryMi, true},
		{shop, false, "checkout", "checkout", shopBudgets["checkout"].MemoryMi, true},
		{shop, false, "checkout", apps.IstioSidecar, 0, false},
		{shop, true, "checkout", apps.IstioSidecar, SidecarBudget.MemoryMi, true},
		{shop, false, "agent", "", 0, false}, // an LLM service that this deployment leaves out
		{shop, false, "no-such-service", "", 0, false},
		{boutique, false, "cartservice", "server", boutiqueBudgets["cartservice"].MemoryMi, true},
	} {
		got, ok := ContainerMemoryMi(tc.d, tc.istio, tc.service, tc.container)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s %s/%s (istio %v): %d %v, want %d %v", tc.d.App.Name, tc.service, tc.container, tc.istio, got, ok, tc.want, tc.ok)
		}
	}
}

// makefileMemory reads the Makefile's choice of Minikube memory: without Istio, then with.
var makefileMemory = regexp.MustCompile(`(?s)MINIKUBE_MEMORY_ISTIO_OFF \?= (\d+)g\nMINIKUBE_MEMORY_ISTIO_ON \?= (\d+)g`)

func makefileNodeMi(t *testing.T, istio bool) int {
	t.Helper()
	raw, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := makefileMemory.FindStringSubmatch(string(raw))
	if m == nil {
		t.Fatalf("the Makefile has no %s", makefileMemory)
	}
	g, _ := strconv.Atoi(m[map[bool]int{false: 1, true: 2}[istio]])
	return g * 1024
}
