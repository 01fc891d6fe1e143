// Package components holds one Pulumi ComponentResource per real part of the lab. Each part's Helm values
// are built by a pure function, so tests, the wiring checker and the program all see the same values.
package components

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Namespaces of the lab besides the app's (apps.App.Namespace). They are fixed so that every address in
// the lab can be written down and checked.
const (
	ChaosNamespace         = "chaos-mesh"
	ObservabilityNamespace = "observability"
)

// Chart pins one upstream chart: its name, version and public repository.
type Chart struct {
	Name    string
	Version string
	Repo    string
	// OwnsCRDs marks a chart with crds/: its release is installed from a CRDOwningArchive, so that the
	// release, not helm's install-only crds/ step, creates, upgrades and deletes them.
	OwnsCRDs bool
}

// The pinned charts. Their archives, at exactly these versions, are in ../shared/charts for offline use.
var (
	ChaosMeshChart  = Chart{Name: "chaos-mesh", Version: "2.8.3", Repo: "https://charts.chaos-mesh.org", OwnsCRDs: true}
	OtelDemoChart   = Chart{Name: "opentelemetry-demo", Version: "0.41.0", Repo: "https://open-telemetry.github.io/opentelemetry-helm-charts"}
	CollectorChart  = Chart{Name: "opentelemetry-collector", Version: "0.165.0", Repo: "https://open-telemetry.github.io/opentelemetry-helm-charts"}
	PrometheusChart = Chart{Name: "prometheus", Version: "29.18.0", Repo: "https://prometheus-community.github.io/helm-charts"}
	JaegerChart     = Chart{Name: "jaeger", Version: "4.11.1", Repo: "https://jaegertracing.github.io/helm-charts"}
	GrafanaChart    = Chart{Name: "grafana", Version: "12.7.2", Repo: "https://grafana-community.github.io/helm-charts"}
	// Online Boutique publishes its chart to an OCI registry only.
	OnlineBoutiqueChart = Chart{Name: "onlineboutique", Version: "0.10.6", Repo: "oci://us-docker.pkg.dev/online-boutique-ci/charts"}
	// Istio's base chart carries its CRDs; istiod the control plane and the sidecar injector.
	IstioBaseChart = Chart{Name: "base", Version: "1.30.3", Repo: "https://istio-release.storage.googleapis.com/charts"}
	IstiodChart    = Chart{Name: "istiod", Version: "1.30.3", Repo: "https://istio-release.storage.googleapis.com/charts"}
	AllCharts      = []Chart{ChaosMeshChart, OtelDemoChart, CollectorChart, PrometheusChart, JaegerChart, GrafanaChart,
		OnlineBoutiqueChart, IstioBaseChart, IstiodChart}
)

// OCI says whether the chart's repository is an OCI registry rather than a classic Helm repository.
func (c Chart) OCI() bool { return strings.HasPrefix(c.Repo, "oci://") }

// Ref is the chart's reference in an OCI registry: oci://<registry>/<path>/<name>.
func (c Chart) Ref() string { return strings.TrimSuffix(c.Repo, "/") + "/" + c.Name }

// ChartSource says where charts come from: their public repositories (LocalDir empty), or a directory of
// archives named <name>-<version>.tgz, for offline use and tests.
type ChartSource struct {
	LocalDir string
	// CacheDir is where archives repacked by PackedArchive are kept.
	CacheDir string
}

// Archive is the path of the chart's archive under LocalDir.
func (s ChartSource) Archive(c Chart) string {
	return filepath.Join(s.LocalDir, fmt.Sprintf("%s-%s.tgz", c.Name, c.Version))
}

// PullCommand is the helm command that fetches the chart's archive, at its pinned version, into dir.
func (c Chart) PullCommand(dir string) string {
	if c.OCI() {
		return fmt.Sprintf("helm pull %s --version %s -d %s", c.Ref(), c.Version, dir)
	}
	return fmt.Sprintf("helm pull %s --repo %s --version %s -d %s", c.Name, c.Repo, c.Version, dir)
}

// MissingArchives lists the pinned charts whose archive is not in dir.
func MissingArchives(dir string) []Chart {
	src := ChartSource{LocalDir: dir}
	var out []Chart
	for _, c := range AllCharts {
		if _, err := os.Stat(src.Archive(c)); err != nil {
			out = append(out, c)
		}
	}
	return out
}

// OfflineChartsDir finds the offline chart archives for tests and tools: $CHARTS_DIR, or shared/charts beside
// the repository that holds dir (the folder with go.mod, walking up). Empty when neither is found.
func OfflineChartsDir(dir string) string {
	if d := os.Getenv("CHARTS_DIR"); d != "" {
		return d
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), "shared", "charts")
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// ReleaseTimeoutSeconds bounds how long helm waits for a release's workloads to become ready.
const ReleaseTimeoutSeconds = 600

// newRelease installs a chart as the Helm release releaseName, declared as the resource name. A helm.sh/v3 Release, not a helm.sh/v4 Chart, because the
// chaos-mesh chart renders fresh certificates and a random `rollme` annotation on every render: a Chart
// re-renders on every `pulumi up`, so even a no-op up replaced Secrets and restarted the controller. A Release
// is diffed on its inputs (chart, version, values) and is left alone when they have not changed.
//
// Every release skips its chart's crds/, which helm would install once and never delete; a chart that has
// CRDs renders them as release objects instead (see CRDOwningArchive), so that destroy removes them.
func newRelease(ctx *pulumi.Context, name, releaseName string, src ChartSource, chart Chart, namespace pulumi.StringInput,
	values map[string]any, opts ...pulumi.ResourceOption) (*helmv3.Release, error) {
	spec := releaseSpec{name: name, releaseName: releaseName, src: src, chart: chart, namespace: namespace, values: values}
	if chart.OwnsCRDs {
		spec.edit = CRDOwningArchive
	}
	return newEditedRelease(ctx, spec, opts...)
}

// archiveTransform turns a chart archive into an edited copy under cacheDir, such as CRDOwningArchive.
type archiveTransform func(archive, cacheDir string) (string, error)

// releaseSpec is what a release is made of. edit, when set, installs the chart from an edited copy of its
// archive, taken from the local directory or pulled once from the chart's repository.
type releaseSpec struct {
	name, releaseName string
	src               ChartSource
	chart             Chart
	edit              archiveTransform
	namespace         pulumi.StringInput
	values            map[string]any
	description       string
}

// newEditedRelease is newRelease for any releaseSpec.
func newEditedRelease(ctx *pulumi.Context, spec releaseSpec, opts ...pulumi.ResourceOption) (*helmv3.Release, error) {
	name, src, chart, edit, namespace, values := spec.name, spec.src, spec.chart, spec.edit, spec.namespace, spec.values
	args := &helmv3.ReleaseArgs{
		SkipCrds:         pulumi.Bool(true),
		Name:             pulumi.String(spec.releaseName),
		Namespace:        namespace,
		Values:           pulumi.ToMap(values),
		Timeout:          pulumi.Int(ReleaseTimeoutSeconds),
		MaxHistory:       pulumi.Int(3),
		CleanupOnFail:    pulumi.Bool(true),
		DependencyUpdate: pulumi.Bool(false),
	}
	if spec.description != "" {
		args.Description = pulumi.String(spec.description)
	}
	switch {
	case edit != nil:
		archive, err := src.ChartArchive(chart)
		if err == nil {
			archive, err = edit(archive, src.CacheDir)
		}
		if err != nil {
			return nil, fmt.Errorf("chart %s %s: %w", chart.Name, chart.Version, err)
		}
		args.Chart = pulumi.String(archive)
	case src.LocalDir != "":
		archive, err := PackedArchive(src.Archive(chart), src.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("chart %s %s: %w", chart.Name, chart.Version, err)
		}
		args.Chart = pulumi.String(archive)
	case chart.OCI():
		// The provider pulls an OCI chart by its full reference, with no repository options.
		args.Chart = pulumi.String(chart.Ref())
		args.Version = pulumi.String(chart.Version)
	default:
		args.Chart = pulumi.String(chart.Name)
		args.Version = pulumi.String(chart.Version)
		args.RepositoryOpts = &helmv3.RepositoryOptsArgs{Repo: pulumi.String(chart.Repo)}
	}
	return helmv3.NewRelease(ctx, name, args, opts...)
}

// meshedDescription marks the app's release while its pods run with Istio sidecars.
const meshedDescription = "chaos-mesh-otel: the app's pods run with Istio sidecars"

// newAppRelease installs the app under test. Istio's webhook injects sidecars only into pods created after
// it is there, and a pod keeps its sidecar after Istio is gone (and then never turns ready). So switching
// Istio on or off on a running lab replaces the app's release: its description says whether the pods are
// meshed, a change of it replaces the release, and the old release goes first, since both would own the same
// objects. A repeat up with the same setting changes nothing.
func newAppRelease(ctx *pulumi.Context, spec releaseSpec, istio bool, opts ...pulumi.ResourceOption) (*helmv3.Release, error) {
	if istio {
		spec.description = meshedDescription
	}
	return newEditedRelease(ctx, spec, append(opts,
		pulumi.ReplaceOnChanges([]string{"description"}), pulumi.DeleteBeforeReplace(true))...)
}
