package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/cli"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/exitcode"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

func newRenderCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "render Pulumi.<stack>.yaml",
		Short: "print the Chaos Mesh objects and Istio VirtualServices that pulumi up would apply, as YAML",
		Long: `Prints the objects that pulumi up would apply for the stack file's scenarios, as multi-document YAML,
ready for review or for a GitOps repository: the Chaos Mesh Schedules and Workflows (with each Schedule's
kick-off Workflow) and, sorted together with them by name, the Istio VirtualServices of mesh faults (fault:
mesh-fault, with chaos-mesh-otel:istio: true). The app's namespace and service names follow
chaos-mesh-otel:app. Flag scenarios change flagd's config, not Kubernetes objects, and are not printed.

The config is checked first, exactly as validate and pulumi preview check it; when it is invalid, nothing is
printed on stdout and the problems go to stderr.`,
		Example: "  chaoslab render Pulumi.dev.yaml > chaos.yaml",
		Args:    cli.Args(1, 1, stackFileArg),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := loadStack(args[0], cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if err := writeYAML(cmd.OutOrStdout(), st.cfg.Scenarios.Objects); err != nil {
				return cli.Fail(exitcode.Usage, err)
			}
			return nil
		},
	}
}

// writeYAML writes the manifests as multi-document YAML, one document per object.
func writeYAML(w io.Writer, objs []scenarios.Object) error {
	for _, o := range objs {
		b, err := yaml.Marshal(o.Manifest)
		if err != nil {
			return fmt.Errorf("%s %s: %w", o.Kind, o.Name, err)
		}
		if _, err := fmt.Fprintf(w, "---\n%s", b); err != nil {
			return err
		}
	}
	return nil
}
