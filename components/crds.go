package components

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/cli"
)

// Helm installs a chart's crds/ on first install and never upgrades or deletes them, so a destroyed lab would
// leave Chaos Mesh's 23 CRDs behind. The lab therefore installs the chart with skipCrds and declares the CRDs
// itself, read from the same pinned archive: Pulumi then deletes them on destroy, after the release and after
// every chaos object.

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
	pull := action.NewPullWithOpts(action.WithConfig(&action.Configuration{}))
	pull.Settings = cli.New()
	pull.RepoURL = c.Repo
	pull.Version = c.Version
	pull.DestDir = dir
	if _, err := pull.Run(c.Name); err != nil {
		return "", fmt.Errorf("pulling %s %s from %s: %w", c.Name, c.Version, c.Repo, err)
	}
	return archive, nil
}

// ChartCRDs returns the chart's crds/ manifests as one multi-document YAML stream, in file order.
func ChartCRDs(archive string) (string, int, error) {
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
		if text == "" {
			continue
		}
		count += strings.Count("\n"+text, "\nkind: CustomResourceDefinition")
		docs = append(docs, text)
	}
	return strings.Join(docs, "\n---\n") + "\n", count, nil
}
