package apps

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// chartFiles reads the named files out of the opentelemetry-demo chart archive, from $CHARTS_DIR or
// shared/charts beside the repository. It skips the test when the archive is not there.
func chartFiles(t *testing.T, names ...string) map[string][]byte {
	t.Helper()
	dir := os.Getenv("CHARTS_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "charts")
	}
	f, err := os.Open(filepath.Join(dir, "opentelemetry-demo-0.41.0.tgz"))
	if err != nil {
		t.Skipf("chart archive not found (set CHARTS_DIR): %v", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(names, h.Name) {
			if out[h.Name], err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, n := range names {
		if out[n] == nil {
			t.Fatalf("%s not in the chart archive", n)
		}
	}
	return out
}

type chartComponent struct {
	Enabled bool `json:"enabled"`
	Service *struct {
		Port int32 `json:"port"`
	} `json:"service"`
	Ports []struct {
		Value int32 `json:"value"`
	} `json:"ports"`
	SidecarContainers []struct {
		Service *struct {
			Port int32 `json:"port"`
		} `json:"service"`
	} `json:"sidecarContainers"`
	MountedEmptyDirs []struct {
		MountPath string `json:"mountPath"`
	} `json:"mountedEmptyDirs"`
}

func (c chartComponent) ports() []int32 {
	var out []int32
	if c.Service != nil {
		out = append(out, c.Service.Port)
	}
	for _, p := range c.Ports {
		out = append(out, p.Value)
	}
	for _, s := range c.SidecarContainers {
		if s.Service != nil {
			out = append(out, s.Service.Port)
		}
	}
	slices.Sort(out)
	return out
}

// The catalog states the chart's facts: every component of the chart is in it, with the ports the chart
// gives it and a writable volume that the chart mounts.
func TestAstronomyShopCatalogIsTheChartsComponents(t *testing.T) {
	files := chartFiles(t, "opentelemetry-demo/values.yaml")
	var values struct {
		Components map[string]chartComponent `json:"components"`
	}
	if err := yaml.Unmarshal(files["opentelemetry-demo/values.yaml"], &values); err != nil {
		t.Fatal(err)
	}
	chartNames := sortedKeys(values.Components)
	if !reflect.DeepEqual(chartNames, AstronomyShop.ServiceNames()) {
		t.Fatalf("catalog %v, chart components %v", AstronomyShop.ServiceNames(), chartNames)
	}
	for _, s := range AstronomyShop.Services {
		c := values.Components[s.Name]
		var ports []int32
		for _, p := range s.Ports {
			ports = append(ports, p.Number)
		}
		slices.Sort(ports)
		if !slices.Equal(ports, c.ports()) {
			t.Errorf("%s: catalog ports %v, chart ports %v", s.Name, ports, c.ports())
		}
		if s.Volume != "" && !slices.ContainsFunc(c.MountedEmptyDirs, func(d struct {
			MountPath string `json:"mountPath"`
		}) bool {
			return d.MountPath == s.Volume
		}) {
			t.Errorf("%s: volume %s is not one the chart mounts (%v)", s.Name, s.Volume, c.MountedEmptyDirs)
		}
		if !c.Enabled && s.Dropped == "" && s.Group == "" {
			t.Errorf("%s is off in the chart, so the catalog must say it is dropped or optional", s.Name)
		}
	}
}

// The flags are the chart's flagd flags, with their variants and defaults.
func TestAstronomyShopFlagsAreTheChartsFlags(t *testing.T) {
	files := chartFiles(t, "opentelemetry-demo/flagd/demo.flagd.json")
	var doc struct {
		Flags map[string]struct {
			DefaultVariant string         `json:"defaultVariant"`
			Variants       map[string]any `json:"variants"`
		} `json:"flags"`
	}
	if err := json.Unmarshal(files["opentelemetry-demo/flagd/demo.flagd.json"], &doc); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sortedKeys(doc.Flags), AstronomyShop.FlagNames()) {
		t.Fatalf("flags %v, chart's %v", AstronomyShop.FlagNames(), sortedKeys(doc.Flags))
	}
	for _, f := range AstronomyShop.Flags {
		chart := doc.Flags[f.Name]
		if f.Default != chart.DefaultVariant || !reflect.DeepEqual(f.VariantNames(), sortedKeys(chart.Variants)) {
			t.Errorf("%s: default %q variants %v; chart: %q %v", f.Name, f.Default, f.VariantNames(), chart.DefaultVariant, sortedKeys(chart.Variants))
		}
		if !AstronomyShop.Deploy().Has(f.Service) {
			t.Errorf("%s acts on %s, which the lab does not deploy", f.Name, f.Service)
		}
	}
}

func TestCatalogIsSortedAndComplete(t *testing.T) {
	for _, app := range []App{AstronomyShop} {
		names := app.ServiceNames()
		if !sort.StringsAreSorted(names) || !sort.StringsAreSorted(app.FlagNames()) {
			t.Errorf("%s: services and flags must be sorted by name", app.Name)
		}
		if _, ok := app.Service(app.Entry); !ok || !app.Deploy().Has(app.Entry) {
			t.Errorf("%s: entry service %q is not a deployed service", app.Name, app.Entry)
		}
		if app.Namespace == "" || app.SelectorLabel == "" || app.EntryPort == 0 {
			t.Errorf("%s: namespace, selector label and entry port are required: %+v", app.Name, app)
		}
		for _, s := range app.Services {
			if s.Group != "" && app.Groups[s.Group] == "" {
				t.Errorf("%s: group %q of %s says nothing of how to switch it on", app.Name, s.Group, s.Name)
			}
		}
	}
}

func TestDeploy(t *testing.T) {
	base := AstronomyShop.Deploy()
	withLLM := AstronomyShop.Deploy(LLM)
	for _, tc := range []struct {
		service       string
		base, withLLM bool
		why           string
	}{
		{"checkout", true, true, ""},
		{"chatbot", false, true, "llmComponents: true"},
		{"telemetry-docs", false, false, "never deploys it"},
		{"opamp-server", false, false, "never deploys it"},
		{"firepit", false, false, "never deploys it"},
	} {
		if base.Has(tc.service) != tc.base || withLLM.Has(tc.service) != tc.withLLM {
			t.Errorf("%s: deployed %v / with LLM %v, want %v / %v", tc.service, base.Has(tc.service), withLLM.Has(tc.service), tc.base, tc.withLLM)
		}
		why := base.WhyNot(tc.service)
		if (why == "") != (tc.why == "") || !contains(why, tc.why) {
			t.Errorf("%s: WhyNot = %q, want it to mention %q", tc.service, why, tc.why)
		}
	}
	if base.Has("billing") || base.WhyNot("billing") != "" {
		t.Error("a service outside the catalog is neither deployed nor explained")
	}
	if len(withLLM.ServiceNames()) != len(base.ServiceNames())+3 {
		t.Errorf("the LLM group adds agent, chatbot and mcp: %v vs %v", withLLM.ServiceNames(), base.ServiceNames())
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
