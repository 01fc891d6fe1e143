package components

import (
	"archive/tar"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/registry"
	"sigs.k8s.io/yaml"
)

// Helm installs a chart's crds/ on first install and never upgrades or deletes them, so a destroyed lab would
// leave Chaos Mesh's 23 CRDs behind. Declaring them as 23 Pulumi resources fixes destroy, but every preview
// then diffs about 3 MB of schemas, which costs several seconds. Instead the chart is installed from a copy
// (CRDOwningArchive) in which the CRDs are ordinary release objects: the release creates them first (helm
// installs CRDs before every other kind), upgrades them with the chart, and deletes them on uninstall, after
// every chaos object, since those depend on the ChaosMesh component and Pulumi deletes them first.
//
// They sit in a subchart because helm keeps the release, its top chart included, in one Secret of at most
// 1 MiB, and does not keep subcharts there. With the CRDs as templates of the top chart, the record would
// hold them twice (as templates and in the rendered manifest), 1.1 MB; in a subchart it holds them once.

// crdSubchart is the subchart that CRDOwningArchive adds, and crdManifests its folder of the chart's CRD
// files, taken verbatim from crds/. The folder is not named crds/, so that helm's install-only CRD step
// never sees them even without skipCrds.
const (
	crdSubchart  = "charts/chaos-mesh-otel-crds/"
	crdManifests = "crd-manifests/"
)

// crdTemplate inserts each CRD file as text (Files.Get is not parsed as a template), in file-name order.
const crdTemplate = `{{- /* Added by chaos-mesh-otel: the parent chart's crds/ as release objects, so that helm upgrades them with the chart and deletes them on uninstall. */ -}}
{{- range $path, $_ := .Files.Glob "` + crdManifests + `*.yaml" }}
---
{{ $.Files.Get $path }}
{{- end }}
`

// CRDOwningArchive returns a copy of the chart archive (packed as `helm package` packs it) that holds the
// chart's crds/ in a subchart which renders them as templates. Install it with skipCrds. The copy is written
// once under cacheDir.
func CRDOwningArchive(archive, cacheDir string) (string, error) {
	editKey := strings.Join([]string{"crds-owned/1", crdSubchart, crdManifests, crdTemplate}, "\x00")
	return rewriteArchive(archive, cacheDir, "crds-owned", editKey, func(top string, entries []tarEntry) ([]tarEntry, error) {
		var out []tarEntry
		var chartYAML *tar.Header
		var version string
		moved := 0
		for _, e := range entries {
			switch {
			case e.relative == "Chart.yaml":
				chartYAML = e.header
				var meta struct {
					Version string `json:"version"`
				}
				if err := yaml.Unmarshal(e.data, &meta); err != nil {
					return nil, fmt.Errorf("Chart.yaml: %w", err)
				}
				version = meta.Version
			case strings.HasPrefix(e.relative, "crds/"):
				if e.header.Typeflag != tar.TypeReg || !strings.HasSuffix(e.relative, ".yaml") {
					if e.header.Typeflag == tar.TypeReg {
						return nil, fmt.Errorf("%s: only .yaml files are expected in crds/", e.relative)
					}
					continue
				}
				hdr := *e.header
				hdr.Name = top + "/" + crdSubchart + crdManifests + strings.TrimPrefix(e.relative, "crds/")
				out = append(out, tarEntry{header: &hdr, relative: strings.TrimPrefix(hdr.Name, top+"/"), data: e.data})
				moved++
				continue
			}
			out = append(out, e)
		}
		if chartYAML == nil || moved == 0 {
			return nil, fmt.Errorf("want a chart with Chart.yaml and crds/*.yaml")
		}
		meta := fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\ndescription: The CRDs of the parent chart, owned by its release (added by chaos-mesh-otel).\n",
			strings.TrimSuffix(strings.TrimPrefix(crdSubchart, "charts/"), "/"), version)
		for _, f := range []struct{ rel, data string }{
			{crdSubchart + "Chart.yaml", meta},
			{crdSubchart + "templates/crds.yaml", crdTemplate},
		} {
			hdr := *chartYAML
			hdr.Name = top + "/" + f.rel
			hdr.Size = int64(len(f.data))
			out = append(out, tarEntry{header: &hdr, relative: f.rel, data: []byte(f.data)})
		}
		return out, nil
	})
}

// ChartArchive returns a local archive of the pinned chart: from LocalDir (repacked as `helm package` would
// have packed it), or downloaded once from the chart's repository into CacheDir.
func (s ChartSource) ChartArchive(c Chart) (string, error) {
	if s.LocalDir != "" {
		return PackedArchive(s.Archive(c), s.CacheDir)
	}
	dir := filepath.Join(s.CacheDir, "pulled")
	archive := filepath.Join(dir, fmt.Sprintf("%s-%s.tgz", c.Name, c.Version))
	if _, err := os.Stat(archive); err == nil {
		return archive, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	cfg := &action.Configuration{}
	ref := c.Name
	if c.OCI() {
		// Helm pulls from an OCI registry through a registry client, by the chart's full reference and with
		// no repository URL; without a client the pull fails.
		client, err := registry.NewClient(append([]registry.ClientOption{registry.ClientOptEnableCache(true)}, registryClientOptions...)...)
		if err != nil {
			return "", err
		}
		cfg.RegistryClient = client
		ref = c.Ref()
	}
	pull := action.NewPullWithOpts(action.WithConfig(cfg))
	pull.Settings = cli.New()
	if !c.OCI() {
		pull.RepoURL = c.Repo
	}
	pull.Version = c.Version
	pull.DestDir = dir
	if _, err := pull.Run(ref); err != nil {
		return "", fmt.Errorf("pulling %s %s from %s: %w", c.Name, c.Version, c.Repo, err)
	}
	if _, err := os.Stat(archive); err != nil {
		return "", fmt.Errorf("pulling %s %s from %s: %w", c.Name, c.Version, c.Repo, err)
	}
	return archive, nil
}

// registryClientOptions are extra options of the OCI registry client; tests add plain HTTP for a local
// registry.
var registryClientOptions []registry.ClientOption
