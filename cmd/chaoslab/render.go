package main

import (
	"fmt"
	"io"

	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

func init() {
	register("render", "print the Chaos Mesh objects and Istio VirtualServices of a Pulumi.<stack>.yaml as YAML", runRender)
}

func renderHelp(w io.Writer) {
	fmt.Fprint(w, `usage: chaoslab render Pulumi.<stack>.yaml

Prints the objects that pulumi up would apply for the stack file's scenarios, as multi-document YAML,
ready for review or for a GitOps repository: the Chaos Mesh Schedules and Workflows, and beside them
(sorted together by name) the Istio VirtualServices of mesh faults (fault: mesh-fault, with
chaos-mesh-otel:istio: true). The app's namespace and service names follow chaos-mesh-otel:app. Flag
scenarios change flagd's config, not Kubernetes objects, and are not printed. The config is checked first, exactly as validate and pulumi
preview check it; when it is invalid, nothing is printed on stdout and the problems go to stderr.

Example:
  chaoslab render Pulumi.dev.yaml > chaos.yaml

`+exitCodes)
}

// runRender is `chaoslab render FILE`: the objects the program would apply, as multi-document YAML.
func runRender(args []string, stdout, stderr io.Writer) int {
	path, code, ok := oneFile("render", args, renderHelp, stdout, stderr)
	if !ok {
		return code
	}
	st, code, ok := loadStack("render", path, stderr)
	if !ok {
		return code
	}
	if err := writeYAML(stdout, st.cfg.Scenarios.Objects); err != nil {
		fmt.Fprintln(stderr, "chaoslab render:", err)
		return exitUsage
	}
	return exitOK
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
