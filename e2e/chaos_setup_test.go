//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
)

// gateService is the shop service whose availability SLO gates the game day (the synthetic exporter's one
// service); gateSLO is that SLO, one of the lab's defaults.
const (
	gateService = "frontend-proxy"
	gateSLO     = gateService + "-availability"
)

// startServers starts, beside the lab that is up, what stands in for the cluster's running parts: the
// controller (with the chart's webhook configurations routed to it), Prometheus scraping it and the
// synthetic shop, the SLO gate reading that Prometheus, and the watch of the shop's pods. tb is the whole
// test's, so that they run until its end.
func (r *chaosRun) startServers(tb testing.TB) {
	tb.Helper()
	r.cc = StartChaosController(r.ctx, tb, r.c)
	r.started = time.Now()
	routed, err := RouteChaosMeshWebhooks(r.ctx, r.c, r.cc.WebhookAddr, r.cc.Cert.CAPEM)
	if err != nil {
		tb.Fatalf("routing the chart's webhooks to the controller: %v", err)
	}
	configs := map[string]int{}
	for _, w := range routed {
		configs[w.Configuration]++
	}
	tb.Logf("webhooks served by the controller on %s: %v", r.cc.WebhookAddr, configs)
	if err := WaitAdmission(r.ctx, r.c, toUnstructured(tb, probePodKill("e2e-admission-probe", apps.AstronomyShop.Namespace)), 2*time.Minute); err != nil {
		tb.Fatalf("the API server does not admit chaos through the controller's webhooks: %v\n%s", err, r.cc.Tail(4000))
	}
	interval, err := time.ParseDuration(components.ScrapeInterval)
	if err != nil {
		tb.Fatal(err)
	}
	r.prom = StartPrometheus(tb, r.c.Dir, interval,
		ScrapeJob{Name: "chaos-controller-manager", Targets: []string{r.cc.MetricsAddr}, HonorLabels: true},
		ScrapeJob{Name: "synthetic-shop", Targets: []string{r.exporter.Addr}})
	r.gate = StartSLOGate(tb, r.c.Dir, r.prom.URL)
	r.pods = WatchPods(tb, r.c, apps.AstronomyShop.Namespace)
}

// controllerReady checks what the controller was started with and that Prometheus scrapes it.
func (r *chaosRun) controllerReady(t *testing.T) {
	values := components.ChaosMeshValues(&components.ChaosMeshArgs{})
	cm := values["controllerManager"].(map[string]any)
	dash := values["dashboard"].(map[string]any)
	// As the lab's chart values set them (the chart's defaults where the lab sets nothing).
	want := map[string]string{
		"ENABLE_FILTER_NAMESPACE": fmt.Sprint(cm["enableFilterNamespace"]),
		"SECURITY_MODE":           fmt.Sprint(dash["securityMode"]),
		"CLUSTER_SCOPED":          "true",
		"TARGET_NAMESPACE":        components.ChaosNamespace,
		"NAMESPACE":               components.ChaosNamespace,
	}
	for _, k := range sortedKeys(want) {
		if got := r.cc.EnvValue(k); got != want[k] {
			t.Errorf("controller env %s=%q, want %q (from the chart's Deployment)", k, got, want[k])
		}
	}
	t.Logf("controller env: %v", want)

	// The static job mirrors the lab's: Prometheus keeps the metric's own namespace label (the chaos
	// object's), which every chaos query of the dashboards filters on.
	if err := labScrapesWithHonorLabels(r.ctx, r.c); err != nil {
		t.Error(err)
	}
	for _, job := range []string{"chaos-controller-manager", "synthetic-shop"} {
		if err := r.prom.WaitScraped(r.ctx, job, r.started, time.Minute); err != nil {
			t.Error(err)
		}
	}
}

// labScrapesWithHonorLabels checks the lab's Prometheus config: the job that scrapes Services annotated
// prometheus.io/scrape (Chaos Mesh's controller) keeps the scraped labels.
func labScrapesWithHonorLabels(ctx context.Context, c *Cluster) error {
	cm, err := c.Client.CoreV1().ConfigMaps(components.ObservabilityNamespace).Get(ctx, components.PrometheusService, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("the lab's Prometheus config: %w", err)
	}
	var cfg struct {
		ScrapeConfigs []struct {
			JobName     string `json:"job_name"`
			HonorLabels bool   `json:"honor_labels"`
		} `json:"scrape_configs"`
	}
	if err := yaml.Unmarshal([]byte(cm.Data["prometheus.yml"]), &cfg); err != nil {
		return fmt.Errorf("the lab's prometheus.yml: %w", err)
	}
	for _, j := range cfg.ScrapeConfigs {
		if j.JobName == "kubernetes-service-endpoints" {
			if !j.HonorLabels {
				return fmt.Errorf("the lab's kubernetes-service-endpoints job has honor_labels false: Chaos Mesh's namespace label would become exported_namespace")
			}
			return nil
		}
	}
	return fmt.Errorf("the lab's Prometheus has no kubernetes-service-endpoints job")
}

// namespaceFilter shows that the settings taken from the chart act: with ENABLE_FILTER_NAMESPACE the
// controller selects no pod of a namespace without the chaos-mesh.org/inject annotation, and with
// SECURITY_MODE the dashboard operator's account (the lab's ServiceAccount for the dashboard token) may not
// aim chaos at another namespace.
func (r *chaosRun) namespaceFilter(t *testing.T) {
	probe := probePodKill("e2e-filter-probe", apps.AstronomyShop.Namespace)
	probe.Spec.Selector.Namespaces = []string{components.ObservabilityNamespace}
	probe.Spec.Selector.LabelSelectors = nil
	res := r.c.Dynamic.Resource(chaosGVR("podchaos")).Namespace(apps.AstronomyShop.Namespace)
	if _, err := res.Create(r.ctx, toUnstructured(t, probe), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create the probe: %v", err)
	}
	obsPods, err := r.c.Client.CoreV1().Pods(components.ObservabilityNamespace).List(r.ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var events []corev1.Event
	poll(t, r.ctx, time.Minute, "a Failed event on a pod-kill aimed at "+components.ObservabilityNamespace, func(ctx context.Context) (bool, error) {
		events, err = r.c.Events(ctx, apps.AstronomyShop.Namespace, "PodChaos", probe.Name)
		return err == nil && slices.ContainsFunc(events, func(e corev1.Event) bool {
			return e.Reason == "Failed" && strings.HasPrefix(e.Message, "Failed to select targets")
		}), nil
	})
	t.Logf("namespace filter: a pod-kill aimed at %s (not annotated %s) selects nothing:\n%s",
		components.ObservabilityNamespace, components.ChaosInjectAnnotation, describeEvents(events))
	after, err := r.c.Client.CoreV1().Pods(components.ObservabilityNamespace).List(r.ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	alive := map[string]bool{}
	for _, p := range after.Items {
		alive[string(p.UID)] = true
	}
	for _, p := range obsPods.Items {
		if !alive[string(p.UID)] {
			t.Errorf("pod %s/%s was deleted by a pod-kill aimed at a namespace that the filter excludes", components.ObservabilityNamespace, p.Name)
		}
	}
	if err := res.Delete(r.ctx, probe.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	poll(t, r.ctx, time.Minute, "the probe deleted (finalizer released by the controller)", func(ctx context.Context) (bool, error) {
		exps, err := r.c.Experiments(ctx, apps.AstronomyShop.Namespace, "")
		return err == nil && len(exps) == 0, nil
	})

	account, err := chaosOperatorAccount(r.ctx, r.c)
	if err != nil {
		t.Fatal(err)
	}
	cfg := rest.CopyConfig(r.c.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + apps.AstronomyShop.Namespace + ":" + account}
	as, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	own := probePodKill("e2e-auth-own", apps.AstronomyShop.Namespace)
	if _, err := as.Resource(chaosGVR("podchaos")).Namespace(apps.AstronomyShop.Namespace).Create(r.ctx, toUnstructured(t, own), dry); err != nil {
		t.Errorf("%s may not aim a pod-kill at its own namespace %s: %v", account, apps.AstronomyShop.Namespace, err)
	}
	other := probePodKill("e2e-auth-other", apps.AstronomyShop.Namespace)
	other.Spec.Selector.Namespaces = []string{components.ObservabilityNamespace}
	_, err = as.Resource(chaosGVR("podchaos")).Namespace(apps.AstronomyShop.Namespace).Create(r.ctx, toUnstructured(t, other), dry)
	if err == nil || !strings.Contains(err.Error(), "forbidden on namespace "+components.ObservabilityNamespace) {
		t.Errorf("%s aimed a pod-kill at %s and Chaos Mesh's auth webhook did not refuse it: %v", account, components.ObservabilityNamespace, err)
	} else {
		t.Logf("security mode: %v", err)
	}
}

// chaosOperatorAccount finds the lab's dashboard operator: the ServiceAccount bound in the shop's namespace to
// a Role over chaos-mesh.org.
func chaosOperatorAccount(ctx context.Context, c *Cluster) (string, error) {
	bindings, err := c.Client.RbacV1().RoleBindings(apps.AstronomyShop.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", err
	}
	for _, b := range bindings.Items {
		if b.RoleRef.Kind != "Role" {
			continue
		}
		role, err := c.Client.RbacV1().Roles(apps.AstronomyShop.Namespace).Get(ctx, b.RoleRef.Name, metav1.GetOptions{})
		if err != nil {
			continue
		}
		for _, rule := range role.Rules {
			if slices.Contains(rule.APIGroups, "chaos-mesh.org") {
				for _, s := range b.Subjects {
					if s.Kind == "ServiceAccount" && s.Namespace == apps.AstronomyShop.Namespace {
						return s.Name, nil
					}
				}
			}
		}
	}
	return "", fmt.Errorf("no ServiceAccount in %s bound to a Role over chaos-mesh.org", apps.AstronomyShop.Namespace)
}

// scrape reads a Prometheus text exposition.
func scrape(url string) (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}

func autoValue(v string) auto.ConfigValue { return auto.ConfigValue{Value: v} }
