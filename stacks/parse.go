package stacks

import (
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/suggest"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// parser reads one Source into a Config, collecting every problem as a field.Error at its full key.
type parser struct {
	src  Source
	errs field.ErrorList
}

// path is a key's full name, as the errors give it: chaos-mesh-otel:<key>.
func path(key string) *field.Path { return field.NewPath(ConfigNamespace + ":" + key) }

// encrypted says whether a key is set to a value that cannot be decrypted here.
func (p *parser) encrypted(key string) bool { return slices.Contains(p.src.Encrypted, key) }

// pending says whether a key is left for `make up` to generate (see Source.Pending).
func (p *parser) pending(key string) bool { return slices.Contains(p.src.Pending, key) }

func (p *parser) get(key string) (string, bool) {
	if p.encrypted(key) {
		return "", false
	}
	return p.src.Get(key)
}

func (p *parser) str(key, def string) string {
	if v, ok := p.get(key); ok {
		return strings.TrimSpace(v)
	}
	return def
}

func (p *parser) boolean(key string, def bool) bool {
	v, ok := p.get(key)
	if !ok || strings.TrimSpace(v) == "" {
		return def
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		p.errs = append(p.errs, field.Invalid(path(key), v, "expected true or false"))
	}
	return b
}

func (p *parser) integer(key string, def, low, high int) int {
	v, ok := p.get(key)
	if !ok || strings.TrimSpace(v) == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < low || n > high {
		p.errs = append(p.errs, field.Invalid(path(key), v, fmt.Sprintf("expected a whole number from %d to %d", low, high)))
	}
	return n
}

// checkKeys refuses keys of the project that the program does not read, when the key list is known, and
// encrypted values that cannot be read here.
func (p *parser) checkKeys() {
	if p.src.KeysListed {
		for _, key := range unknownKeys(p.src.Keys) {
			hint := ""
			if s := suggest.Closest(key, projectKeys); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			p.errs = append(p.errs, field.Forbidden(path(key), fmt.Sprintf("unknown key%s; expected one of: %s", hint, strings.Join(projectKeys, ", "))))
		}
	}
	for _, key := range p.src.Encrypted {
		if key != KeyGrafanaAdminPassword {
			p.errs = append(p.errs, field.Forbidden(path(key), fmt.Sprintf(
				"set to an encrypted (secure) value, which cannot be read here; only %s is a secret: set this key in plain text", KeyGrafanaAdminPassword)))
		}
	}
}

// scalars reads every scalar key with its default. Keys that need more than a type check are checked after.
func (p *parser) scalars() *Config {
	c := &Config{
		Kubeconfig:           p.str(KeyKubeconfig, ""),
		Context:              p.str(KeyContext, ""),
		Charts:               components.ChartSource{LocalDir: p.str(KeyChartsDir, ""), CacheDir: chartCacheDir()},
		ChaosRuntime:         p.str(KeyChaosRuntime, "containerd"),
		ChaosSocketPath:      p.str(KeyChaosSocketPath, ""),
		LoadGeneratorUsers:   p.integer(KeyLoadGeneratorUsers, defaultLoadGeneratorUsers, 1, components.LoadGeneratorMaxUsers),
		LoadGeneratorBrowser: p.boolean(KeyLoadGeneratorBrowser, false),
		LLMComponents:        p.boolean(KeyLLMComponents, false),
		Halt:                 p.boolean(KeyHalt, false),
		SLOGate:              SLOGateMode(p.str(KeySLOGate, string(SLOGateBuild))),
		SLOGateImage:         p.str(KeySLOGateImage, "chaos-mesh-otel/slo-gate:latest"),
		SLOGateRegistry:      p.str(KeySLOGateRegistry, ""),
		SLOGateURL:           p.str(KeySLOGateURL, ""),
		DockerHost:           p.str(KeyDockerHost, ""),
		Istio:                p.boolean(KeyIstio, false),
	}
	c.Deployment = p.app().Deploy(c.groups()...)
	return c
}

// app reads which app the lab tests; an unknown name is an error, and the default app stands in for it so
// that the rest of the config is still checked.
func (p *parser) app() apps.App {
	name := p.str(KeyApp, apps.AstronomyShop.Name)
	app, ok := apps.ByName(name)
	if !ok {
		err := field.NotSupported(path(KeyApp), name, apps.Names())
		if s := suggest.Closest(name, apps.Names()); s != "" {
			err.Detail = fmt.Sprintf("did you mean %q? %s", s, err.Detail)
		}
		p.errs = append(p.errs, err)
		return apps.AstronomyShop
	}
	return app
}

// groups are the app's optional groups that the config switches on.
func (c *Config) groups() []apps.Group {
	if c.LLMComponents {
		return []apps.Group{apps.LLM}
	}
	return nil
}

// defaultLoadGeneratorUsers is loadGeneratorUsers' default, as Pulumi.yaml declares it.
const defaultLoadGeneratorUsers = 5

// checkApp refuses the keys that act on the Astronomy Shop only when the lab tests another app.
func (p *parser) checkApp(c *Config) {
	app := c.Deployment.App
	if app.Name == apps.AstronomyShop.Name {
		return
	}
	// Pulumi gives every key its Pulumi.yaml default, so the key is always set under `pulumi up`: only a
	// value other than the default can be the user's.
	if v, ok := p.get(KeyLoadGeneratorUsers); ok && strings.TrimSpace(v) != "" && strings.TrimSpace(v) != strconv.Itoa(defaultLoadGeneratorUsers) {
		p.errs = append(p.errs, field.Forbidden(path(KeyLoadGeneratorUsers), fmt.Sprintf(
			"%s's load generator runs a fixed number of users that its chart hard-codes (USERS=10, RATE=1, no value sets them); remove this key, or set %s: %s",
			app.Name, KeyApp, apps.AstronomyShop.Name)))
	}
	shopOnly := map[string]string{
		KeyLLMComponents:        "the LLM components (agent, chatbot, mcp) are services of the Astronomy Shop",
		KeyLoadGeneratorBrowser: "the headless-browser scenarios belong to the Astronomy Shop's k6 load generator",
	}
	for _, key := range []string{KeyLLMComponents, KeyLoadGeneratorBrowser} {
		if on, _ := strconv.ParseBool(p.str(key, "false")); on {
			p.errs = append(p.errs, field.Forbidden(path(key), fmt.Sprintf("%s; %s has none: set it to false, or set %s: %s",
				shopOnly[key], app.Name, KeyApp, apps.AstronomyShop.Name)))
		}
	}
}

// checkCharts checks that a local charts directory holds every pinned chart.
func (p *parser) checkCharts(c *Config) {
	if c.Charts.LocalDir == "" {
		return
	}
	if abs, err := filepath.Abs(c.Charts.LocalDir); err == nil {
		c.Charts.LocalDir = abs
	}
	var missing []string
	for _, chart := range components.AllCharts {
		if _, err := os.Stat(c.Charts.Archive(chart)); err != nil {
			missing = append(missing, filepath.Base(c.Charts.Archive(chart)))
		}
	}
	if len(missing) > 0 {
		p.errs = append(p.errs, field.Invalid(path(KeyChartsDir), c.Charts.LocalDir,
			"expected a directory holding the pinned chart archives; missing: "+strings.Join(missing, ", ")))
	}
}

// checkRuntime checks the container runtime and derives its socket when none is given.
func (p *parser) checkRuntime(c *Config) {
	if socket, known := RuntimeSockets[c.ChaosRuntime]; !known {
		p.errs = append(p.errs, field.NotSupported(path(KeyChaosRuntime), c.ChaosRuntime, slices.Sorted(maps.Keys(RuntimeSockets))))
	} else if c.ChaosSocketPath == "" {
		c.ChaosSocketPath = socket
	}
	if c.ChaosSocketPath != "" && !strings.HasPrefix(c.ChaosSocketPath, "/") {
		p.errs = append(p.errs, field.Invalid(path(KeyChaosSocketPath), c.ChaosSocketPath, "expected an absolute path on the node, such as /run/containerd/containerd.sock"))
	}
}

// checkPassword checks Grafana's admin password. An encrypted one counts as set: its content can only be
// checked where it is decrypted, at preview.
func (p *parser) checkPassword(c *Config) {
	password, ok := p.get(KeyGrafanaAdminPassword)
	switch {
	case p.encrypted(KeyGrafanaAdminPassword), p.pending(KeyGrafanaAdminPassword):
	case !ok || password == "":
		p.errs = append(p.errs, field.Required(path(KeyGrafanaAdminPassword), fmt.Sprintf(
			"not set: `make up` generates one and stores it encrypted in the stack file; or set your own with `pulumi config set --secret %s:%s <password>` (at least 8 characters)",
			ConfigNamespace, KeyGrafanaAdminPassword)))
	case len(password) < 8:
		p.errs = append(p.errs, field.Invalid(path(KeyGrafanaAdminPassword), field.OmitValueType{}, "expected at least 8 characters"))
	case password == "admin":
		p.errs = append(p.errs, field.Invalid(path(KeyGrafanaAdminPassword), field.OmitValueType{}, "the chart's default password is not allowed"))
	}
	c.GrafanaAdminPassword = password
}

// checkGate checks the SLO gate's mode and image, and resolves the URL that StatusChecks call: sloGateURL
// when set, else the in-cluster gate's when the lab runs one.
func (p *parser) checkGate(c *Config) {
	if !slices.Contains(sloGateModes, c.SLOGate) {
		p.errs = append(p.errs, field.NotSupported(path(KeySLOGate), c.SLOGate, sloGateModes))
	}
	if c.SLOGate != SLOGateOff && c.SLOGateImage == "" {
		p.errs = append(p.errs, field.Required(path(KeySLOGateImage), fmt.Sprintf(
			"when %s is %s: an image reference such as chaos-mesh-otel/slo-gate:latest", KeySLOGate, c.SLOGate)))
	}
	p.checkImage(c)
	if c.DockerHost != "" {
		if problem := checkDockerHost(c.DockerHost); problem != "" {
			p.errs = append(p.errs, field.Invalid(path(KeyDockerHost), c.DockerHost, problem))
		}
	}
	switch {
	case c.SLOGateURL != "":
		if problem := checkGateURL(c.SLOGateURL); problem != "" {
			p.errs = append(p.errs, field.Invalid(path(KeySLOGateURL), c.SLOGateURL, problem))
		}
		c.SLOGateURL = strings.TrimRight(c.SLOGateURL, "/")
	case c.SLOGate != SLOGateOff:
		c.SLOGateURL = components.SLOGateInClusterURL(components.ObservabilityNamespace)
	}
}

// checkImage checks the gate's image reference and registry by the distribution reference grammar that
// Docker and every registry use, so that a typo fails here and not in the middle of an image build.
func (p *parser) checkImage(c *Config) {
	if c.SLOGateImage != "" {
		if _, err := reference.ParseNormalizedNamed(c.SLOGateImage); err != nil {
			p.errs = append(p.errs, field.Invalid(path(KeySLOGateImage), c.SLOGateImage,
				fmt.Sprintf("not an image reference (%v): expected [registry/]name[:tag], lower case, such as chaos-mesh-otel/slo-gate:latest", err)))
			return
		}
	}
	if c.SLOGateRegistry == "" {
		return
	}
	if strings.Contains(c.SLOGateRegistry, "://") {
		p.errs = append(p.errs, field.Invalid(path(KeySLOGateRegistry), c.SLOGateRegistry,
			"expected a registry host and optional path, without a scheme, such as localhost:5000 or ghcr.io/my-org: the image is pushed as <registry>/<sloGateImage>"))
		return
	}
	named, err := reference.ParseNamed(c.SLOGateRegistry + "/" + reference.Path(mustNamed(c.SLOGateImage)))
	if err != nil || reference.Domain(named) != strings.SplitN(c.SLOGateRegistry, "/", 2)[0] {
		p.errs = append(p.errs, field.Invalid(path(KeySLOGateRegistry), c.SLOGateRegistry,
			"expected a registry host (with a dot or a port, or localhost) and optional path, such as localhost:5000 or ghcr.io/my-org: the image is pushed as <registry>/<sloGateImage>"))
	}
}

// mustNamed parses an image reference that checkImage has accepted; a bad one stands in as the default.
func mustNamed(image string) reference.Named {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		named, _ = reference.ParseNormalizedNamed("chaos-mesh-otel/slo-gate")
	}
	return named
}

// dockerHostSchemes are the address forms of a Docker daemon that the docker provider accepts.
var dockerHostSchemes = []string{"unix", "tcp", "ssh", "npipe", "http", "https"}

// checkDockerHost says what is wrong with a Docker daemon address, or "" when it is usable.
func checkDockerHost(raw string) string {
	const expected = "expected a Docker daemon address such as unix:///var/run/docker.sock, tcp://192.168.49.2:2376 or ssh://user@host"
	u, err := url.Parse(raw)
	switch {
	case err != nil || !slices.Contains(dockerHostSchemes, u.Scheme):
		return expected
	case u.Scheme == "unix" && (u.Path == "" || u.Host != ""):
		return expected + " (a unix socket needs three slashes and an absolute path)"
	case u.Scheme != "unix" && u.Scheme != "npipe" && u.Hostname() == "":
		return expected + " (a host is missing)"
	case strings.ContainsAny(raw, " \t"):
		return expected + " (no spaces)"
	}
	return ""
}

// checkGateURL says what is wrong with a gate's base URL, or "" when it is usable: StatusChecks append
// /slo/NAME to it, so it must be an absolute http(s) URL with no query or fragment.
func checkGateURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return "expected an absolute http(s) URL of an SLO gate, such as http://slo-gate.example.com:8080"
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "expected a base URL without query, fragment or credentials: StatusChecks call <url>/slo/<name>"
	}
	return ""
}

// slos parses the SLOs, which may only be about services that this stack deploys.
func (p *parser) slos(deployed apps.Deployment) []slo.SLO {
	raw, _ := p.get(KeySLOs)
	slos, errs := slo.ValidateFor(deployed.App, []byte(raw), deployed.ServiceNames())
	for _, fe := range errs {
		// A service of the app that this stack leaves out: say why, rather than list the others. A service
		// of the other app: name its counterpart.
		if service, ok := fe.BadValue.(string); ok && fe.Type == field.ErrorTypeNotSupported && strings.HasSuffix(fe.Field, ".service") {
			if why := deployed.WhyNot(service); why != "" {
				fe = field.Invalid(field.NewPath(fe.Field), service, "not deployed in this stack: "+why)
			} else if theirs, ok := deployed.App.Translate(service); ok {
				fe.Detail = fmt.Sprintf("%s; did you mean %q? %s", otherAppsName(deployed.App), theirs, fe.Detail)
			}
		}
		p.errs = append(p.errs, inNamespace(fe))
	}
	return slos
}

// otherAppsName says whose name a translated service name is, for "did you mean" hints.
func otherAppsName(app apps.App) string {
	if app.FromShop != nil {
		return apps.AstronomyShop.Title + "'s name"
	}
	return "a name of another app"
}

// scenarios builds the chaos objects of the scenarios for this stack's app, services and gate.
func (p *parser) scenarios(c *Config) *scenarios.Plan {
	raw, _ := p.get(KeyScenarios)
	plan, errs := scenarios.Build([]byte(raw), scenarios.Options{
		Deployment: c.Deployment,
		Gate:       scenarios.Gate{URL: c.SLOGateURL, SLOs: slo.Names(c.SLOs)},
		Halt:       c.Halt,
		Istio:      c.Istio,
		MemoryLimitMi: func(service, container string) (int, bool) {
			return components.ContainerMemoryMi(c.Deployment, c.Istio, service, container)
		},
		NodeMemoryMi: components.DeploymentNodeMi(c.Deployment, c.Istio),
	})
	for _, fe := range errs {
		p.errs = append(p.errs, inNamespace(fe))
	}
	if plan != nil {
		for _, r := range plan.Renamed {
			c.Notices = append(c.Notices, Notice{Key: path(KeyScenarios).Child(r.Key).String(), Message: r.Reason()})
		}
	}
	return plan
}

// inNamespace names a package's error by the full key: slos[0].name becomes chaos-mesh-otel:slos[0].name.
func inNamespace(fe *field.Error) *field.Error {
	out := *fe
	out.Field = ConfigNamespace + ":" + fe.Field
	return &out
}
