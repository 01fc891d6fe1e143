package components

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// Budget is what one container may use. Memory request equals the limit, so the scheduler reserves what the
// container may really take; CPU gets a small request and, for the shop's services, a limit, so that a CPU
// stress fault shows up as throttling instead of starving the node.
type Budget struct {
	MemoryMi      int
	CPUMilli      int
	CPULimitMilli int // 0: no CPU limit
}

func (b Budget) requests() map[string]string {
	return map[string]string{"cpu": fmt.Sprintf("%dm", b.CPUMilli), "memory": fmt.Sprintf("%dMi", b.MemoryMi)}
}

func (b Budget) limits() map[string]string {
	limits := map[string]string{"memory": fmt.Sprintf("%dMi", b.MemoryMi)}
	if b.CPULimitMilli > 0 {
		limits["cpu"] = fmt.Sprintf("%dm", b.CPULimitMilli)
	}
	return limits
}

// Resources is the Kubernetes resources block for the budget, as chart values.
func (b Budget) Resources() map[string]any {
	asValues := func(m map[string]string) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	return map[string]any{"requests": asValues(b.requests()), "limits": asValues(b.limits())}
}

// Requirements is the same resources block for a container that the lab declares itself.
func (b Budget) Requirements() *corev1.ResourceRequirementsArgs {
	return &corev1.ResourceRequirementsArgs{Requests: pulumi.ToStringMap(b.requests()), Limits: pulumi.ToStringMap(b.limits())}
}

// DefaultContainerBudget is what the namespaces' LimitRanges give a container that its chart left without
// resources, such as the demo's busybox init containers, so that no container of the lab runs unbounded.
var DefaultContainerBudget = Budget{MemoryMi: 32, CPUMilli: 5}

// The budgets of the parts that the lab configures. docs/footprint.md's table is made from these.
var (
	chaosControllerBudget = Budget{MemoryMi: 256, CPUMilli: 25}
	chaosDaemonBudget     = Budget{MemoryMi: 128, CPUMilli: 25}
	chaosDashboardBudget  = Budget{MemoryMi: 256, CPUMilli: 10}
	chaosDNSBudget        = Budget{MemoryMi: 70, CPUMilli: 10}
	collectorBudget       = Budget{MemoryMi: 256, CPUMilli: 50}
	prometheusBudget      = Budget{MemoryMi: 512, CPUMilli: 100}
	configReloaderBudget  = Budget{MemoryMi: 32, CPUMilli: 5}
	kubeStateBudget       = Budget{MemoryMi: 64, CPUMilli: 10}
	jaegerBudget          = Budget{MemoryMi: 704, CPUMilli: 25}
	grafanaBudget         = Budget{MemoryMi: 300, CPUMilli: 25}
	sloGateBudget         = Budget{MemoryMi: 32, CPUMilli: 5}
)

// shopBudgets are the budgets of the shop's services, keyed by their names in apps.AstronomyShop: every
// service the lab may deploy has one. Each is at least the demo chart's limit and 1.25 × the highest usage
// that upstream reports; docs/footprint.md lists the evidence for each. The LLM services (agent, chatbot,
// mcp) are off unless llmComponents is true.
var shopBudgets = map[string]Budget{
	"accounting":      {MemoryMi: 160, CPUMilli: 10, CPULimitMilli: 500},
	"ad":              {MemoryMi: 300, CPUMilli: 10, CPULimitMilli: 500},
	"cart":            {MemoryMi: 160, CPUMilli: 10, CPULimitMilli: 500},
	"checkout":        {MemoryMi: 32, CPUMilli: 10, CPULimitMilli: 500},
	"currency":        {MemoryMi: 20, CPUMilli: 10, CPULimitMilli: 500},
	"email":           {MemoryMi: 100, CPUMilli: 10, CPULimitMilli: 500},
	"fraud-detection": {MemoryMi: 300, CPUMilli: 10, CPULimitMilli: 500},
	"frontend":        {MemoryMi: 250, CPUMilli: 20, CPULimitMilli: 1000},
	"frontend-proxy":  {MemoryMi: 90, CPUMilli: 20, CPULimitMilli: 1000},
	"image-provider":  {MemoryMi: 50, CPUMilli: 10, CPULimitMilli: 500},
	"load-generator":  {MemoryMi: 512, CPUMilli: 20, CPULimitMilli: 1000},
	"payment":         {MemoryMi: 140, CPUMilli: 10, CPULimitMilli: 500},
	"product-catalog": {MemoryMi: 32, CPUMilli: 10, CPULimitMilli: 500},
	"quote":           {MemoryMi: 40, CPUMilli: 10, CPULimitMilli: 500},
	"recommendation":  {MemoryMi: 500, CPUMilli: 10, CPULimitMilli: 500},
	"shipping":        {MemoryMi: 20, CPUMilli: 10, CPULimitMilli: 500},
	"flagd":           {MemoryMi: 80, CPUMilli: 10, CPULimitMilli: 500},
	"kafka":           {MemoryMi: 768, CPUMilli: 50, CPULimitMilli: 1000},
	"astronomy-db":    {MemoryMi: 100, CPUMilli: 10, CPULimitMilli: 500},
	"valkey-cart":     {MemoryMi: 20, CPUMilli: 10, CPULimitMilli: 500},
	"agent":           {MemoryMi: 500, CPUMilli: 10, CPULimitMilli: 500},
	"chatbot":         {MemoryMi: 500, CPUMilli: 10, CPULimitMilli: 500},
	"mcp":             {MemoryMi: 500, CPUMilli: 10, CPULimitMilli: 500},
}

// flagdUIBudget is flagd's sidecar, the feature-flag UI. The chart sets its memory limit (and so, by
// Kubernetes' defaulting, its request) and offers no way to change it short of restating the whole sidecar;
// the CPU request comes from the LimitRange. The table states what really runs.
var flagdUIBudget = Budget{MemoryMi: 250, CPUMilli: DefaultContainerBudget.CPUMilli}

// ShopDeployment is the shop as the lab deploys it, with its LLM services or without.
func ShopDeployment(llm bool) apps.Deployment {
	if llm {
		return apps.AstronomyShop.Deploy(apps.LLM)
	}
	return apps.AstronomyShop.Deploy()
}

// FootprintLine is one row of the footprint table.
type FootprintLine struct {
	Part      string
	Container string
	Budget    Budget
}

// Footprint lists every container budget the lab sets with the Astronomy Shop and no Istio, with the LLM
// services on or off (see FootprintOf).
func Footprint(llm bool, sloGate bool) []FootprintLine {
	return FootprintOf(ShopDeployment(llm), false, sloGate)
}

// FootprintOf lists every container budget the lab sets for the app as deployed, with Istio or without.
// Init containers and anything a chart leaves bare fall to DefaultContainerBudget through the LimitRanges and
// are counted by the render test, which sums every container of the rendered charts. With Istio, every meshed
// pod gets a sidecar at SidecarBudget: injection happens at admission, so no chart shows it, and it is
// counted here from the same catalog that tells istiod which pods to skip.
func FootprintOf(d apps.Deployment, istio, sloGate bool) []FootprintLine {
	lines := []FootprintLine{
		{"chaos-mesh", "controller-manager", chaosControllerBudget},
		{"chaos-mesh", "chaos-daemon", chaosDaemonBudget},
		{"chaos-mesh", "chaos-dashboard", chaosDashboardBudget},
		{"chaos-mesh", "chaos-dns-server", chaosDNSBudget},
		{"collector", "opentelemetry-collector", collectorBudget},
		{"prometheus", "prometheus-server", prometheusBudget},
		{"prometheus", "config-reloader", configReloaderBudget},
		{"prometheus", "kube-state-metrics", kubeStateBudget},
		{"jaeger", "jaeger", jaegerBudget},
		{"grafana", "grafana", grafanaBudget},
	}
	if sloGate {
		lines = append(lines, FootprintLine{"slo-gate", "slo-gate", sloGateBudget})
	}
	part, budgets := "shop", shopBudgets
	if d.App.Name == apps.OnlineBoutique.Name {
		part, budgets = "boutique", boutiqueBudgets
	}
	for _, svc := range d.Services() {
		lines = append(lines, FootprintLine{part, svc.Name, budgets[svc.Name]})
	}
	if d.App.Name == apps.AstronomyShop.Name {
		lines = append(lines, FootprintLine{"shop", "flagd-ui", flagdUIBudget})
	}
	if istio {
		lines = append(lines, FootprintLine{"istio", "istiod", istiodBudget})
		for _, svc := range d.Services() {
			if svc.Meshed() {
				lines = append(lines, FootprintLine{"istio", "istio-proxy of " + svc.Name, SidecarBudget})
			}
		}
	}
	return lines
}

// FootprintTotals are the sums of a footprint's lines.
type FootprintTotals struct {
	MemoryMi, CPUMilli, Containers, Sidecars int
}

// Totals sums the lines.
func Totals(lines []FootprintLine) FootprintTotals {
	var t FootprintTotals
	for _, l := range lines {
		t.MemoryMi += l.Budget.MemoryMi
		t.CPUMilli += l.Budget.CPUMilli
		t.Containers++
		if l.Budget == SidecarBudget && l.Part == "istio" && l.Container != "istiod" {
			t.Sidecars++
		}
	}
	return t
}

// ContainerMemoryMi is the memory limit of one container of an app's service as the lab deploys it: the
// service's own container (container "" or its name) or Istio's sidecar of a meshed service. ok is false
// for any other. Scenarios check a memory-stress fault against it.
func ContainerMemoryMi(d apps.Deployment, istio bool, service, container string) (mi int, ok bool) {
	svc, found := d.App.Service(service)
	if !found || !d.Has(service) {
		return 0, false
	}
	budgets := shopBudgets
	if d.App.Name == apps.OnlineBoutique.Name {
		budgets = boutiqueBudgets
	}
	switch {
	case container == "" || container == svc.ContainerName():
		b, ok := budgets[service]
		return b.MemoryMi, ok
	case istio && svc.Meshed() && container == apps.IstioSidecar:
		return SidecarBudget.MemoryMi, true
	}
	return 0, false
}
