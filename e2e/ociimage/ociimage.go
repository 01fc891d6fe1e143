// Package ociimage writes container images without a registry or a Docker daemon: one uncompressed layer made
// from files, packed as an OCI image layout archive that `ctr images import` loads into containerd under each
// of the image's names. The e2e harness builds its pause, chaos-daemon and workload images with it.
package ociimage

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"
)

// Media types of the OCI image spec (v1.0).
const (
	MediaTypeManifest = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeConfig   = "application/vnd.oci.image.config.v1+json"
	MediaTypeLayer    = "application/vnd.oci.image.layer.v1.tar"
	MediaTypeIndex    = "application/vnd.oci.image.index.v1+json"
	// NameAnnotation is the index annotation from which containerd's importer takes an image's name.
	NameAnnotation = "io.containerd.image.name"
	// RefAnnotation is the OCI spec's own name annotation (the tag), written beside it.
	RefAnnotation = "org.opencontainers.image.ref.name"
)

// File is one entry of the layer: a regular file (Data), a symlink (Link) or a directory (Dir).
type File struct {
	Path string // in the image, absolute or relative to /
	Mode fs.FileMode
	Data []byte
	Link string
	Dir  bool
}

// Image is a one-layer image.
type Image struct {
	// Names are full references (registry.k8s.io/pause:3.10); the archive carries the image once per name.
	Names      []string
	Entrypoint []string
	Env        []string
	Files      []File
}

// epoch is every entry's modification time, so that the same files always give the same digests.
var epoch = time.Unix(0, 0).UTC()

// Write writes the image as an OCI image layout tar archive and returns its manifest's digest.
func Write(w io.Writer, img Image) (string, error) {
	if len(img.Names) == 0 {
		return "", fmt.Errorf("an image needs at least one name")
	}
	layer, err := Layer(img.Files)
	if err != nil {
		return "", err
	}
	layerDigest := Digest(layer)
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      epoch.Format(time.RFC3339),
		"config":       map[string]any{"Entrypoint": img.Entrypoint, "Env": img.Env},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{layerDigest}},
	})
	if err != nil {
		return "", err
	}
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     MediaTypeManifest,
		"config":        descriptor(MediaTypeConfig, config, nil),
		"layers":        []any{descriptor(MediaTypeLayer, layer, nil)},
	})
	if err != nil {
		return "", err
	}
	var manifests []any
	for _, name := range img.Names {
		if !strings.Contains(name, ":") && !strings.Contains(name, "@") {
			return "", fmt.Errorf("image name %q has no tag", name)
		}
		manifests = append(manifests, descriptor(MediaTypeManifest, manifest, map[string]string{
			NameAnnotation: name,
			RefAnnotation:  name[strings.LastIndex(name, ":")+1:],
		}))
	}
	index, err := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": MediaTypeIndex, "manifests": manifests})
	if err != nil {
		return "", err
	}
	tw := tar.NewWriter(w)
	put := func(name string, b []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(b)), ModTime: epoch}); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	if err := put("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return "", err
	}
	if err := put("index.json", index); err != nil {
		return "", err
	}
	for _, blob := range [][]byte{layer, config, manifest} {
		if err := put("blobs/sha256/"+strings.TrimPrefix(Digest(blob), "sha256:"), blob); err != nil {
			return "", err
		}
	}
	return Digest(manifest), tw.Close()
}

// Layer builds the layer's tar stream: the files in path order, each missing parent directory added once
// (mode 0755), so that the layer unpacks on an empty root.
func Layer(files []File) ([]byte, error) {
	entries := map[string]File{}
	for _, f := range files {
		p := strings.TrimPrefix(path.Clean("/"+f.Path), "/")
		if p == "" {
			return nil, fmt.Errorf("file with an empty path")
		}
		if _, dup := entries[p]; dup {
			return nil, fmt.Errorf("%s is in the layer twice", p)
		}
		entries[p] = f
		for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
			if parent, ok := entries[dir]; ok && !parent.Dir {
				return nil, fmt.Errorf("%s is under %s, which is not a directory", p, dir)
			} else if !ok {
				entries[dir] = File{Dir: true, Mode: 0o755}
			}
		}
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range slices.Sorted(maps.Keys(entries)) {
		f := entries[p]
		h := &tar.Header{Name: p, Mode: int64(f.Mode.Perm()), ModTime: epoch}
		switch {
		case f.Dir:
			h.Typeflag, h.Name = tar.TypeDir, p+"/"
		case f.Link != "":
			h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, f.Link, 0o777
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.Data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(f.Data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Digest is the sha256 digest of b as OCI writes it.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func descriptor(mediaType string, blob []byte, annotations map[string]string) map[string]any {
	d := map[string]any{"mediaType": mediaType, "digest": Digest(blob), "size": len(blob)}
	if annotations != nil {
		d["annotations"] = annotations
	}
	return d
}
