package components

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/pulumimock"
)

// The docker provider plugin cannot run on our CI machines, so the image build is covered by these mock tests:
// they assert what the program asks pulumi-docker to build, and how the Deployment runs the result.
func runGate(t *testing.T, args SLOGateArgs) *pulumimock.Monitor {
	t.Helper()
	m := pulumimock.New("chaos-mesh-otel", "test")
	err := m.Run(func(ctx *pulumi.Context) error {
		args.Namespace = pulumi.String(ObservabilityNamespace)
		_, err := NewSLOGate(ctx, "slo-gate", &args)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func gateContainerOf(t *testing.T, m *pulumimock.Monitor) map[string]any {
	t.Helper()
	dep, ok := m.Named("kubernetes:apps/v1:Deployment", "slo-gate")
	if !ok {
		t.Fatal("no slo-gate Deployment")
	}
	spec := dep.Inputs["spec"].Mappable().(map[string]any)
	pod := spec["template"].(map[string]any)["spec"].(map[string]any)
	return pod["containers"].([]any)[0].(map[string]any)
}

func TestSLOGateBuildsItsImageOnTheMinikubeDaemon(t *testing.T) {
	m := runGate(t, SLOGateArgs{
		Image: "chaos-mesh-otel/slo-gate:latest", Build: true, DockerHost: "tcp://192.168.49.2:2376",
		BuildContext: "/repo", SLOConfig: `[{"name":"a"}]`,
	})
	image, ok := m.Named("docker:index/image:Image", "slo-gate")
	if !ok {
		t.Fatal("no docker Image")
	}
	build := image.Inputs["build"].ObjectValue()
	if build["context"].StringValue() != "/repo" || build["dockerfile"].StringValue() != SLOGateDockerfile {
		t.Errorf("build = %v", build)
	}
	if _, forced := build["platform"]; forced {
		t.Errorf("the image must be built for the daemon's own platform, got %v", build["platform"])
	}
	if image.Inputs["imageName"].StringValue() != "chaos-mesh-otel/slo-gate:latest" {
		t.Errorf("imageName = %v", image.Inputs["imageName"])
	}
	if !image.Inputs["skipPush"].BoolValue() {
		t.Error("without a registry the image must stay on the daemon (skipPush)")
	}
	provider, ok := m.Named("pulumi:providers:docker", "slo-gate-docker")
	if !ok || provider.Inputs["host"].StringValue() != "tcp://192.168.49.2:2376" {
		t.Fatalf("docker provider must target dockerHost, got %v", provider.Inputs)
	}
	if image.Provider == "" {
		t.Error("the image must be built with the dockerHost provider")
	}
	c := gateContainerOf(t, m)
	if c["image"] != "chaos-mesh-otel/slo-gate:latest" || c["imagePullPolicy"] != "Never" {
		t.Errorf("container runs %v with pull policy %v", c["image"], c["imagePullPolicy"])
	}
	env := map[string]any{}
	for _, e := range c["env"].([]any) {
		kv := e.(map[string]any)
		env[kv["name"].(string)] = kv["value"]
	}
	if env["PROMETHEUS_URL"] != PrometheusURL || env["SLO_CONFIG"] != `[{"name":"a"}]` {
		t.Errorf("env = %v", env)
	}
	limits := c["resources"].(map[string]any)["limits"].(map[string]any)
	if limits["memory"] != "32Mi" {
		t.Errorf("memory limit = %v", limits["memory"])
	}
}

func TestSLOGatePushesToARegistry(t *testing.T) {
	m := runGate(t, SLOGateArgs{Image: "slo-gate:1", Build: true, Registry: "registry.example:5000", BuildContext: "/repo"})
	image, _ := m.Named("docker:index/image:Image", "slo-gate")
	if image.Inputs["imageName"].StringValue() != "registry.example:5000/slo-gate:1" || image.Inputs["skipPush"].BoolValue() {
		t.Errorf("image %v skipPush %v", image.Inputs["imageName"], image.Inputs["skipPush"])
	}
	if _, ok := m.Named("pulumi:providers:docker", "slo-gate-docker"); ok {
		t.Error("no explicit docker provider without dockerHost")
	}
	if c := gateContainerOf(t, m); c["imagePullPolicy"] != "IfNotPresent" || c["image"] != "registry.example:5000/slo-gate:1" {
		t.Errorf("container %v %v", c["image"], c["imagePullPolicy"])
	}
}

func TestSLOGateRunsAGivenImageWithoutDocker(t *testing.T) {
	m := runGate(t, SLOGateArgs{Image: "ghcr.io/me/slo-gate:v1"})
	for _, r := range m.Resources() {
		if strings.HasPrefix(r.Type, "docker:") || strings.HasPrefix(r.Type, "pulumi:providers:docker") {
			t.Errorf("no docker resource expected, got %s %s", r.Type, r.Name)
		}
	}
	if c := gateContainerOf(t, m); c["image"] != "ghcr.io/me/slo-gate:v1" {
		t.Errorf("image = %v", c["image"])
	}
	svc, ok := m.Named("kubernetes:core/v1:Service", "slo-gate")
	if !ok {
		t.Fatal("no Service")
	}
	port := svc.Inputs["spec"].Mappable().(map[string]any)["ports"].([]any)[0].(map[string]any)
	if port["port"] != float64(SLOGatePort) {
		t.Errorf("service port = %v", port["port"])
	}
}
