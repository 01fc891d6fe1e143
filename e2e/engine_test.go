//go:build e2e

package e2e

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	k8smeta "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestEngine checks the engine half of the harness on its own: the built CLI runs an inline program, the
// built kubernetes provider is found on PATH (no plugin download), talks to the simulated cluster, an
// immediate preview is a no-op, and destroy removes what up made.
func TestEngine(t *testing.T) {
	bin, err := ToolsBin()
	if err != nil {
		t.Fatal(err)
	}
	c := StartCluster(t, bin)
	e := NewEngine(t, bin)
	ctx := context.Background()

	prog := func(ctx *pulumi.Context) error {
		p, err := kubernetes.NewProvider(ctx, "sim", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String(c.Kubeconfig)})
		if err != nil {
			return err
		}
		ns, err := corev1.NewNamespace(ctx, "smoke", &corev1.NamespaceArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("e2e-smoke")},
		}, pulumi.Provider(p))
		if err != nil {
			return err
		}
		_, err = corev1.NewConfigMap(ctx, "smoke", &corev1.ConfigMapArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("smoke"), Namespace: ns.Metadata.Name().Elem()},
			Data:     pulumi.StringMap{"k": pulumi.String("v")},
		}, pulumi.Provider(p))
		return err
	}
	s := e.ScratchStack(ctx, t, "smoke", prog)
	if _, _, err := Up(ctx, t, s); err != nil {
		t.Fatalf("up: %v", err)
	}
	if _, err := c.Client.CoreV1().ConfigMaps("e2e-smoke").Get(ctx, "smoke", k8smeta.GetOptions{}); err != nil {
		t.Fatalf("the ConfigMap that up declared is not in the cluster: %v", err)
	}
	if _, _, out, err := Preview(ctx, s, optpreview.ExpectNoChanges()); err != nil {
		t.Fatalf("preview after up is not a no-op: %v\n%s", err, tail(out, 4000))
	}
	if _, err := Destroy(ctx, t, s); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if ok, err := c.NamespaceExists(ctx, "e2e-smoke"); err != nil || ok {
		t.Fatalf("namespace still there after destroy (%v)", err)
	}
}
