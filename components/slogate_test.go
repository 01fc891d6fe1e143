package components

import (
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The docker provider plugin cannot run on our CI machines, so the image build is covered by this mock test:
// it asserts what the program asks pulumi-docker to build, and how the Deployment runs the result.
type gateMocks struct {
	mu  sync.Mutex
	reg map[string]pulumi.MockResourceArgs // by type and name
}

func (m *gateMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reg == nil {
		m.reg = map[string]pulumi.MockResourceArgs{}
	}
	m.reg[args.TypeToken+"::"+args.Name] = args
	outputs := args.Inputs.Copy()
	if args.TypeToken == "docker:index/image:Image" {
		// The provider reports the built image's name, which the Deployment must run.
		outputs["imageName"] = args.Inputs["imageName"]
	}
	return args.Name + "-id", outputs, nil
}

func (m *gateMocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return args.Args, nil
}

func runGate(t *testing.T, args SLOGateArgs) *gateMocks {
	t.Helper()
	m := &gateMocks{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		args.Namespace = pulumi.String(ObservabilityNamespace)
		_, err := NewSLOGate(ctx, "slo-gate", &args)
		return err
	}, pulumi.WithMocks("chaos-mesh-otel", "test", m))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func gateContainer(t *testing.T, m *gateMocks) map[string]any {
	t.Helper()
	dep, ok := m.reg["kubernetes:apps/v1:Deployment::slo-gate"]
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
	image, ok := m.reg["docker:index/image:Image::slo-gate"]
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
	provider, ok := m.reg["pulumi:providers:docker::slo-gate-docker"]
	if !ok || provider.Inputs["host"].StringValue() != "tcp://192.168.49.2:2376" {
		t.Fatalf("docker provider must target dockerHost, got %v", provider.Inputs)
	}
	if image.Provider == "" {
		t.Error("the image must be built with the dockerHost provider")
	}
	c := gateContainer(t, m)
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
	image := m.reg["docker:index/image:Image::slo-gate"]
	if image.Inputs["imageName"].StringValue() != "registry.example:5000/slo-gate:1" || image.Inputs["skipPush"].BoolValue() {
		t.Errorf("image %v skipPush %v", image.Inputs["imageName"], image.Inputs["skipPush"])
	}
	if _, ok := m.reg["pulumi:providers:docker::slo-gate-docker"]; ok {
		t.Error("no explicit docker provider without dockerHost")
	}
	if c := gateContainer(t, m); c["imagePullPolicy"] != "IfNotPresent" || c["image"] != "registry.example:5000/slo-gate:1" {
		t.Errorf("container %v %v", c["image"], c["imagePullPolicy"])
	}
}

func TestSLOGateRunsAGivenImageWithoutDocker(t *testing.T) {
	m := runGate(t, SLOGateArgs{Image: "ghcr.io/me/slo-gate:v1"})
	for key := range m.reg {
		if len(key) >= 7 && key[:7] == "docker:" {
			t.Errorf("no docker resource expected, got %s", key)
		}
	}
	if c := gateContainer(t, m); c["image"] != "ghcr.io/me/slo-gate:v1" {
		t.Errorf("image = %v", c["image"])
	}
	svc, ok := m.reg["kubernetes:core/v1:Service::slo-gate"]
	if !ok {
		t.Fatal("no Service")
	}
	port := svc.Inputs["spec"].Mappable().(map[string]any)["ports"].([]any)[0].(map[string]any)
	if port["port"] != float64(SLOGatePort) {
		t.Errorf("service port = %v", port["port"])
	}
}
