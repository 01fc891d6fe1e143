package components

import (
	"encoding/base64"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ChaosMeshArgs configures Chaos Mesh.
type ChaosMeshArgs struct {
	Charts ChartSource
	// Namespace is where Chaos Mesh runs; TargetNamespace is the only namespace chaos may touch.
	Namespace       pulumi.StringInput
	TargetNamespace pulumi.StringInput
	// Runtime and SocketPath tell chaos-daemon how to reach the node's container runtime: docker with
	// /var/run/docker.sock, containerd with /run/containerd/containerd.sock, crio with /var/run/crio/crio.sock.
	Runtime    string
	SocketPath string
}

// ChaosMesh is the Chaos Mesh release with its dashboard in security mode, and a ServiceAccount whose token
// signs in to the dashboard with rights over the shop's namespace only.
type ChaosMesh struct {
	pulumi.ResourceState
	Parts

	Namespace      pulumi.StringOutput `pulumi:"namespace"`
	ReleaseStatus  pulumi.StringOutput `pulumi:"releaseStatus"`
	DashboardToken pulumi.StringOutput `pulumi:"dashboardToken"`
}

// Names of what the chart and the component create, which other parts address.
const (
	ChaosDashboardService      = "chaos-dashboard"
	ChaosDashboardPort         = 2333
	ChaosControllerMetricsPort = 10080
	chaosOperatorAccount       = "chaos-lab-operator"
	// ChaosMeshRelease is the Helm release; the chart names its objects after it (chaos-controller-manager, ...).
	ChaosMeshRelease = "chaos-mesh"
)

// ChaosMeshValues are the chart values for the args.
func ChaosMeshValues(args *ChaosMeshArgs) map[string]any {
	return map[string]any{
		"controllerManager": map[string]any{
			// One replica is enough for a lab; upstream runs three for leader-election failover.
			"replicaCount":          1,
			"enableFilterNamespace": true,
			"resources":             chaosControllerBudget.Resources(),
		},
		"chaosDaemon": map[string]any{
			"runtime":    args.Runtime,
			"socketPath": args.SocketPath,
			"resources":  chaosDaemonBudget.Resources(),
		},
		"dashboard": map[string]any{
			// Upstream's default, stated here so that no override can silently turn it off: the dashboard
			// asks for a token instead of acting with its own cluster-wide ServiceAccount.
			"securityMode": true,
			"service":      map[string]any{"type": "ClusterIP"},
			"resources":    chaosDashboardBudget.Resources(),
		},
		// The DNS server backs the dns-error and dns-random faults.
		"dnsServer": map[string]any{
			"create":    true,
			"resources": chaosDNSBudget.Resources(),
		},
	}
}

// NewChaosMesh declares Chaos Mesh.
func NewChaosMesh(ctx *pulumi.Context, name string, args *ChaosMeshArgs, opts ...pulumi.ResourceOption) (*ChaosMesh, error) {
	c := &ChaosMesh{}
	if err := ctx.RegisterComponentResource("chaos-mesh-otel:chaos:ChaosMesh", name, c, opts...); err != nil {
		return nil, err
	}
	// The release owns the chart's CRDs (ChaosMeshChart.OwnsCRDs): one resource to diff instead of 23.
	release, err := newRelease(ctx, name, ChaosMeshRelease, args.Charts, ChaosMeshChart, args.Namespace, ChaosMeshValues(args),
		childOf(c, opts))
	if err != nil {
		return nil, err
	}
	c.own(release)
	token, err := newChaosOperator(ctx, name, args.TargetNamespace, c, opts)
	if err != nil {
		return nil, err
	}
	c.Namespace = release.Namespace.Elem()
	c.ReleaseStatus = release.Status.Status()
	c.DashboardToken = token
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"namespace":      c.Namespace,
		"releaseStatus":  c.ReleaseStatus,
		"dashboardToken": c.DashboardToken,
	})
}

// newChaosOperator declares the dashboard operator: a ServiceAccount in the target namespace whose Role covers
// chaos objects and the pods they target there, and nothing else. Its long-lived token, which it returns, is
// what users paste into the dashboard.
func newChaosOperator(ctx *pulumi.Context, component string, namespace pulumi.StringInput, parent *ChaosMesh, opts []pulumi.ResourceOption) (pulumi.StringOutput, error) {
	named := func(part, former string) (string, pulumi.ResourceOption, pulumi.ResourceOption) {
		n := childName(component, part)
		return n, childOf(parent, opts), formerName(component, ChaosMeshName, n, former)
	}
	accountName, inParent, alias := named("operator", chaosOperatorAccount)
	account, err := corev1.NewServiceAccount(ctx, accountName, &corev1.ServiceAccountArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(chaosOperatorAccount), Namespace: namespace},
	}, inParent, alias)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	role, err := rbacv1.NewRole(ctx, accountName, &rbacv1.RoleArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(chaosOperatorAccount), Namespace: namespace},
		Rules: rbacv1.PolicyRuleArray{
			rbacv1.PolicyRuleArgs{
				ApiGroups: pulumi.StringArray{pulumi.String("")},
				Resources: pulumi.StringArray{pulumi.String("pods"), pulumi.String("namespaces")},
				Verbs:     pulumi.ToStringArray([]string{"get", "list", "watch"}),
			},
			rbacv1.PolicyRuleArgs{
				ApiGroups: pulumi.StringArray{pulumi.String("chaos-mesh.org")},
				Resources: pulumi.StringArray{pulumi.String("*")},
				Verbs:     pulumi.ToStringArray([]string{"get", "list", "watch", "create", "delete", "patch", "update"}),
			},
		},
	}, inParent, alias)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	binding, err := rbacv1.NewRoleBinding(ctx, accountName, &rbacv1.RoleBindingArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(chaosOperatorAccount), Namespace: namespace},
		RoleRef: rbacv1.RoleRefArgs{
			ApiGroup: pulumi.String("rbac.authorization.k8s.io"),
			Kind:     pulumi.String("Role"),
			Name:     role.Metadata.Name().Elem(),
		},
		Subjects: rbacv1.SubjectArray{rbacv1.SubjectArgs{
			Kind:      pulumi.String("ServiceAccount"),
			Name:      account.Metadata.Name().Elem(),
			Namespace: namespace,
		}},
	}, inParent, alias)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	secretName, inParent, alias := named("operator-token", chaosOperatorAccount+"-token")
	tokenSecret, err := corev1.NewSecret(ctx, secretName, &corev1.SecretArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:        pulumi.String(chaosOperatorAccount + "-token"),
			Namespace:   namespace,
			Annotations: pulumi.StringMap{"kubernetes.io/service-account.name": account.Metadata.Name().Elem()},
		},
		Type: pulumi.String("kubernetes.io/service-account-token"),
	}, inParent, alias, pulumi.AdditionalSecretOutputs([]string{"data"}))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	parent.own(account, role, binding, tokenSecret)
	// The token controller fills the Secret's data after it is created; the provider waits for it.
	return pulumi.ToSecret(tokenSecret.Data.ApplyT(func(data map[string]string) string {
		raw, err := base64.StdEncoding.DecodeString(data["token"])
		if err != nil {
			return ""
		}
		return string(raw)
	})).(pulumi.StringOutput), nil
}
