package wiring

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/dashboards"
)

// metricsFindings runs the metrics check (with the Prometheus check it reads) over the objects.
func metricsFindings(objs *Objects) []Finding {
	prom := CheckPrometheusOf(objs, Options{SkipPromtool: true})
	return CheckMetricsOf(objs, &prom).Findings
}

// istioFinding is the finding for Istio's request counter, or nil.
func istioFinding(findings []Finding) *Finding {
	for i, f := range findings {
		if strings.HasSuffix(f.Object, " "+dashboards.IstioRequests) {
			return &findings[i]
		}
	}
	return nil
}

// With Istio, the dashboards read Istio's request metrics, and the rendered lab produces them: istiod
// injects the app's namespace with Prometheus merge on, and the pod job scrapes every injected pod.
func TestIstioMetricsHaveTheSidecarsAsProducer(t *testing.T) {
	for _, app := range []apps.App{apps.OnlineBoutique, apps.AstronomyShop} {
		objs := labOf(t, app, true)
		if !istioDeployed(objs) {
			t.Fatalf("%s with Istio does not run Istio", app.Name)
		}
		if f := metricsFindings(objs); len(f) != 0 {
			t.Errorf("metrics findings on %s with Istio: %v", app.Name, f)
		}
	}
	if istioDeployed(lab(t)) {
		t.Error("the shop without Istio runs Istio: its metrics would be required")
	}
}

func TestMutationIstioSidecarsLoseTheirProducer(t *testing.T) {
	for _, c := range []struct {
		name, want string
		mutate     func(objs *Objects)
	}{
		{"istiod gone", "Deployment istio-system/istiod (not among the objects)", func(objs *Objects) {
			remove(objs, "Deployment", components.IstioNamespace, components.IstiodRelease)
		}},
		{"namespace not injected", "a Namespace labelled istio-injection=enabled", func(objs *Objects) {
			ns := objs.Get("Namespace", "", apps.OnlineBoutique.Namespace)
			labels := ns.GetLabels()
			delete(labels, components.IstioInjectionLabel)
			ns.SetLabels(labels)
		}},
		{"prometheus merge off", "enablePrometheusMerge in the mesh config of ConfigMap istio-system/istio (it is false)", func(objs *Objects) {
			cm := objs.Get("ConfigMap", components.IstioNamespace, istioMeshConfigMap)
			raw, _, _ := unstructured.NestedString(cm.Object, "data", "mesh")
			var mesh map[string]any
			if err := yaml.Unmarshal([]byte(raw), &mesh); err != nil {
				t.Fatal(err)
			}
			mesh["enablePrometheusMerge"] = false
			out, _ := yaml.Marshal(mesh)
			_ = unstructured.SetNestedField(cm.Object, string(out), "data", "mesh")
		}},
		{"no pod job", "a Prometheus scrape job that finds the sidecars of Deployment online-boutique/", func(objs *Objects) {
			cm := objs.Get("ConfigMap", components.ObservabilityNamespace, PrometheusConfigMap)
			raw, _, _ := unstructured.NestedString(cm.Object, "data", "prometheus.yml")
			var cfg map[string]any
			if err := yaml.Unmarshal([]byte(raw), &cfg); err != nil {
				t.Fatal(err)
			}
			var kept []any
			for _, sc := range cfg["scrape_configs"].([]any) {
				if sc.(map[string]any)["job_name"] != JobPods {
					kept = append(kept, sc)
				}
			}
			if len(kept) == len(cfg["scrape_configs"].([]any)) {
				t.Fatalf("no job %s in the Prometheus config", JobPods)
			}
			cfg["scrape_configs"] = kept
			out, _ := yaml.Marshal(cfg)
			_ = unstructured.SetNestedField(cm.Object, string(out), "data", "prometheus.yml")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			objs := labOf(t, apps.OnlineBoutique, true).DeepCopy()
			c.mutate(objs)
			if !istioDeployed(objs) {
				t.Fatal("after the mutation the lab no longer runs Istio")
			}
			f := istioFinding(metricsFindings(objs))
			if f == nil || !strings.Contains(f.Missing, c.want) || f.Field != "producer: "+string(dashboards.IstioSidecars) {
				t.Errorf("finding for %s = %v, want one missing %q", dashboards.IstioRequests, f, c.want)
			}
		})
	}
}

func remove(objs *Objects, kind, namespace, name string) {
	kept := objs.Items[:0]
	for _, u := range objs.Items {
		if u.GetKind() != kind || u.GetNamespace() != namespace || u.GetName() != name {
			kept = append(kept, u)
		}
	}
	objs.Items = kept
}
