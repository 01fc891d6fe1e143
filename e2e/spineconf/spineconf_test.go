package spineconf

import (
	"context"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/wiring"
)

var (
	renderOnce sync.Once
	rendered   *wiring.Objects
	renderErr  error
)

// lab renders the lab with its defaults, as the e2e test's up would apply it.
func lab(t *testing.T) *wiring.Objects {
	t.Helper()
	renderOnce.Do(func() {
		here, err := filepath.Abs(".")
		if err != nil {
			renderErr = err
			return
		}
		rendered, renderErr = wiring.Render(context.Background(), map[string]string{
			"chaos-mesh-otel:grafanaAdminPassword": "spineconf-test", "chaos-mesh-otel:sloGate": "off",
		}, components.OfflineChartsDir(here))
	})
	if renderErr != nil {
		t.Fatal(renderErr)
	}
	return rendered
}

func configMapKey(t *testing.T, objs *wiring.Objects, name, key string) string {
	t.Helper()
	cm := objs.Get("ConfigMap", components.ObservabilityNamespace, name)
	if cm == nil {
		t.Fatalf("no ConfigMap %s", name)
	}
	v, _, _ := unstructured.NestedString(cm.Object, "data", key)
	if v == "" {
		t.Fatalf("ConfigMap %s has no %s", name, key)
	}
	return v
}

func asMap(t *testing.T, text string) map[string]any {
	t.Helper()
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(text), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// diffPaths lists the leaf paths where two parsed documents differ.
func diffPaths(a, b any, path string, out *[]string) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			diffPaths(am[k], bm[k], path+"."+k, out)
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok && len(al) == len(bl) {
		for i := range al {
			diffPaths(al[i], bl[i], path+"["+strconv.Itoa(i)+"]", out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, path)
	}
}

// Every change is one that the Change list names, and nothing else differs.
func checkOnlyListed(t *testing.T, before, after string, changes []Change, want []string) {
	t.Helper()
	var diffs []string
	diffPaths(asMap(t, before), asMap(t, after), "", &diffs)
	for _, d := range diffs {
		listed := false
		for _, c := range changes {
			p := "." + c.Path
			if strings.HasPrefix(d, p) || strings.HasPrefix(p, d) {
				listed = true
			}
		}
		if !listed {
			t.Errorf("%s changed without a Change that says why", d)
		}
	}
	got := strings.Join(diffs, "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("expected a change at %s; changed:\n%s", w, got)
		}
	}
}

func TestCollectorChangesOnlyWhatALoopbackNeeds(t *testing.T) {
	relay := configMapKey(t, lab(t), components.CollectorService, wiring.CollectorConfigKey)
	out, changes, err := Collector(relay, CollectorOut{JaegerOTLP: "127.77.0.9:4317", MemoryLimitMi: 256})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		t.Log(c)
	}
	checkOnlyListed(t, relay, out, changes, []string{".exporters.otlp/jaeger.endpoint", ".processors.k8s_attributes.auth_type",
		".processors.memory_limiter.limit_mib", ".processors.memory_limiter.limit_percentage"})
	cfg := asMap(t, out)
	ml := cfg["processors"].(map[string]any)["memory_limiter"].(map[string]any)
	if ml["limit_mib"] != float64(204) || ml["spike_limit_mib"] != float64(64) {
		t.Errorf("memory_limiter %v: want 80 %% and 25 %% of 256 Mi (204, 64)", ml)
	}
	if !strings.Contains(out, "${env:MY_POD_IP}:4317") {
		t.Error("the receivers must still listen on ${env:MY_POD_IP}")
	}
	// A chart change that drops what is substituted fails loudly.
	if _, _, err := Collector(strings.Replace(relay, "otlp/jaeger", "otlp/tempo", -1), CollectorOut{JaegerOTLP: "x:1", MemoryLimitMi: 256}); err == nil ||
		!strings.Contains(err.Error(), "exporters.otlp/jaeger") {
		t.Errorf("a config without otlp/jaeger: %v", err)
	}
}

func TestJaegerListensOnItsPodIP(t *testing.T) {
	user := configMapKey(t, lab(t), JaegerConfigMap, JaegerConfigKey)
	out, changes, err := Jaeger(user, "127.77.0.9")
	if err != nil {
		t.Fatal(err)
	}
	checkOnlyListed(t, user, out, changes, []string{".receivers.otlp.protocols.grpc.endpoint", ".extensions.jaeger_query.http",
		".extensions.healthcheckv2.http.endpoint"})
	if strings.Contains(out, "0.0.0.0") {
		t.Errorf("something still listens on every interface:\n%s", out)
	}
	for _, keep := range []string{"max_traces: 20000", "base_path: " + components.JaegerBasePath, "127.77.0.9:4317"} {
		if !strings.Contains(out, keep) {
			t.Errorf("the config lost %q:\n%s", keep, out)
		}
	}
}

func TestPrometheusKeepsJobsAndRules(t *testing.T) {
	objs := lab(t)
	promYML := configMapKey(t, objs, components.PrometheusService, "prometheus.yml")
	out, changes, err := Prometheus(promYML, PrometheusOut{Dir: "/tmp/p", PodIP: "127.77.0.3", Kubeconfig: "/tmp/kc",
		Client: ClientCert{CA: "/tmp/ca.crt", Cert: "/tmp/admin.crt", Key: "/tmp/admin.key"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, serviceAccount) || strings.Contains(out, "localhost:9090") || strings.Contains(out, promConfigDir) {
		t.Errorf("pod paths or localhost left:\n%s", out)
	}
	before, after := asMap(t, promYML), asMap(t, out)
	if !reflect.DeepEqual(before["global"], after["global"]) {
		t.Errorf("global changed: %v → %v", before["global"], after["global"])
	}
	jobs := func(m map[string]any) []string {
		var names []string
		for _, j := range m["scrape_configs"].([]any) {
			names = append(names, j.(map[string]any)["job_name"].(string))
			// relabelling stays as rendered
		}
		return names
	}
	if !reflect.DeepEqual(jobs(before), jobs(after)) {
		t.Errorf("jobs %v → %v", jobs(before), jobs(after))
	}
	for i, j := range before["scrape_configs"].([]any) {
		b, a := j.(map[string]any), after["scrape_configs"].([]any)[i].(map[string]any)
		if !reflect.DeepEqual(b["relabel_configs"], a["relabel_configs"]) || b["scrape_interval"] != a["scrape_interval"] || b["honor_labels"] != a["honor_labels"] {
			t.Errorf("job %s: relabelling, interval or honor_labels changed", b["job_name"])
		}
	}
	if n := strings.Count(out, "kubeconfig_file: /tmp/kc"); n != strings.Count(promYML, "kubernetes_sd_configs") {
		t.Errorf("%d kubeconfig_file for %d kubernetes_sd_configs", n, strings.Count(promYML, "kubernetes_sd_configs"))
	}
	t.Logf("%d changes", len(changes))

	deploy := objs.Get("Deployment", components.ObservabilityNamespace, components.PrometheusService)
	containers, _, _ := unstructured.NestedSlice(deploy.Object, "spec", "template", "spec", "containers")
	var args []string
	for _, c := range containers {
		if c.(map[string]any)["name"] == components.PrometheusService {
			for _, a := range c.(map[string]any)["args"].([]any) {
				args = append(args, a.(string))
			}
		}
	}
	got, _, err := PrometheusArgs(args, "/tmp/p/prometheus.yml", "/tmp/p/data", "127.77.0.3")
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(got, " ")
	for _, want := range []string{"--storage.tsdb.retention.time=" + components.PrometheusRetention, "--config.file=/tmp/p/prometheus.yml",
		"--storage.tsdb.path=/tmp/p/data", "--web.listen-address=127.77.0.3:9090", "--storage.tsdb.retention.size="} {
		if !strings.Contains(joined, want) {
			t.Errorf("args %s lack %s", joined, want)
		}
	}
}

func TestGoMemLimitIsAutoGoMemLimitsRatio(t *testing.T) {
	if v, _ := GoMemLimit(512); v != "483183820" {
		t.Errorf("GOMEMLIMIT for 512 Mi = %s, want 0.9 × 512 Mi = 483183820", v)
	}
}
