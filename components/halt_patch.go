package components

import (
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

// HaltFieldManager is the server-side-apply field manager that owns halt's abort annotation on a Workflow.
const HaltFieldManager = "chaos-mesh-otel-halt"

// patchFieldManagerAnnotation names the field manager of a pulumi-kubernetes Patch resource.
const patchFieldManagerAnnotation = "pulumi.com/patchFieldManager"

// newHaltPatch keeps a halted Workflow aborted for good: a Patch that applies the abort annotation as its own
// field manager, left on the cluster when the Patch leaves the stack (RetainOnDelete).
//
// Why: Chaos Mesh (2.8.3) un-aborts a Workflow's entry node when the annotation is removed, and a serial
// entry then starts its next step, so resume would run the rest of a game day that halt stopped (e2e
// TestHaltedLab saw step B kill a pod 4 s after halt: false). The Workflow resource itself drops the
// annotation on resume; with this manager still owning it, server-side apply keeps it. A Workflow switched
// on after resume is a new object and runs.
func newHaltPatch(ctx *pulumi.Context, resName string, workflow *apiextensions.CustomResource, apiVersion, kind string,
	meta *metav1.ObjectMetaArgs, opts []pulumi.ResourceOption) (*apiextensions.CustomResourcePatch, error) {
	opts = append(append([]pulumi.ResourceOption{}, opts...), pulumi.DependsOn([]pulumi.Resource{workflow}), pulumi.RetainOnDelete(true))
	return apiextensions.NewCustomResourcePatch(ctx, resName+"-halt", &apiextensions.CustomResourcePatchArgs{
		ApiVersion: pulumi.String(apiVersion),
		Kind:       pulumi.String(kind),
		Metadata: &metav1.ObjectMetaArgs{
			Name:      meta.Name,
			Namespace: meta.Namespace,
			Annotations: pulumi.StringMap{
				scenarios.AbortAnnotation:   pulumi.String("true"),
				patchFieldManagerAnnotation: pulumi.String(HaltFieldManager),
			},
		},
	}, opts...)
}
