package components

import (
	"fmt"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// The SLO gate's addresses.
const (
	SLOGateService = "slo-gate"
	SLOGatePort    = 8080
	// SLOGateDockerfile is built with the repository root as its context.
	SLOGateDockerfile = "cmd/slo-gate/Dockerfile"
)

// SLOGateInClusterURL is the gate's base URL inside the cluster when it runs in namespace.
func SLOGateInClusterURL(namespace string) string {
	return fmt.Sprintf("http://%s.%s.svc:%d", SLOGateService, namespace, SLOGatePort)
}

// SLOGateArgs configures the SLO gate.
type SLOGateArgs struct {
	Namespace pulumi.StringInput
	// Image is the image reference to run. With Build set it is also the name the built image gets.
	Image string
	// Build builds the image from this repository with pulumi-docker, on the Docker daemon at DockerHost
	// (empty: the docker provider's default, DOCKER_HOST as `minikube docker-env` sets it).
	Build      bool
	DockerHost string
	// Registry, when set, is where the built image is pushed; empty keeps it on the daemon, which is how a
	// Minikube cluster with the docker runtime sees it without a registry.
	Registry string
	// BuildContext is the repository root.
	BuildContext string
	// SLOConfig is the raw value of the chaos-mesh-otel:slos key (empty: the defaults), which the gate
	// parses with the same code as the program.
	SLOConfig string
}

// SLOGate is the HTTP service that answers whether an SLO's steady state holds, by evaluating its PromQL
// against Prometheus. Chaos Mesh StatusChecks call it, so that a game day aborts when an SLO breaks.
type SLOGate struct {
	pulumi.ResourceState
	Parts

	URL   pulumi.StringOutput `pulumi:"url"`
	Image pulumi.StringOutput `pulumi:"image"`
}

// NewSLOGate declares the gate, and its image build when asked.
func NewSLOGate(ctx *pulumi.Context, name string, args *SLOGateArgs, opts ...pulumi.ResourceOption) (*SLOGate, error) {
	g := &SLOGate{}
	if err := ctx.RegisterComponentResource("chaos-mesh-otel:observability:SLOGate", name, g, opts...); err != nil {
		return nil, err
	}
	image, pullPolicy, err := gateImage(ctx, name, args, g, opts)
	if err != nil {
		return nil, err
	}
	labels := pulumi.StringMap{"app.kubernetes.io/name": pulumi.String(SLOGateService), apps.PartOfLabel: pulumi.String(apps.PartOfValue)}
	deployment, err := appsv1.NewDeployment(ctx, name, &appsv1.DeploymentArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(SLOGateService), Namespace: args.Namespace, Labels: labels},
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(1),
			Selector: &metav1.LabelSelectorArgs{MatchLabels: labels},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{
					Labels: labels,
					Annotations: pulumi.StringMap{
						"prometheus.io/scrape": pulumi.String("true"),
						"prometheus.io/port":   pulumi.String(fmt.Sprint(SLOGatePort)),
					},
				},
				Spec: &corev1.PodSpecArgs{Containers: corev1.ContainerArray{gateContainer(image, pullPolicy, args.SLOConfig)}},
			},
		},
	}, childOf(g, opts))
	if err != nil {
		return nil, err
	}
	service, err := corev1.NewService(ctx, name, &corev1.ServiceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(SLOGateService), Namespace: args.Namespace, Labels: labels},
		Spec: &corev1.ServiceSpecArgs{
			Selector: labels,
			Ports: corev1.ServicePortArray{corev1.ServicePortArgs{
				Name: pulumi.String("http"), Port: pulumi.Int(SLOGatePort), TargetPort: pulumi.String("http"),
			}},
		},
	}, childOf(g, opts), pulumi.DependsOn([]pulumi.Resource{deployment}))
	if err != nil {
		return nil, err
	}
	g.own(deployment, service)
	g.URL = service.Metadata.Namespace().Elem().ApplyT(SLOGateInClusterURL).(pulumi.StringOutput)
	g.Image = image
	return g, ctx.RegisterResourceOutputs(g, pulumi.Map{"url": g.URL, "image": g.Image})
}

// gateImage is the image that the gate runs and its pull policy: the given image, or, with Build, the image
// that pulumi-docker builds from this repository. An image built without a registry exists only on the node's
// daemon, so it must never be pulled.
func gateImage(ctx *pulumi.Context, name string, args *SLOGateArgs, parent *SLOGate, componentOpts []pulumi.ResourceOption) (pulumi.StringOutput, string, error) {
	if !args.Build {
		return pulumi.String(args.Image).ToStringOutput(), "IfNotPresent", nil
	}
	imageName := args.Image
	if args.Registry != "" {
		imageName = args.Registry + "/" + args.Image
	}
	opts := []pulumi.ResourceOption{childOf(parent, componentOpts)}
	if args.DockerHost != "" {
		provider, err := docker.NewProvider(ctx, childName(name, "docker"), &docker.ProviderArgs{
			Host: pulumi.String(args.DockerHost),
		}, childOf(parent, componentOpts))
		if err != nil {
			return pulumi.StringOutput{}, "", err
		}
		opts = append(opts, pulumi.Provider(provider))
	}
	built, err := docker.NewImage(ctx, name, &docker.ImageArgs{
		ImageName: pulumi.String(imageName),
		Build: &docker.DockerBuildArgs{
			Context: pulumi.String(args.BuildContext),
			// No platform: the daemon builds for its own, which is the node's (amd64 or arm64).
			Dockerfile: pulumi.String(SLOGateDockerfile),
		},
		SkipPush: pulumi.Bool(args.Registry == ""),
	}, opts...)
	if err != nil {
		return pulumi.StringOutput{}, "", err
	}
	parent.own(built)
	if args.Registry == "" {
		return built.ImageName, "Never", nil
	}
	return built.ImageName, "IfNotPresent", nil
}

// gateContainer runs the gate: read-only, unprivileged, within its footprint budget, reading the SLOs from
// the same config value as the program and answering on SLOGatePort.
func gateContainer(image pulumi.StringInput, pullPolicy, sloConfig string) corev1.ContainerArgs {
	return corev1.ContainerArgs{
		Name:            pulumi.String(SLOGateService),
		Image:           image,
		ImagePullPolicy: pulumi.String(pullPolicy),
		Args:            pulumi.StringArray{pulumi.String("--listen"), pulumi.String(fmt.Sprintf(":%d", SLOGatePort))},
		Env: corev1.EnvVarArray{
			corev1.EnvVarArgs{Name: pulumi.String("PROMETHEUS_URL"), Value: pulumi.String(PrometheusURL)},
			corev1.EnvVarArgs{Name: pulumi.String("SLO_CONFIG"), Value: pulumi.String(sloConfig)},
		},
		Ports: corev1.ContainerPortArray{corev1.ContainerPortArgs{
			Name: pulumi.String("http"), ContainerPort: pulumi.Int(SLOGatePort),
		}},
		ReadinessProbe: &corev1.ProbeArgs{HttpGet: &corev1.HTTPGetActionArgs{
			Path: pulumi.String("/healthz"), Port: pulumi.Int(SLOGatePort),
		}},
		Resources: sloGateBudget.Requirements(),
		SecurityContext: &corev1.SecurityContextArgs{
			RunAsNonRoot:             pulumi.Bool(true),
			AllowPrivilegeEscalation: pulumi.Bool(false),
			ReadOnlyRootFilesystem:   pulumi.Bool(true),
		},
	}
}
