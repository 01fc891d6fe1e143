package ociimage

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// readArchive returns the archive's files by name.
func readArchive(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = data
	}
}

func blob(t *testing.T, files map[string][]byte, digest string) []byte {
	t.Helper()
	b, ok := files["blobs/sha256/"+strings.TrimPrefix(digest, "sha256:")]
	if !ok {
		t.Fatalf("no blob %s", digest)
	}
	if Digest(b) != digest {
		t.Fatalf("blob %s has digest %s", digest, Digest(b))
	}
	return b
}

func TestWriteLayoutThatContainerdImports(t *testing.T) {
	img := Image{
		Names:      []string{"registry.k8s.io/pause:3.10", "gcr.io/google-containers/pause:latest"},
		Entrypoint: []string{"/pause"},
		Env:        []string{"PATH=/usr/bin"},
		Files: []File{
			{Path: "/pause", Mode: 0o755, Data: []byte("\x7fELF")},
			{Path: "usr/local/bin/tool", Mode: 0o755, Data: []byte("tool")},
			{Path: "/usr/sbin/iptables-save", Link: "iptables"},
			{Path: "/run", Dir: true, Mode: 0o755},
		},
	}
	var out bytes.Buffer
	digest, err := Write(&out, img)
	if err != nil {
		t.Fatal(err)
	}
	files := readArchive(t, out.Bytes())
	if string(files["oci-layout"]) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Errorf("oci-layout: %s", files["oci-layout"])
	}
	var index struct {
		Manifests []struct {
			MediaType   string
			Digest      string
			Annotations map[string]string
		}
	}
	if err := json.Unmarshal(files["index.json"], &index); err != nil {
		t.Fatal(err)
	}
	if len(index.Manifests) != 2 {
		t.Fatalf("index has %d manifests, want one per name", len(index.Manifests))
	}
	for i, m := range index.Manifests {
		if m.Digest != digest || m.MediaType != MediaTypeManifest || m.Annotations[NameAnnotation] != img.Names[i] {
			t.Errorf("manifest %d: %+v", i, m)
		}
	}
	if got := index.Manifests[1].Annotations[RefAnnotation]; got != "latest" {
		t.Errorf("ref name %q, want the tag", got)
	}
	var manifest struct {
		Config struct{ Digest string }
		Layers []struct{ MediaType, Digest string }
	}
	if err := json.Unmarshal(blob(t, files, digest), &manifest); err != nil {
		t.Fatal(err)
	}
	var config struct {
		Config struct{ Entrypoint, Env []string }
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(blob(t, files, manifest.Config.Digest), &config); err != nil {
		t.Fatal(err)
	}
	if len(manifest.Layers) != 1 || config.RootFS.DiffIDs[0] != manifest.Layers[0].Digest || config.Config.Entrypoint[0] != "/pause" {
		t.Errorf("manifest %+v, config %+v", manifest, config)
	}
	layer := tar.NewReader(bytes.NewReader(blob(t, files, manifest.Layers[0].Digest)))
	var entries []string
	for {
		h, err := layer.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		e := h.Name
		if h.Typeflag == tar.TypeSymlink {
			e += " -> " + h.Linkname
		}
		entries = append(entries, e)
	}
	want := []string{"pause", "run/", "usr/", "usr/local/", "usr/local/bin/", "usr/local/bin/tool", "usr/sbin/", "usr/sbin/iptables-save -> iptables"}
	if strings.Join(entries, ",") != strings.Join(want, ",") {
		t.Errorf("layer entries:\n got %v\nwant %v", entries, want)
	}

	var again bytes.Buffer
	if d2, err := Write(&again, img); err != nil || d2 != digest || !bytes.Equal(again.Bytes(), out.Bytes()) {
		t.Errorf("a second write differs (digest %s vs %s, %v): the archive must be reproducible", d2, digest, err)
	}
}

func TestRefusesConflictingPaths(t *testing.T) {
	for name, files := range map[string][]File{
		"twice":              {{Path: "/a", Data: []byte("1")}, {Path: "a", Data: []byte("2")}},
		"file as a dir":      {{Path: "/a", Data: []byte("1")}, {Path: "/a/b", Data: []byte("2")}},
		"root":               {{Path: "/", Dir: true}},
		"untagged reference": nil,
	} {
		img := Image{Names: []string{"x:1"}, Files: files}
		if name == "untagged reference" {
			img.Names = []string{"example.com/x"}
		}
		if _, err := Write(io.Discard, img); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
