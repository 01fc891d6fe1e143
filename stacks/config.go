package stacks

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
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
	KeyApp                  = "app"
	KeyIstio                = "istio"
)

// RuntimeSockets maps each container runtime that chaos-daemon supports to its usual socket on the node.
var RuntimeSockets = map[string]string{
	"docker":     "/var/run/docker.sock",
	"containerd": "/run/containerd/containerd.sock",
	"crio":       "/var/run/crio/crio.sock",
}

// SLOGateMode is how the lab runs the SLO gate (chaos-mesh-otel:sloGate).
type SLOGateMode string

// The SLO gate's modes. They are untyped so that they also serve as raw config values.
const (
	SLOGateBuild = "build" // build the image with pulumi-docker, on the Docker daemon of dockerHost
	SLOGateImage = "image" // run sloGateImage as it is, built and pushed elsewhere
	SLOGateOff   = "off"   // no gate in the cluster; steadyState {slo: ...} needs sloGateURL then
)

var sloGateModes = []SLOGateMode{SLOGateBuild, SLOGateImage, SLOGateOff}

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
	// Deployment is the app under test (chaos-mesh-otel:app) and the services that this stack deploys of it.
	Deployment apps.Deployment
	// Istio says whether the lab runs Istio with sidecars in the app's namespace (chaos-mesh-otel:istio):
	// mesh-fault scenarios need it, and HTTPChaos is refused on meshed services with it.
	Istio bool
	// GrafanaAdminPassword is plaintext here only for validation; the program wraps it as a secret.
	GrafanaAdminPassword string
	Halt                 bool
	SLOs                 []slo.SLO
	// SLOConfig is the raw value of the slos key, which the SLO gate parses with the same code.
	SLOConfig       string
	Scenarios       *scenarios.Plan
	SLOGate         SLOGateMode
	SLOGateImage    string
	SLOGateRegistry string
	// SLOGateURL is the base URL that the StatusChecks of steadyState {slo: NAME} call: sloGateURL when set,
	// else the in-cluster gate's when the lab runs one; empty when there is no gate to call.
	SLOGateURL string
	DockerHost string
	// Notices are what a user should know about this valid config (names changed to their DNS-1123 form,
	// for example): chaoslab prints them and the program logs them at preview.
	Notices []Notice
}

// ConfigError is every problem found in the config, each a field.Error whose path is the full key.
type ConfigError struct {
	Errors field.ErrorList
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("invalid stack configuration (%d problem(s)); nothing was changed:\n  %s",
		len(e.Errors), strings.Join(e.Lines(), "\n  "))
}

// Lines are the problems, one per line, as pulumi preview and chaoslab print them.
func (e *ConfigError) Lines() []string {
	lines := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		lines[i] = fe.Error()
	}
	return lines
}

// ParseConfig reads and validates the whole config, reporting every problem at once. It touches nothing,
// so a bad config fails `pulumi preview` before any resource is registered. The program and chaoslab both
// call it, so that they cannot disagree.
func ParseConfig(src Source) (*Config, error) {
	p := &parser{src: src}
	p.checkKeys()
	c := p.scalars()
	p.checkCharts(c)
	p.checkRuntime(c)
	p.checkPassword(c)
	p.checkGate(c)
	p.checkApp(c)
	c.SLOs = p.slos(c.Deployment)
	c.SLOConfig, _ = p.get(KeySLOs)
	c.Scenarios = p.scenarios(c)
	if len(p.errs) > 0 {
		return nil, &ConfigError{Errors: p.errs}
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
