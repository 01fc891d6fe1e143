package components

import (
	"errors"
	"io"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// renderChart renders a chart archive with values as the provider installs a Release with skipCrds, and
// returns its objects.
func renderChart(t *testing.T, archive, releaseName, namespace string, values map[string]any) []map[string]any {
	t.Helper()
	rel := installDryRun(t, archive, releaseName, namespace, values)
	var objs []map[string]any
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(rel.Manifest), 4096)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				return objs
			}
			t.Fatal(err)
		}
		if obj != nil {
			objs = append(objs, obj)
		}
	}
}

// installDryRun renders a chart as the provider installs a Release with skipCrds: templates only.
func installDryRun(t *testing.T, archive, releaseName, namespace string, values map[string]any) *release.Release {
	t.Helper()
	chrt, err := loader.Load(archive)
	if err != nil {
		t.Fatal(err)
	}
	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.DryRun, install.ClientOnly, install.SkipCRDs = true, true, true
	install.ReleaseName, install.Namespace = releaseName, namespace
	install.KubeVersion = &chartutil.KubeVersion{Version: "v1.33.0", Major: "1", Minor: "33"}
	rel, err := install.Run(chrt, values)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

// podContainers returns the containers of a workload's pod template, by name.
func podContainers(obj map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	spec, _ := obj["spec"].(map[string]any)
	tmpl, _ := spec["template"].(map[string]any)
	podSpec, _ := tmpl["spec"].(map[string]any)
	list, _ := podSpec["containers"].([]any)
	for _, c := range list {
		m := c.(map[string]any)
		out[m["name"].(string)] = m
	}
	return out
}

// envOf returns a container's plain environment variables.
func envOf(container map[string]any) map[string]string {
	out := map[string]string{}
	list, _ := container["env"].([]any)
	for _, e := range list {
		m := e.(map[string]any)
		if v, ok := m["value"].(string); ok {
			out[m["name"].(string)] = v
		}
	}
	return out
}

func nameOf(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	return name
}
