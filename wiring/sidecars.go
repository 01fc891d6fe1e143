package wiring

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
)

// What Istio's injector gives each meshed pod with Prometheus merge on: prometheus.io annotations for the
// agent's merged metrics endpoint (the app's metrics and Envoy's, whose own port is envoyPromPort), which
// Prometheus' annotation-driven pod job scrapes.
const (
	sidecarMergedPort = 15020
	sidecarMergedPath = "/stats/prometheus"
	envoyPromPort     = 15090
	// istioMeshConfigMap holds istiod's mesh config, under the key "mesh".
	istioMeshConfigMap = "istio"
)

// istioDeployed says whether the objects run Istio: istiod, or a namespace labelled for its injection. Either
// one is enough, so that a lab that lost the other half still has its Istio metrics checked.
func istioDeployed(objs *Objects) bool {
	return objs.Get("Deployment", components.IstioNamespace, components.IstiodRelease) != nil || len(injectedNamespaces(objs)) > 0
}

// injectedNamespaces are the namespaces whose new pods istiod's webhook injects.
func injectedNamespaces(objs *Objects) map[string]bool {
	out := map[string]bool{}
	for _, n := range objs.OfKind("Namespace") {
		if n.GetLabels()[components.IstioInjectionLabel] == components.IstioInjectionValue {
			out[n.GetName()] = true
		}
	}
	return out
}

// playSidecarInjection does to a Deployment's pod template what the injector does to each of its pods at
// admission (on a simulated cluster no webhook runs, and a live Deployment's template never shows it): the
// merged metrics annotations, and the istio-proxy native sidecar with Envoy's metrics port.
func playSidecarInjection(u *unstructured.Unstructured) {
	annotations, _, _ := unstructured.NestedStringMap(u.Object, "spec", "template", "metadata", "annotations")
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations["prometheus.io/scrape"] = "true"
	annotations["prometheus.io/port"] = fmt.Sprint(sidecarMergedPort)
	annotations["prometheus.io/path"] = sidecarMergedPath
	_ = unstructured.SetNestedStringMap(u.Object, annotations, "spec", "template", "metadata", "annotations")
	inits, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "initContainers")
	inits = append(inits, map[string]any{"name": apps.IstioSidecar, "restartPolicy": "Always",
		"ports": []any{map[string]any{"name": "http-envoy-prom", "containerPort": int64(envoyPromPort)}}})
	_ = unstructured.SetNestedSlice(u.Object, inits, "spec", "template", "spec", "initContainers")
}

// istioSidecarsMissing says what keeps the sidecars' request metrics from Prometheus: istiod, a namespace it
// injects with Deployments in it, Prometheus merge in its mesh config (without it the pods get no prometheus.io
// annotations), and a scrape job that finds every injected Deployment's pods on the merged port.
func istioSidecarsMissing(objs *Objects) string {
	istiod := "Deployment " + components.IstioNamespace + "/" + components.IstiodRelease
	if objs.Get("Deployment", components.IstioNamespace, components.IstiodRelease) == nil {
		return istiod + " (not among the objects), which injects the sidecars"
	}
	namespaces := injectedNamespaces(objs)
	if len(namespaces) == 0 {
		return fmt.Sprintf("a Namespace labelled %s=%s, whose pods get sidecars", components.IstioInjectionLabel, components.IstioInjectionValue)
	}
	if why := prometheusMergeMissing(objs); why != "" {
		return why
	}
	injected := objs.DeepCopy()
	var meshed []string
	for _, u := range injected.OfKind("Deployment") {
		if namespaces[u.GetNamespace()] {
			playSidecarInjection(u)
			meshed = append(meshed, ref(u))
		}
	}
	if len(meshed) == 0 {
		return "a Deployment in a namespace labelled " + components.IstioInjectionLabel + "=" + components.IstioInjectionValue
	}
	prom := CheckPrometheusOf(injected, Options{SkipPromtool: true})
	for _, w := range meshed {
		if !prom.scrapedOn(w, sidecarMergedPort) {
			return fmt.Sprintf("a Prometheus scrape job that finds the sidecars of %s on their prometheus.io annotations (port %d)", w, sidecarMergedPort)
		}
	}
	return ""
}

// prometheusMergeMissing checks that istiod's mesh config turns Prometheus merge on (Istio's default is on;
// the lab states it, and a mesh config that turns it off is a finding).
func prometheusMergeMissing(objs *Objects) string {
	where := "enablePrometheusMerge in the mesh config of ConfigMap " + components.IstioNamespace + "/" + istioMeshConfigMap
	cm := objs.Get("ConfigMap", components.IstioNamespace, istioMeshConfigMap)
	if cm == nil {
		return where + " (not among the objects)"
	}
	raw, _, _ := unstructured.NestedString(cm.Object, "data", "mesh")
	var mesh map[string]any
	if err := yaml.Unmarshal([]byte(raw), &mesh); err != nil {
		return where + fmt.Sprintf(" (the mesh config does not parse: %v)", err)
	}
	if merge, set := mesh["enablePrometheusMerge"]; set && merge != true {
		return where + fmt.Sprintf(" (it is %v)", merge)
	}
	return ""
}
