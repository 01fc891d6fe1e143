package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// Namespaces of the lab besides the shop's, offered by the Kubernetes dashboard's namespace variable.
const (
	ObservabilityNamespace = "observability"
	ChaosNamespace         = "chaos-mesh"
)

// containers excludes cAdvisor's pod-level cgroup series (container="") and the pause container.
const containers = `container!="", container!="POD"`

// Pod-health queries for a namespace and an optional pod-name regex; the scenario dashboard reuses them.
func readyReplicasQuery(ns, deployment string) string {
	return fmt.Sprintf(`sum by (deployment) (kube_deployment_status_replicas_ready{namespace=%q%s})`, ns, deploymentMatcher(deployment))
}

func desiredReplicasQuery(ns, deployment string) string {
	return fmt.Sprintf(`sum by (deployment) (kube_deployment_spec_replicas{namespace=%q%s})`, ns, deploymentMatcher(deployment))
}

func deploymentMatcher(deployment string) string {
	if deployment == "" {
		return ""
	}
	return fmt.Sprintf(`, deployment=%q`, deployment)
}

func podMatcher(podRegex string) string {
	if podRegex == "" {
		return ""
	}
	return fmt.Sprintf(`, pod=~"%s"`, podRegex)
}

func notReadyQuery(ns, podRegex string) string {
	return fmt.Sprintf(`sum by (pod) (kube_pod_status_ready{namespace=%q%s, condition=~"false|unknown"}) > 0`, ns, podMatcher(podRegex))
}

func restartsQuery(ns, podRegex string) string {
	return fmt.Sprintf(`sum by (pod) (increase(kube_pod_container_status_restarts_total{namespace=%q%s}[5m])) > 0`, ns, podMatcher(podRegex))
}

func cpuUsageQuery(ns, podRegex string) string {
	return fmt.Sprintf(`sum by (pod) (rate(container_cpu_usage_seconds_total{namespace=%q%s, %s}[$__rate_interval]))`, ns, podMatcher(podRegex), containers)
}

func limitQuery(ns, podRegex, resource, unit string) string {
	return fmt.Sprintf(`sum by (pod) (kube_pod_container_resource_limits{namespace=%q%s, resource=%q, unit=%q})`, ns, podMatcher(podRegex), resource, unit)
}

func memoryQuery(ns, podRegex string) string {
	return fmt.Sprintf(`sum by (pod) (container_memory_working_set_bytes{namespace=%q%s, %s})`, ns, podMatcher(podRegex), containers)
}

func throttlingQuery(ns, podRegex string) string {
	sel := fmt.Sprintf(`namespace=%q%s, %s`, ns, podMatcher(podRegex), containers)
	return fmt.Sprintf(`sum by (pod) (rate(container_cpu_cfs_throttled_periods_total{%s}[$__rate_interval])) / sum by (pod) (rate(container_cpu_cfs_periods_total{%s}[$__rate_interval]))`, sel, sel)
}

// KubernetesHealth shows the pods of a namespace (the shop's by default): readiness per Deployment, pods
// that are not ready, restarts, and CPU, memory and throttling per pod against the pods' limits.
func KubernetesHealth(opts Options) (dashboard.Dashboard, error) {
	opts = opts.withDefaults()
	const ns = "$namespace"
	namespaces := []string{opts.App.Namespace, ObservabilityNamespace, ChaosNamespace}
	b := newDashboard(KubernetesUID, "Chaos lab / Kubernetes health",
		"Pod availability and resource use, from kube-state-metrics and the kubelets' cAdvisor. Pod kills show as ready replicas dipping and restarts; CPU stress as usage pinned at the limit with throttling.", opts).
		WithVariable(dashboard.NewCustomVariableBuilder("namespace").
			Label("Namespace").
			Values(dashboard.StringOrMap{String: cog.ToPtr(strings.Join(namespaces, ","))}).
			Current(dashboard.VariableOption{
				Text:  dashboard.StringOrArrayOfString{String: cog.ToPtr(opts.App.Namespace)},
				Value: dashboard.StringOrArrayOfString{String: cog.ToPtr(opts.App.Namespace)},
			})).
		WithRow(dashboard.NewRowBuilder("Availability")).
		WithPanel(opts.graph("Ready replicas per deployment",
			"Ready pods of each Deployment (solid). A pod kill dips the line until the replacement pod is ready.",
			"short",
			q(readyReplicasQuery(ns, ""), "{{deployment}}"))).
		WithPanel(opts.graph("Deployments below desired replicas",
			"Desired minus ready replicas, only where it is above zero.",
			"short",
			q(fmt.Sprintf(`%s - %s > 0`, desiredReplicasQuery(ns, ""), readyReplicasQuery(ns, "")), "{{deployment}}"))).
		WithPanel(opts.graph("Pods not ready",
			"Pods whose Ready condition is false or unknown.",
			"short",
			q(notReadyQuery(ns, ""), "{{pod}}"))).
		WithPanel(opts.graph("Container restarts (5m)",
			"Container restarts per pod over the last 5 minutes: crashes, failed liveness probes, OOM kills and container kills.",
			"short",
			q(restartsQuery(ns, ""), "{{pod}}"))).
		WithRow(dashboard.NewRowBuilder("Resources")).
		WithPanel(opts.graph("CPU usage per pod",
			"CPU cores used per pod (cAdvisor), with the pods' CPU limits (kube-state-metrics) as dashed series.",
			"short",
			q(cpuUsageQuery(ns, ""), "{{pod}}"),
			q(limitQuery(ns, "", "cpu", "core"), "{{pod}} limit")).
			OverrideByRegexp(".* limit", limitOverride())).
		WithPanel(opts.graph("CPU usage / limit",
			"CPU used as a share of the pod's CPU limit. Near 100% the pod is throttled.",
			"percentunit",
			q(fmt.Sprintf(`%s / %s`, cpuUsageQuery(ns, ""), limitQuery(ns, "", "cpu", "core")), "{{pod}}"))).
		WithPanel(opts.graph("Working-set memory per pod",
			"Working-set memory per pod (what the OOM killer looks at), with the pods' memory limits as dashed series.",
			"bytes",
			q(memoryQuery(ns, ""), "{{pod}}"),
			q(limitQuery(ns, "", "memory", "byte"), "{{pod}} limit")).
			OverrideByRegexp(".* limit", limitOverride())).
		WithPanel(opts.graph("Memory / limit",
			"Working-set memory as a share of the pod's memory limit.",
			"percentunit",
			q(fmt.Sprintf(`%s / %s`, memoryQuery(ns, ""), limitQuery(ns, "", "memory", "byte")), "{{pod}}"))).
		WithPanel(opts.graph("CPU throttling",
			"Share of CFS periods in which the pod's containers were throttled. CPU stress on a pod with a limit drives this up.",
			"percentunit",
			q(throttlingQuery(ns, ""), "{{pod}}")).
			Span(24))
	return b.Build()
}

// limitOverride draws a limit series as a dashed line without fill.
func limitOverride() []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{
		{Id: "custom.lineStyle", Value: map[string]any{"fill": "dash", "dash": []int{10, 10}}},
		{Id: "custom.fillOpacity", Value: 0},
	}
}
