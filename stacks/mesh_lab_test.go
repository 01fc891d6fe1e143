package stacks

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/dashboards"
)

const (
	releaseType   = "kubernetes:helm.sh/v3:Release"
	namespaceType = "kubernetes:core/v1:Namespace"
	vsType        = "kubernetes:networking.istio.io/v1:VirtualService"
)

// combination is one of the four ways to run the lab: an app, with Istio or without.
type combination struct {
	app   apps.App
	istio bool
}

func (c combination) String() string { return fmt.Sprintf("%s/istio=%v", c.app.Name, c.istio) }

func allCombinations() []combination {
	var out []combination
	for _, app := range []apps.App{apps.AstronomyShop, apps.OnlineBoutique} {
		for _, istio := range []bool{false, true} {
			out = append(out, combination{app, istio})
		}
	}
	return out
}

// appRelease is the Helm release of each app.
var appRelease = map[string]string{apps.AstronomyShop.Name: components.OtelDemoRelease, apps.OnlineBoutique.Name: components.OnlineBoutiqueRelease}

// config is the combination's stack config, with the ad-mesh-faults preset on when Istio is.
func (c combination) config(t *testing.T, scenarios bool) *Config {
	values := map[string]string{KeyApp: c.app.Name, KeyIstio: fmt.Sprint(c.istio)}
	if c.istio && scenarios {
		values[KeyScenarios] = `{"ad-mesh-faults":{"enabled":true},"checkout-pod-kill":{"enabled":true}}`
	}
	return testConfig(t, values)
}

// dependsOn says whether a resource depends on the release of that logical name.
func dependsOn(r recorded, releaseLogicalName string) bool {
	return slices.ContainsFunc(r.Deps, func(d string) bool { return strings.HasSuffix(d, "$"+releaseType+"::"+releaseLogicalName) })
}

// Each combination deploys its app and Istio's two releases exactly when asked, in Istio's order: base,
// istiod, the app, then the VirtualServices; the app's release is replaced, old one first, when Istio toggles.
func TestComposeFollowsAppAndIstio(t *testing.T) {
	for _, c := range allCombinations() {
		t.Run(c.String(), func(t *testing.T) {
			rec, exports := runLab(t, c.config(t, true))
			want := []string{"chaos-mesh", "grafana", "jaeger", "otel-collector", "prometheus", appRelease[c.app.Name]}
			if c.istio {
				want = append(want, components.IstioBaseRelease, components.IstiodRelease)
			}
			slices.Sort(want)
			if got := releaseNames(rec.ofType(releaseType)); !slices.Equal(got, want) {
				t.Fatalf("releases %v, want %v", got, want)
			}
			app, _ := rec.named(releaseType, appRelease[c.app.Name])
			if !slices.Equal(app.ReplaceOnChanges, []string{"description"}) || !app.DeleteBeforeReplace {
				t.Errorf("the app's release must be replaced, old first, when Istio toggles: %v %v", app.ReplaceOnChanges, app.DeleteBeforeReplace)
			}
			if _, described := app.Inputs["description"]; described != c.istio {
				t.Errorf("the app's release description present=%v, want %v (it marks meshed pods)", described, c.istio)
			}
			if ns, ok := app.Inputs["namespace"]; !ok || ns.StringValue() != c.app.Namespace {
				t.Errorf("app release namespace %v, want %s", ns, c.app.Namespace)
			}
			checkNamespaces(t, rec, c)
			vss := rec.ofType(vsType)
			if !c.istio {
				if len(vss) != 0 || dependsOn(app, "istio-istiod") {
					t.Errorf("without Istio: %d VirtualServices, app after istiod=%v", len(vss), dependsOn(app, "istio-istiod"))
				}
				return
			}
			istiod, _ := rec.named(releaseType, components.IstiodRelease)
			if !dependsOn(istiod, "istio-base") {
				t.Errorf("istiod must come after Istio's base (its CRDs): deps %v", istiod.Deps)
			}
			if !dependsOn(app, "istio-istiod") {
				t.Errorf("the app must come after istiod, whose webhook injects its sidecars: deps %v", app.Deps)
			}
			if len(vss) != 1 {
				t.Fatalf("want exactly the ad-mesh-faults VirtualService, got %d", len(vss))
			}
			vs := vss[0]
			if !dependsOn(vs, "istio-base") || !dependsOn(vs, app.Name) {
				t.Errorf("the VirtualService must come after Istio's CRDs and the app: deps %v", vs.Deps)
			}
			if urnType(vs.Parent) != components.MeshFaultsType {
				t.Errorf("the VirtualService's parent is %s, want the MeshFaults component", vs.Parent)
			}
			for _, r := range rec.Resources() {
				if strings.HasPrefix(r.Type, "kubernetes:chaos-mesh.org/") && urnType(r.Parent) != components.ChaosScenariosType {
					t.Errorf("%s under %s", r.Type, r.Parent)
				}
			}
			hosts := vs.PlainInputs()["spec"].(map[string]any)["hosts"].([]any)
			if want := fmt.Sprintf("%s.%s.svc.cluster.local", mustTranslate(c.app, "ad"), c.app.Namespace); len(hosts) != 1 || hosts[0] != want {
				t.Errorf("hosts %v, want %s", hosts, want)
			}
			names := fmt.Sprint(exports["scenarios"].Value)
			if !strings.Contains(names, "VirtualService/ad-mesh-faults") || !strings.Contains(names, "Schedule/checkout-pod-kill") {
				t.Errorf("scenarios output %s lists the chaos objects and the VirtualServices", names)
			}
			checkIstiod(t, values(t, rec, components.IstiodRelease), c.app)
		})
	}
}

func mustTranslate(app apps.App, shopName string) string {
	if s, ok := app.Translate(shopName); ok {
		return s
	}
	return shopName
}

// Only the app's namespace is labelled for injection, and istio-system exists only with Istio.
func checkNamespaces(t *testing.T, rec *recorder, c combination) {
	t.Helper()
	var names []string
	for _, ns := range rec.ofType(namespaceType) {
		name := kubeName(ns)
		names = append(names, name)
		labels, _ := ns.PlainInputs()["metadata"].(map[string]any)["labels"].(map[string]any)
		injected := labels[components.IstioInjectionLabel] == components.IstioInjectionValue
		if want := c.istio && name == c.app.Namespace; injected != want {
			t.Errorf("namespace %s: injection label %v, want %v", name, injected, want)
		}
	}
	if slices.Contains(names, components.IstioNamespace) != c.istio {
		t.Errorf("namespaces %v: istio-system iff Istio", names)
	}
	if !slices.Contains(names, c.app.Namespace) {
		t.Errorf("namespaces %v lack the app's %s", names, c.app.Namespace)
	}
}

// istiod is tuned, not left at its defaults, and never injects the app's data stores.
func checkIstiod(t *testing.T, v map[string]any, app apps.App) {
	t.Helper()
	if got := dig(t, v, "resources.requests.memory"); got != "256Mi" {
		t.Errorf("istiod memory request %v", got)
	}
	if got := dig(t, v, "global.proxy.resources.limits.memory"); got != "96Mi" {
		t.Errorf("sidecar memory limit %v", got)
	}
	if got := dig(t, v, "global.proxy.resources.limits.cpu"); got != "500m" {
		t.Errorf("sidecar CPU limit %v (the default 2 CPUs would be deep-merged in unless restated)", got)
	}
	if dig(t, v, "meshConfig.enablePrometheusMerge") != true {
		t.Error("sidecars must carry the prometheus.io annotations of their merged metrics (enablePrometheusMerge)")
	}
	if dig(t, v, "autoscaleEnabled") != false {
		t.Error("istiod must not autoscale")
	}
	expr := dig(t, v, "sidecarInjectorWebhook.neverInjectSelector").([]any)[0].(map[string]any)["matchExpressions"].([]any)[0].(map[string]any)
	var skipped []string
	for _, s := range expr["values"].([]any) {
		skipped = append(skipped, s.(string))
	}
	if expr["key"] != app.SelectorLabel || !slices.Equal(skipped, app.Deploy().Unmeshed()) {
		t.Errorf("never injected: %v=%v, want %s=%v", expr["key"], skipped, app.SelectorLabel, app.Deploy().Unmeshed())
	}
}

// The Boutique's values send its traces to the lab's collector and keep its LoadBalancer off.
func TestComposeWiresTheBoutiqueToTheLabsCollector(t *testing.T) {
	rec, exports := runLab(t, combination{apps.OnlineBoutique, false}.config(t, false))
	v := values(t, rec, components.OnlineBoutiqueRelease)
	if got := dig(t, v, "opentelemetryCollector.name"); got != "otel-collector.observability.svc" {
		t.Errorf("collector %v", got)
	}
	if dig(t, v, "frontend.externalService") != false || dig(t, v, "loadGenerator").(map[string]any)["create"] == false {
		t.Error("frontend-external must be off, the load generator on")
	}
	if inCluster := fmt.Sprint(exports["inCluster"].Value); !strings.Contains(inCluster, "shop:http://frontend.online-boutique.svc:80") {
		t.Errorf("in-cluster addresses %v", inCluster)
	}
	forwards := exports["portForward"].Value.(map[string]string)
	if !strings.Contains(fmt.Sprint(forwards["shop"]), "-n online-boutique port-forward svc/frontend 8080:80") {
		t.Errorf("port-forward %v", forwards["shop"])
	}
	if _, ok := rec.named(releaseType, components.OtelDemoRelease); ok {
		t.Error("the Boutique's stack must not deploy the Astronomy Shop")
	}
}

// Grafana gets the mesh panels exactly when the lab runs Istio, for the app under test.
func TestDashboardsFollowIstio(t *testing.T) {
	for _, app := range []apps.App{apps.AstronomyShop, apps.OnlineBoutique} {
		for _, istio := range []bool{false, true} {
			files, err := dashboardFiles(&Config{Deployment: app.Deploy(), Istio: istio})
			if err != nil {
				t.Fatal(err)
			}
			shop := files[dashboards.ShopOverviewUID+".json"]
			if got := strings.Contains(shop, dashboards.IstioRequests); got != istio {
				t.Errorf("%s istio=%v: shop overview reads %s = %v", app.Name, istio, dashboards.IstioRequests, got)
			}
			if istio && !strings.Contains(shop, `destination_service_namespace=\"`+app.Namespace+`\"`) {
				t.Errorf("%s: the mesh panels are not on the app's namespace", app.Name)
			}
			if !strings.Contains(shop, app.Title) {
				t.Errorf("%s: the shop overview does not name %s", app.Name, app.Title)
			}
		}
	}
}
