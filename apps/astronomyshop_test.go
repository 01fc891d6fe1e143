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
	"regexp"
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

type chartEnv struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type chartComponent struct {
	Enabled bool       `json:"enabled"`
	Env     []chartEnv `json:"env"`
	Service *struct {
		Port int32 `json:"port"`
	} `json:"service"`
	Ports []struct {
		Value int32 `json:"value"`
	} `json:"ports"`
	SidecarContainers []struct {
		Env     []chartEnv `json:"env"`
		Service *struct {
			Port int32 `json:"port"`
		} `json:"service"`
	} `json:"sidecarContainers"`
	MountedEmptyDirs []struct {
		MountPath string `json:"mountPath"`
	} `json:"mountedEmptyDirs"`
}

// serviceAddress is an env var that holds the address of a service the component calls.
var serviceAddress = regexp.MustCompile(`_(ADDR|HOST|URL|ENDPOINT|STRING)$`)

// calls reads the components that a component calls from the addresses in its environment (its sidecars'
// too): kafka:9092, http://shipping:8080, flagd, Host=astronomy-db;....
func (c chartComponent) calls(self string, components []string) []string {
	env := c.Env
	for _, s := range c.SidecarContainers {
		env = append(env, s.Env...)
	}
	var out []string
	for _, e := range env {
		if !serviceAddress.MatchString(e.Name) {
			continue
		}
		for _, word := range regexp.MustCompile(`[A-Za-z0-9-]+`).FindAllString(e.Value, -1) {
			if word != self && slices.Contains(components, word) && !slices.Contains(out, word) {
				out = append(out, word)
			}
		}
	}
	slices.Sort(out)
	return out
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
		if calls := c.calls(s.Name, chartNames); !slices.Equal(calls, s.Calls) {
			t.Errorf("%s: calls %v per its environment, catalog %v", s.Name, calls, s.Calls)
		}
		for _, p := range s.Ports {
			if p.OnService() != p.Number {
				t.Errorf("%s: the demo chart exposes each port on the container's own number, not %d", s.Name, p.OnService())
			}
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
	for _, app := range All() {
		names := app.ServiceNames()
		if !sort.StringsAreSorted(names) || !sort.StringsAreSorted(app.FlagNames()) {
			t.Errorf("%s: services and flags must be sorted by name", app.Name)
		}
		if _, ok := app.Service(app.Entry); !ok || !app.Deploy().Has(app.Entry) {
			t.Errorf("%s: entry service %q is not a deployed service", app.Name, app.Entry)
		}
		if entry, _ := app.Service(app.Entry); !slices.ContainsFunc(entry.Ports, func(p Port) bool { return p.OnService() == app.EntryPort && p.Protocol == HTTP }) {
			t.Errorf("%s: entry port %d is not an HTTP port of the entry's Service", app.Name, app.EntryPort)
		}
		if app.Namespace == "" || app.SelectorLabel == "" || app.EntryPort == 0 || app.Title == "" {
			t.Errorf("%s: namespace, selector label, entry port and title are required: %+v", app.Name, app)
		}
		if len(app.SLOServices) == 0 {
			t.Errorf("%s: no default SLO services", app.Name)
		}
		for _, svc := range app.SLOServices {
			if !app.Deploy().Has(svc) {
				t.Errorf("%s: SLO service %s is not deployed", app.Name, svc)
			}
		}
		for _, s := range app.Services {
			if s.Group != "" && app.Groups[s.Group] == "" {
				t.Errorf("%s: group %q of %s says nothing of how to switch it on", app.Name, s.Group, s.Name)
			}
			if !sort.StringsAreSorted(s.Calls) {
				t.Errorf("%s: calls of %s must be sorted", app.Name, s.Name)
			}
			for _, callee := range s.Calls {
				if _, ok := app.Service(callee); !ok || callee == s.Name {
					t.Errorf("%s: %s calls %s, which is not another service of the app", app.Name, s.Name, callee)
				}
			}
		}
		for shop, theirs := range app.FromShop {
			if _, ok := AstronomyShop.Service(shop); !ok {
				t.Errorf("%s: FromShop maps %s, which is not a service of the shop", app.Name, shop)
			}
			if _, ok := app.Service(theirs); !ok {
				t.Errorf("%s: FromShop maps %s to %s, which is not a service of the app", app.Name, shop, theirs)
			}
		}
	}
	if got := Names(); !slices.Equal(got, []string{"astronomy-shop", "online-boutique"}) {
		t.Errorf("Names() = %v: the default first", got)
	}
}

func TestTranslate(t *testing.T) {
	for _, tc := range []struct {
		app        App
		name, want string
	}{
		{OnlineBoutique, "checkout", "checkoutservice"},
		{OnlineBoutique, "product-catalog", "productcatalogservice"},
		{OnlineBoutique, "frontend-proxy", "frontend"},
		{OnlineBoutique, "valkey-cart", "redis-cart"},
		{OnlineBoutique, "frontend", ""}, // its own service
		{OnlineBoutique, "kafka", ""},    // no counterpart
		{OnlineBoutique, "billing", ""},  // nobody's
		{AstronomyShop, "checkoutservice", "checkout"},
		{AstronomyShop, "adservice", "ad"},
		{AstronomyShop, "redis-cart", "valkey-cart"},
		{AstronomyShop, "checkout", ""},
		{AstronomyShop, "billingservice", ""},
	} {
		got, ok := tc.app.Translate(tc.name)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s.Translate(%q) = %q, %v; want %q", tc.app.Name, tc.name, got, ok, tc.want)
		}
	}
}

func TestMeshFacts(t *testing.T) {
	if got := AstronomyShop.Deploy().Unmeshed(); !slices.Equal(got, []string{"astronomy-db", "kafka", "valkey-cart"}) {
		t.Errorf("shop: unmeshed %v, want the TCP data stores", got)
	}
	if got := OnlineBoutique.Deploy().Unmeshed(); !slices.Equal(got, []string{"redis-cart"}) {
		t.Errorf("boutique: unmeshed %v, want redis-cart", got)
	}
	frontend, _ := OnlineBoutique.Service("frontend")
	if p := frontend.MeshPorts(); len(p) != 1 || p[0].OnService() != 80 || p[0].Number != 8080 {
		t.Errorf("boutique frontend: mesh ports %+v, want Service port 80 in front of 8080", p)
	}
	ad, _ := AstronomyShop.Service("ad")
	if p := ad.MeshPorts(); len(p) != 1 || p[0].Number != 8080 {
		t.Errorf("shop ad: mesh ports %+v, want gRPC 8080 only (not its metrics port)", p)
	}
	if flagd, _ := AstronomyShop.Service("flagd"); len(flagd.MeshPorts()) != 0 || !flagd.Meshed() {
		t.Errorf("shop flagd: mesh ports %+v; want none (Istio reads rpc and ofrep as TCP), but a sidecar", flagd.MeshPorts())
	}
	for _, tc := range []struct{ name, appProtocol, want string }{
		{"grpc", "", "grpc"}, {"http-metrics", "", "http"}, {"GRPC-Web-ui", "", "grpc-web"}, {"tcp-service", "", "tcp"},
		{"rpc", "", "rpc"}, {"tcp-service", "HTTP2", "http2"},
	} {
		if got := IstioProtocol(tc.name, tc.appProtocol); got != tc.want {
			t.Errorf("IstioProtocol(%q, %q) = %q, want %q", tc.name, tc.appProtocol, got, tc.want)
		}
	}
	if !IstioRoutesHTTP("h2c") || IstioRoutesHTTP("rpc") || IstioRoutesHTTP("tcp") {
		t.Error("IstioRoutesHTTP: h2c is HTTP to Istio; rpc and tcp are not")
	}
	if lg, _ := OnlineBoutique.Service("loadgenerator"); lg.HasService() || lg.ContainerName() != "main" {
		t.Errorf("boutique loadgenerator: %+v", lg)
	}
	if c, _ := AstronomyShop.Service("checkout"); c.ContainerName() != "checkout" {
		t.Errorf("shop: container name %q, want the service's", c.ContainerName())
	}
	if got := OnlineBoutique.Callers("emailservice"); !slices.Equal(got, []string{"checkoutservice"}) {
		t.Errorf("boutique: emailservice callers %v", got)
	}
	if got := AstronomyShop.Callers("ad"); !slices.Equal(got, []string{"frontend"}) {
		t.Errorf("shop: ad callers %v", got)
	}
	if a, ok := ByName("online-boutique"); !ok || a.Namespace != "online-boutique" {
		t.Error("ByName(online-boutique)")
	}
	if _, ok := ByName("boutique"); ok {
		t.Error("ByName accepts only the config names")
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
