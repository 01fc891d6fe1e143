package components

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/release"
)

// sharedCharts finds the offline chart archives: $CHARTS_DIR, or ../shared/charts beside the repository.
func sharedCharts(t *testing.T) string {
	t.Helper()
	wd, _ := os.Getwd()
	dir := OfflineChartsDir(wd)
	if _, err := os.Stat(filepath.Join(dir, "chaos-mesh-2.8.3.tgz")); err != nil {
		t.Fatalf("chart archives not found in %s (set CHARTS_DIR): %v", dir, err)
	}
	return dir
}

// releaseRecordSize is the size of the Secret data in which Helm would store a release of the chart.
func releaseRecordSize(t *testing.T, archive string) int {
	t.Helper()
	c, err := loader.Load(archive)
	if err != nil {
		t.Fatal(err)
	}
	return encodedReleaseSize(t, &release.Release{Name: "otel-demo", Chart: c})
}

// encodedReleaseSize is the size of a release as Helm's Secret driver stores it: JSON, gzipped, then
// base64-encoded.
func encodedReleaseSize(t *testing.T, rel *release.Release) int {
	t.Helper()
	raw, err := json.Marshal(rel)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(raw)
	w.Close()
	return len(base64.StdEncoding.EncodeToString(buf.Bytes()))
}

func TestPackedArchiveFitsAHelmRelease(t *testing.T) {
	charts := sharedCharts(t)
	source := (ChartSource{LocalDir: charts}).Archive(OtelDemoChart)
	cache := t.TempDir()
	packed, err := PackedArchive(source, cache)
	if err != nil {
		t.Fatal(err)
	}
	if packed == source || !strings.HasPrefix(packed, cache) {
		t.Fatalf("the demo archive carries files its .helmignore excludes; want a repacked copy in the cache, got %s", packed)
	}
	const secretLimit = 1 << 20
	if size := releaseRecordSize(t, source); size < secretLimit*9/10 {
		t.Logf("note: the source archive's release record is %d bytes", size)
	}
	if size := releaseRecordSize(t, packed); size > secretLimit/2 {
		t.Errorf("the repacked demo's release record is %d bytes; it must stay well under Helm's 1 MiB Secret", size)
	}
	c, err := loader.Load(packed)
	if err != nil {
		t.Fatalf("the repacked archive is not a chart: %v", err)
	}
	if c.Metadata.Name != OtelDemoChart.Name || c.Metadata.Version != OtelDemoChart.Version {
		t.Errorf("metadata %s %s", c.Metadata.Name, c.Metadata.Version)
	}
	for _, f := range c.Files {
		if strings.HasPrefix(f.Name, "examples/") {
			t.Fatalf("examples/ is excluded by the chart's .helmignore, but %s is still there", f.Name)
		}
	}
	if len(c.Templates) == 0 || len(c.Dependencies()) != 5 {
		t.Errorf("templates %d, subcharts %d: the chart must keep its templates and its 5 subcharts", len(c.Templates), len(c.Dependencies()))
	}
	flagd := false
	for _, f := range c.Files {
		flagd = flagd || f.Name == "flagd/demo.flagd.json"
	}
	if !flagd {
		t.Error("flagd/demo.flagd.json must be kept: the flagd-config ConfigMap is made from it")
	}
	again, err := PackedArchive(source, cache)
	if err != nil || again != packed {
		t.Errorf("the repacked path must be stable: %s then %s (%v)", packed, again, err)
	}
}

func TestPackedArchivesKeepOnlyWhatHelmPackageKeeps(t *testing.T) {
	charts := sharedCharts(t)
	for _, c := range AllCharts {
		source := (ChartSource{LocalDir: charts}).Archive(c)
		packed, err := PackedArchive(source, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(packed)
		if err != nil {
			t.Fatal(err)
		}
		entries, rules, err := readChartArchive(raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if ignored(rules, e.relative, e.header.FileInfo()) {
				t.Errorf("%s: %s is excluded by the chart's .helmignore but still packed", c.Name, e.relative)
			}
		}
		loaded, err := loader.Load(packed)
		if err != nil || loaded.Metadata.Version != c.Version {
			t.Errorf("%s: the packed archive must load as the same chart: %v", c.Name, err)
		}
	}
	// chaos-mesh's archive holds nothing to leave out: it is used as it is, and no copy is made.
	source := (ChartSource{LocalDir: charts}).Archive(ChaosMeshChart)
	cache := t.TempDir()
	for range 2 { // the second answer comes from the cache's marker, without unpacking
		if packed, err := PackedArchive(source, cache); packed != source || err != nil {
			t.Errorf("chaos-mesh: want the archive itself, got %s (%v)", packed, err)
		}
	}
	if _, err := PackedArchive(filepath.Join(charts, "missing-1.0.0.tgz"), t.TempDir()); err == nil {
		t.Error("a missing archive must be an error")
	}
}
