package stacks

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/suggest"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// ConfigNamespace is the project's config namespace: every key is chaos-mesh-otel:<key>.
const ConfigNamespace = "chaos-mesh-otel"

// Config keys. Scalar keys are declared, with their defaults, in Pulumi.yaml's config schema; the README
// documents the structured ones (scenarios, slos).
const (
	KeyKubeconfig           = "kubeconfig"
	KeyContext              = "context"
	KeyChartsDir            = "chartsDir"
	KeyChaosRuntime         = "chaosRuntime"
	KeyChaosSocketPath      = "chaosSocketPath"
	KeyLoadGeneratorUsers   = "loadGeneratorUsers"
	KeyLoadGeneratorBrowser = "loadGeneratorBrowser"
	KeyLLMComponents        = "llmComponents"
	KeyGrafanaAdminPassword = "grafanaAdminPassword"
	KeyHalt                 = "halt"
	KeyScenarios            = "scenarios"
	KeySLOs                 = "slos"
	KeySLOGate              = "sloGate"
	KeySLOGateImage         = "sloGateImage"
	KeySLOGateRegistry      = "sloGateRegistry"
	KeySLOGateURL           = "sloGateURL"
	KeyDockerHost           = "dockerHost"
)

// RuntimeSockets maps each container runtime that chaos-daemon supports to its usual socket on the node.
var RuntimeSockets = map[string]string{
	"docker":     "/var/run/docker.sock",
	"containerd": "/run/containerd/containerd.sock",
	"crio":       "/var/run/crio/crio.sock",
}

// SLO gate modes.
const (
	SLOGateBuild = "build" // build the image with pulumi-docker, on the Docker daemon of dockerHost
	SLOGateImage = "image" // run sloGateImage as it is, built and pushed elsewhere
	SLOGateOff   = "off"   // no gate in the cluster; steadyState {slo: ...} needs sloGateURL then
)

// Config is the whole typed, validated stack configuration.
type Config struct {
	Kubeconfig           string
	Context              string
	Charts               components.ChartSource
	ChaosRuntime         string
	ChaosSocketPath      string
	LoadGeneratorUsers   int
	LoadGeneratorBrowser bool
	LLMComponents        bool
	// Deployment is the app under test and the services that this stack deploys of it.
	Deployment apps.Deployment
	// GrafanaAdminPassword is plaintext here only for validation; the program wraps it as a secret.
	GrafanaAdminPassword string
	Halt                 bool
	SLOs                 []slo.SLO
	Scenarios            *scenarios.Plan
	SLOGate              string
	SLOGateImage         string
	SLOGateRegistry      string
	// SLOGateURL is the base URL that the StatusChecks of steadyState {slo: NAME} call: sloGateURL when set,
	// else the in-cluster gate's when the lab runs one; empty when there is no gate to call.
	SLOGateURL string
	DockerHost string
}

// ConfigError is every problem found in the config, each naming its full key.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("invalid stack configuration (%d problem(s)); nothing was changed:\n  %s",
		len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// ParseConfig reads and validates the whole config, reporting every problem at once. It touches nothing,
// so a bad config fails `pulumi preview` before any resource is registered. The program and chaoslab both
// call it, so that they cannot disagree.
func ParseConfig(src Source) (*Config, error) {
	var problems []string
	fail := func(key, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s:%s: %s", ConfigNamespace, key, fmt.Sprintf(format, args...)))
	}
	if src.KeysListed {
		for _, key := range unknownKeys(src.Keys) {
			hint := ""
			if s := suggest.Closest(key, projectKeys); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			fail(key, "unknown key%s; expected one of: %s", hint, strings.Join(projectKeys, ", "))
		}
	}
	for _, key := range src.Encrypted {
		if key != KeyGrafanaAdminPassword {
			fail(key, "set to an encrypted (secure) value that cannot be read here; only %s is a secret: set this key in plain text", KeyGrafanaAdminPassword)
		}
	}
	get := func(key string) (string, bool) {
		if slices.Contains(src.Encrypted, key) {
			return "", false
		}
		return src.Get(key)
	}
	str := func(key, def string) string {
		if v, ok := get(key); ok {
			return strings.TrimSpace(v)
		}
		return def
	}
	boolean := func(key string, def bool) bool {
		v, ok := get(key)
		if !ok || strings.TrimSpace(v) == "" {
			return def
		}
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			fail(key, "expected true or false, got %q", v)
		}
		return b
	}
	integer := func(key string, def, min, max int) int {
		v, ok := get(key)
		if !ok || strings.TrimSpace(v) == "" {
			return def
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < min || n > max {
			fail(key, "expected a whole number from %d to %d, got %q", min, max, v)
		}
		return n
	}

	c := &Config{
		Kubeconfig:           str(KeyKubeconfig, ""),
		Context:              str(KeyContext, ""),
		Charts:               components.ChartSource{LocalDir: str(KeyChartsDir, "")},
		ChaosRuntime:         str(KeyChaosRuntime, "containerd"),
		ChaosSocketPath:      str(KeyChaosSocketPath, ""),
		LoadGeneratorUsers:   integer(KeyLoadGeneratorUsers, 5, 1, 200),
		LoadGeneratorBrowser: boolean(KeyLoadGeneratorBrowser, false),
		LLMComponents:        boolean(KeyLLMComponents, false),
		Halt:                 boolean(KeyHalt, false),
		SLOGate:              str(KeySLOGate, SLOGateBuild),
		SLOGateImage:         str(KeySLOGateImage, "chaos-mesh-otel/slo-gate:latest"),
		SLOGateRegistry:      str(KeySLOGateRegistry, ""),
		SLOGateURL:           str(KeySLOGateURL, ""),
		DockerHost:           str(KeyDockerHost, ""),
	}
	c.Deployment = components.ShopDeployment(c.LLMComponents)

	if c.Charts.LocalDir != "" {
		if abs, err := filepath.Abs(c.Charts.LocalDir); err == nil {
			c.Charts.LocalDir = abs
		}
		for _, chart := range components.AllCharts {
			if _, err := os.Stat(c.Charts.Archive(chart)); err != nil {
				fail(KeyChartsDir, "expected a directory holding %s-%s.tgz: %v", chart.Name, chart.Version, err)
			}
		}
	}
	c.Charts.CacheDir = chartCacheDir()

	if socket, known := RuntimeSockets[c.ChaosRuntime]; !known {
		fail(KeyChaosRuntime, "expected one of %s, got %q", strings.Join(slices.Sorted(maps.Keys(RuntimeSockets)), ", "), c.ChaosRuntime)
	} else if c.ChaosSocketPath == "" {
		c.ChaosSocketPath = socket
	}
	if c.ChaosSocketPath != "" && !strings.HasPrefix(c.ChaosSocketPath, "/") {
		fail(KeyChaosSocketPath, "expected an absolute path on the node, such as /run/containerd/containerd.sock, got %q", c.ChaosSocketPath)
	}

	password, ok := get(KeyGrafanaAdminPassword)
	switch {
	case slices.Contains(src.Encrypted, KeyGrafanaAdminPassword):
		// Set, as ciphertext: its length can only be checked where it is decrypted, at preview.
	case !ok || password == "":
		fail(KeyGrafanaAdminPassword, "required, and not set: `make up` generates one and stores it encrypted in the stack file; or set your own with `pulumi config set --secret %s:%s <password>` (at least 8 characters)", ConfigNamespace, KeyGrafanaAdminPassword)
	case len(password) < 8:
		fail(KeyGrafanaAdminPassword, "expected at least 8 characters")
	case password == "admin":
		fail(KeyGrafanaAdminPassword, "the chart's default password is not allowed")
	}
	c.GrafanaAdminPassword = password

	switch c.SLOGate {
	case SLOGateBuild, SLOGateImage, SLOGateOff:
	default:
		fail(KeySLOGate, "expected %s, %s or %s, got %q", SLOGateBuild, SLOGateImage, SLOGateOff, c.SLOGate)
	}
	if c.SLOGate != SLOGateOff && c.SLOGateImage == "" {
		fail(KeySLOGateImage, "required when %s is %s: an image reference such as chaos-mesh-otel/slo-gate:latest", KeySLOGate, c.SLOGate)
	}
	switch {
	case c.SLOGateURL != "":
		if problem := checkGateURL(c.SLOGateURL); problem != "" {
			fail(KeySLOGateURL, "%s, got %q", problem, c.SLOGateURL)
		}
		c.SLOGateURL = strings.TrimRight(c.SLOGateURL, "/")
	case c.SLOGate != SLOGateOff:
		c.SLOGateURL = components.SLOGateInClusterURL(components.ObservabilityNamespace)
	}

	rawSLOs, _ := get(KeySLOs)
	slos, err := slo.Parse([]byte(rawSLOs), c.Deployment.ServiceNames())
	if err != nil {
		problems = append(problems, prefixed(err)...)
	}
	c.SLOs = slos

	opts := scenarios.Options{
		Deployment: c.Deployment,
		Gate:       scenarios.Gate{URL: c.SLOGateURL, SLOs: slo.Names(slos)},
		Halt:       c.Halt,
	}
	rawScenarios, _ := get(KeyScenarios)
	plan, err := scenarios.Build([]byte(rawScenarios), opts)
	if err != nil {
		problems = append(problems, prefixed(err)...)
	}
	c.Scenarios = plan

	if len(problems) > 0 {
		return nil, &ConfigError{Problems: problems}
	}
	return c, nil
}

// chartCacheDir is where repacked chart archives are kept between runs.
func chartCacheDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "chaos-mesh-otel", "charts")
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

// prefixed turns a package's field errors into lines that name the full config key.
func prefixed(err error) []string {
	var scenarioErrs scenarios.ValidationErrors
	var sloErrs slo.Errors
	var lines []string
	switch {
	case errors.As(err, &scenarioErrs):
		for _, fe := range scenarioErrs {
			lines = append(lines, fmt.Sprintf("%s:%s: %s", ConfigNamespace, fe.Path, fe.Message))
		}
	case errors.As(err, &sloErrs):
		for _, fe := range sloErrs {
			lines = append(lines, fmt.Sprintf("%s:%s: %s", ConfigNamespace, fe.Path, fe.Message))
		}
	default:
		lines = append(lines, err.Error())
	}
	return lines
}
