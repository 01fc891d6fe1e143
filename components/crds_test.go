package components

import (
	"errors"
	"io"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/release"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// renderInstall renders Chaos Mesh's chart, with the lab's values, as the provider installs its Release.
func renderInstall(t *testing.T, archive string) *release.Release {
	t.Helper()
	return installDryRun(t, archive, ChaosMeshRelease, ChaosNamespace,
		ChaosMeshValues(&ChaosMeshArgs{Runtime: "containerd", SocketPath: "/run/containerd/containerd.sock"}))
}

// chartCRDs returns the chart's crds/ manifests as one multi-document YAML stream, and how many CRDs it holds.
func chartCRDs(archive string) (string, int, error) {
	chart, err := loader.Load(archive)
	if err != nil {
		return "", 0, err
	}
	crds := chart.CRDObjects()
	sort.Slice(crds, func(i, j int) bool { return crds[i].Filename < crds[j].Filename })
	var docs []string
	count := 0
	for _, crd := range crds {
		text := strings.TrimSpace(string(crd.File.Data))
		count += strings.Count("\n"+text, "\nkind: CustomResourceDefinition")
		docs = append(docs, text)
	}
	return strings.Join(docs, "\n---\n") + "\n", count, nil
}

// crdObjects parses the CustomResourceDefinitions of a YAML stream, by name.
func crdObjects(t *testing.T, stream string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(stream), 4096)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatal(err)
		}
		if obj["kind"] == "CustomResourceDefinition" {
			name, _ := obj["metadata"].(map[string]any)["name"].(string)
			out[name] = obj
		}
	}
}

func TestCRDOwningArchiveRendersTheChartsCRDsAsReleaseObjects(t *testing.T) {
	src := ChartSource{LocalDir: sharedCharts(t), CacheDir: t.TempDir()}
	archive, err := src.ChartArchive(ChaosMeshChart)
	if err != nil {
		t.Fatal(err)
	}
	owning, err := CRDOwningArchive(archive, src.CacheDir)
	if err != nil {
		t.Fatal(err)
	}
	if owning == archive || !strings.HasPrefix(owning, src.CacheDir) {
		t.Fatalf("want a copy in the cache, got %s", owning)
	}
	if again, err := CRDOwningArchive(archive, src.CacheDir); err != nil || again != owning {
		t.Errorf("the copy's path must be stable so that a repeat up changes nothing: %s then %s (%v)", owning, again, err)
	}

	crdYAML, count, err := chartCRDs(archive)
	if err != nil {
		t.Fatal(err)
	}
	want := crdObjects(t, crdYAML)
	if count != 23 || len(want) != 23 {
		t.Fatalf("chaos-mesh 2.8.3 ships 23 CRDs, found %d (%d names)", count, len(want))
	}

	// Installed with skipCrds, the upstream archive renders no CRD; the copy renders each one, verbatim.
	if got := crdObjects(t, renderInstall(t, archive).Manifest); len(got) != 0 {
		t.Errorf("the upstream chart's templates render %d CRDs; the copy would install them twice", len(got))
	}
	if loaded, err := loader.Load(owning); err != nil || len(loaded.CRDObjects()) != 0 {
		t.Errorf("the copy must leave nothing to helm's install-only crds/ step (%v)", err)
	}
	rel := renderInstall(t, owning)
	got := crdObjects(t, rel.Manifest)
	for name, text := range want {
		if got[name] == nil {
			t.Errorf("CRD %s is not rendered by the release", name)
		} else if !reflect.DeepEqual(got[name], text) {
			t.Errorf("CRD %s is not rendered as the chart ships it", name)
		}
	}
	if len(got) != len(want) {
		t.Errorf("rendered %d CRDs, want %d", len(got), len(want))
	}
	// The rest of the chart is unchanged.
	if !strings.Contains(rel.Manifest, "name: chaos-controller-manager") || !strings.Contains(rel.Manifest, "kind: DaemonSet") {
		t.Error("the copy must still render Chaos Mesh itself")
	}

	// Helm keeps the release (chart, values and the now larger manifest) in one Secret of at most 1 MiB.
	size := encodedReleaseSize(t, rel)
	t.Logf("release record: %d bytes", size)
	if size > (1<<20)*3/4 {
		t.Errorf("the release record is %d bytes; it must stay well under Helm's 1 MiB Secret", size)
	}
}

func TestOnlyChartsMarkedOwnsCRDsShipCRDs(t *testing.T) {
	src := ChartSource{LocalDir: sharedCharts(t), CacheDir: t.TempDir()}
	for _, c := range AllCharts {
		archive, err := src.ChartArchive(c)
		if err != nil {
			t.Fatal(err)
		}
		_, count, err := chartCRDs(archive)
		if err != nil {
			t.Fatal(err)
		}
		// Every release skips crds/; a chart with CRDs that is not marked would lose them.
		if (count > 0) != c.OwnsCRDs {
			t.Errorf("%s ships %d CRDs but OwnsCRDs is %v", c.Name, count, c.OwnsCRDs)
		}
	}
	if !slices.ContainsFunc(AllCharts, func(c Chart) bool { return c.OwnsCRDs }) {
		t.Error("Chaos Mesh's chart has CRDs")
	}
}
