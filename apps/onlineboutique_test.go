package apps

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// chartArchive is the path of a shared chart archive; the test is skipped when it is not there.
func chartArchive(t *testing.T, file string) string {
	t.Helper()
	dir := os.Getenv("CHARTS_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "charts")
	}
	path := filepath.Join(dir, file)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("chart archive not found (set CHARTS_DIR): %v", err)
	}
	return path
}

// renderedChart is what a chart renders to: its Deployments and Services by name.
type renderedChart struct {
	deployments map[string]appsv1.Deployment
	services    map[string]corev1.Service
}

// renderChart renders a chart archive with values as helm installs it, client-side.
func renderChart(t *testing.T, archive, namespace string, values map[string]any) renderedChart {
	t.Helper()
	chrt, err := loader.Load(archive)
	if err != nil {
		t.Fatal(err)
	}
	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.DryRun, install.ClientOnly = true, true
	install.ReleaseName, install.Namespace = namespace, namespace
	install.KubeVersion = &chartutil.KubeVersion{Version: "v1.33.0", Major: "1", Minor: "33"}
	rel, err := install.Run(chrt, values)
	if err != nil {
		t.Fatal(err)
	}
	out := renderedChart{deployments: map[string]appsv1.Deployment{}, services: map[string]corev1.Service{}}
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(rel.Manifest), 4096)
	for {
		var raw map[string]any
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatal(err)
		}
		b, err := yaml.Marshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		switch raw["kind"] {
		case "Deployment":
			var d appsv1.Deployment
			if err := yaml.Unmarshal(b, &d); err != nil {
				t.Fatal(err)
			}
			out.deployments[d.Name] = d
		case "Service":
			var s corev1.Service
			if err := yaml.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			out.services[s.Name] = s
		}
	}
}

// addressHost is the host of an address in a service's environment: "adservice:9555" or "http://x:80/".
var addressHost = regexp.MustCompile(`^(?:[a-z]+://)?([a-z0-9-]+)(?::[0-9]+)?(?:/.*)?$`)

// calledBy reads the services a container calls from its *_ADDR environment, keeping those of the app.
func calledBy(c corev1.Container, app []string) []string {
	var out []string
	for _, e := range c.Env {
		if !strings.HasSuffix(e.Name, "_ADDR") {
			continue
		}
		if m := addressHost.FindStringSubmatch(e.Value); m != nil && slices.Contains(app, m[1]) && !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}

// The Online Boutique's catalog states its chart's facts: one Deployment and at most one Service per service,
// each selecting its pods by app=<name>, with the catalog's container, ports (Service and container, and the
// Service port's name), writable volumes and call graph.
func TestOnlineBoutiqueCatalogIsTheChartsObjects(t *testing.T) {
	app := OnlineBoutique
	// The lab switches off frontend-external, a LoadBalancer Service that no lab cluster could serve.
	chart := renderChart(t, chartArchive(t, "onlineboutique-0.10.6.tgz"), app.Namespace,
		map[string]any{"frontend": map[string]any{"externalService": false}})
	// The catalog also names what the chart leaves out (Dropped): those have no objects.
	names := app.Deploy().ServiceNames()
	if got := sortedKeys(chart.deployments); !reflect.DeepEqual(got, names) {
		t.Fatalf("chart Deployments %v, catalog %v", got, names)
	}
	for _, s := range app.Deploy().Services() {
		d := chart.deployments[s.Name]
		selector := map[string]string{app.SelectorLabel: s.Name}
		if !reflect.DeepEqual(d.Spec.Selector.MatchLabels, selector) || d.Spec.Template.Labels[app.SelectorLabel] != s.Name {
			t.Errorf("%s: selector %v, pod labels %v; the catalog selects %v", s.Name, d.Spec.Selector.MatchLabels, d.Spec.Template.Labels, selector)
		}
		containers := d.Spec.Template.Spec.Containers
		if len(containers) != 1 || containers[0].Name != s.ContainerName() {
			t.Errorf("%s: containers %v, catalog %q", s.Name, containerNames(containers), s.ContainerName())
			continue
		}
		c := containers[0]
		checkVolumes(t, s, c, d.Spec.Template.Spec.Volumes)
		if got := calledBy(c, names); !slices.Equal(got, s.Calls) {
			t.Errorf("%s: calls %v per its environment, catalog %v", s.Name, got, s.Calls)
		}
		if got := c.SecurityContext != nil && c.SecurityContext.ReadOnlyRootFilesystem != nil && *c.SecurityContext.ReadOnlyRootFilesystem; got != app.ReadOnlyRoot {
			t.Errorf("%s: read-only root %v, catalog says %v for the whole app", s.Name, got, app.ReadOnlyRoot)
		}
		checkService(t, app, s, c, chart.services)
	}
	for name := range chart.services {
		if _, ok := app.Service(name); !ok {
			t.Errorf("the chart's Service %s is not in the catalog", name)
		}
	}
}

// checkService compares a service's Kubernetes Service with the catalog: its selector, and each port's name,
// number and target port, which must be a port of the container.
func checkService(t *testing.T, app App, s Service, c corev1.Container, services map[string]corev1.Service) {
	t.Helper()
	svc, ok := services[s.Name]
	if ok != s.HasService() {
		t.Errorf("%s: the chart has a Service: %v; the catalog: %v", s.Name, ok, s.HasService())
		return
	}
	if !ok {
		return
	}
	if !reflect.DeepEqual(svc.Spec.Selector, app.Selector(s.Name)) {
		t.Errorf("%s: Service selector %v, want %v", s.Name, svc.Spec.Selector, app.Selector(s.Name))
	}
	var got, want []Port
	for _, p := range svc.Spec.Ports {
		target := p.TargetPort.IntVal
		if !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return cp.ContainerPort == target }) {
			t.Errorf("%s: Service port %d targets %d, which the container does not declare", s.Name, p.Port, target)
		}
		port := Port{Name: p.Name, Number: target}
		if p.Port != target {
			port.ServicePort = p.Port
		}
		got = append(got, port)
	}
	for _, p := range s.Ports {
		p.Protocol = ""
		want = append(want, p)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: Service ports %+v, catalog %+v", s.Name, got, want)
	}
	for _, p := range s.Ports {
		if named := protocolOfName(p.Name); named != p.Protocol {
			t.Errorf("%s: port %s is named for %s, but the catalog says it speaks %s", s.Name, p.Name, named, p.Protocol)
		}
	}
}

// protocolOfName is the protocol Istio reads from a Service port's name.
func protocolOfName(name string) Protocol {
	prefix, _, _ := strings.Cut(name, "-")
	switch prefix {
	case "grpc":
		return GRPC
	case "http", "http2":
		return HTTP
	}
	return TCP
}

// checkVolumes compares the writable volume of the catalog with the emptyDir volumes the container mounts.
func checkVolumes(t *testing.T, s Service, c corev1.Container, volumes []corev1.Volume) {
	t.Helper()
	var mounted []string
	for _, m := range c.VolumeMounts {
		for _, v := range volumes {
			if v.Name == m.Name && v.EmptyDir != nil && !m.ReadOnly {
				mounted = append(mounted, m.MountPath)
			}
		}
	}
	var want []string
	if s.Volume != "" {
		want = []string{s.Volume}
	}
	if !slices.Equal(mounted, want) {
		t.Errorf("%s: writable volumes %v, catalog %v", s.Name, mounted, want)
	}
}

func containerNames(cs []corev1.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}
