package components

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Istio's base chart renders its 15 CRDs from files/crd-all.gen.yaml as ordinary release objects, but every
// one carries the annotation `helm.sh/resource-policy: keep`, so `helm uninstall`, and with it `pulumi
// destroy`, would leave them behind. Helm reads the policy from the manifest stored in the release record, so
// changing the live objects would not help: the chart itself must not carry it. CRDReleasingArchive writes a
// copy of the chart without that annotation; everything else of the CRDs is unchanged.

const (
	// istioCRDFile is the base chart's file of CRDs, which templates/crds.yaml renders.
	istioCRDFile = "files/crd-all.gen.yaml"
	// helmResourcePolicy is the annotation that makes helm keep an object on uninstall.
	helmResourcePolicy = "helm.sh/resource-policy"
)

// CRDReleasingArchive returns a copy of Istio's base chart archive (packed as `helm package` packs it) whose
// CRDs no longer ask helm to keep them on uninstall. The copy is written once under cacheDir.
func CRDReleasingArchive(archive, cacheDir string) (string, error) {
	editKey := strings.Join([]string{"crds-released/1", istioCRDFile, helmResourcePolicy}, "\x00")
	return rewriteArchive(archive, cacheDir, "crds-released", editKey, func(_ string, entries []tarEntry) ([]tarEntry, error) {
		for i, e := range entries {
			if e.relative != istioCRDFile {
				continue
			}
			data, released, err := withoutKeepPolicy(e.data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", istioCRDFile, err)
			}
			if released == 0 {
				return nil, fmt.Errorf("%s: no CRD carries %s; the edit is no longer needed or the chart changed", istioCRDFile, helmResourcePolicy)
			}
			hdr := *e.header
			hdr.Size = int64(len(data))
			entries[i] = tarEntry{header: &hdr, relative: e.relative, data: data}
			return entries, nil
		}
		return nil, fmt.Errorf("want Istio's base chart with %s", istioCRDFile)
	})
}

// withoutKeepPolicy removes helm's resource policy from every document of a multi-document YAML file that
// the chart splits on "\n---\n", as its template does. It edits the YAML tree, not the text, so that nothing
// but that annotation changes (an annotations map left empty goes too). It returns how many it removed.
func withoutKeepPolicy(data []byte) ([]byte, int, error) {
	docs := strings.Split(string(data), "\n---\n")
	removed := 0
	for i, doc := range docs {
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(doc), &root); err != nil {
			return nil, 0, fmt.Errorf("document %d: %w", i+1, err)
		}
		if len(root.Content) == 0 {
			continue
		}
		meta := mappingValue(root.Content[0], "metadata")
		annotations := mappingValue(meta, "annotations")
		if !deleteKey(annotations, helmResourcePolicy) {
			continue
		}
		removed++
		if len(annotations.Content) == 0 {
			deleteKey(meta, "annotations")
		}
		var out bytes.Buffer
		enc := yaml.NewEncoder(&out)
		enc.SetIndent(2)
		if err := enc.Encode(&root); err != nil {
			return nil, 0, fmt.Errorf("document %d: %w", i+1, err)
		}
		if err := enc.Close(); err != nil {
			return nil, 0, err
		}
		// A document between two separators has no final newline; the file's last one may.
		docs[i] = strings.TrimSuffix(out.String(), "\n")
		if strings.HasSuffix(doc, "\n") {
			docs[i] += "\n"
		}
	}
	return []byte(strings.Join(docs, "\n---\n")), removed, nil
}

// mappingValue is the value of a key of a YAML mapping node; nil when there is none.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// deleteKey removes a key and its value from a YAML mapping node, and says whether it was there.
func deleteKey(m *yaml.Node, key string) bool {
	if m == nil || m.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return true
		}
	}
	return false
}
