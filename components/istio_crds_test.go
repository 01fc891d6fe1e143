package components

import (
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"
)

// Istio's CRDs are release objects of the base chart; without helm's keep policy, destroy removes them.
func TestCRDReleasingArchiveDropsOnlyTheKeepPolicy(t *testing.T) {
	src := ChartSource{LocalDir: sharedCharts(t), CacheDir: t.TempDir()}
	archive, err := src.ChartArchive(IstioBaseChart)
	if err != nil {
		t.Fatal(err)
	}
	released, err := CRDReleasingArchive(archive, src.CacheDir)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := CRDReleasingArchive(archive, src.CacheDir); err != nil || again != released {
		t.Errorf("the copy's path must be stable: %s then %s (%v)", released, again, err)
	}
	crdsOf := func(path string) map[string]map[string]any {
		var crds map[string]map[string]any
		for _, values := range []map[string]any{IstioBaseValues(), {}} {
			crds = map[string]map[string]any{}
			for _, obj := range renderChart(t, path, IstioBaseRelease, IstioNamespace, values) {
				if obj["kind"] == "CustomResourceDefinition" {
					crds[nameOf(obj)] = obj
				}
			}
		}
		return crds
	}
	before, after := crdsOf(archive), crdsOf(released)
	if len(before) != 15 || len(after) != 15 {
		t.Fatalf("Istio 1.30.3's base renders 15 CRDs; got %d from upstream, %d from the copy", len(before), len(after))
	}
	for name, crd := range after {
		meta := crd["metadata"].(map[string]any)
		if annotations, _ := meta["annotations"].(map[string]any); annotations[helmResourcePolicy] != nil {
			t.Errorf("%s still carries %s", name, helmResourcePolicy)
		}
		if !reflect.DeepEqual(crd["spec"], before[name]["spec"]) {
			t.Errorf("%s: the copy's spec differs from upstream's", name)
		}
		if annotations, _ := before[name]["metadata"].(map[string]any)["annotations"].(map[string]any); annotations[helmResourcePolicy] != "keep" {
			t.Errorf("%s: upstream no longer keeps it; the edit may be obsolete", name)
		}
	}
	// The file itself is still the CRDs, one per document, so templates that split it still work.
	chrt, err := loader.Load(released)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range chrt.Files {
		if f.Name == istioCRDFile {
			docs := strings.Split(string(f.Data), "\n---\n")
			for i, doc := range docs {
				var obj map[string]any
				if err := yaml.Unmarshal([]byte(doc), &obj); err != nil || (obj != nil && obj["kind"] != "CustomResourceDefinition") {
					t.Errorf("document %d of %s: %v %v", i, istioCRDFile, obj["kind"], err)
				}
			}
		}
	}
}
