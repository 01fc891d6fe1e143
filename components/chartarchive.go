package components

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/ignore"
)

// Helm keeps a release's whole chart, files included, in one Secret, and a Secret holds at most 1 MiB. An
// archive packed without honouring the chart's own .helmignore can be too big for that: the
// opentelemetry-demo archive of ../shared/charts carries the chart's examples/ (4 MB), which `helm package`
// leaves out, and installing it fails with `Secret "sh.helm.release.v1.otel-demo.v1" is invalid: data: Too
// long`. PackedArchive gives such an archive the shape `helm package` would have given it.

// PackedArchive returns the path of a chart archive that holds only what the chart's .helmignore lets
// `helm package` keep. When the archive already is that, it is returned as is; otherwise a filtered copy is
// written once under cacheDir, named by the source archive's digest so that the path, and with it the
// release's inputs, stays the same from one `pulumi up` to the next.
func PackedArchive(archive, cacheDir string) (string, error) {
	return rewriteArchive(archive, cacheDir, "packed", "", nil)
}

// archiveEdit changes the entries of a chart archive (after .helmignore) before they are written again.
// top is the chart's top directory inside the archive, for the names of new entries.
type archiveEdit func(top string, entries []tarEntry) ([]tarEntry, error)

// rewriteArchive writes, once, a copy of a chart archive that keeps what the chart's .helmignore keeps, then
// applies edit. The copy's name holds tag and a digest of the source archive and of editKey (which must
// change whenever edit's result would), so that its path, and with it the release's inputs, stays the same
// from one `pulumi up` to the next; a later run finds it by that name without unpacking anything. When
// nothing is left out and there is no edit, the archive itself is the answer, remembered by a marker file.
func rewriteArchive(archive, cacheDir, tag, editKey string, edit archiveEdit) (string, error) {
	raw, err := os.ReadFile(archive)
	if err != nil {
		return "", err
	}
	digest := sha256.Sum256(raw)
	if edit != nil {
		digest = sha256.Sum256(append(digest[:], []byte("\x00"+editKey)...))
	}
	name := strings.TrimSuffix(filepath.Base(archive), ".tgz")
	out := filepath.Join(cacheDir, fmt.Sprintf("%s-%s-%s.tgz", name, tag, hex.EncodeToString(digest[:6])))
	unchanged := out + ".unchanged"
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if _, err := os.Stat(unchanged); err == nil {
		return archive, nil
	}
	entries, rules, err := readChartArchive(raw)
	if err != nil {
		return "", fmt.Errorf("%s: %w", archive, err)
	}
	var kept []tarEntry
	for _, e := range entries {
		if !ignored(rules, e.relative, e.header.FileInfo()) {
			kept = append(kept, e)
		}
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	if len(kept) == len(entries) && edit == nil {
		return archive, os.WriteFile(unchanged, nil, 0o644)
	}
	if edit != nil {
		if len(kept) == 0 {
			return "", fmt.Errorf("%s: empty archive", archive)
		}
		top, _, _ := strings.Cut(strings.TrimPrefix(kept[0].header.Name, "./"), "/")
		if kept, err = edit(top, kept); err != nil {
			return "", fmt.Errorf("%s: %w", archive, err)
		}
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range kept {
		if err := tw.WriteHeader(e.header); err != nil {
			return "", err
		}
		if _, err := tw.Write(e.data); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	if err := gz.Close(); err != nil {
		return "", err
	}
	// Write then rename, so that a concurrent run never reads half an archive.
	tmp := fmt.Sprintf("%s.%d.tmp", out, time.Now().UnixNano())
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return "", err
	}
	return out, os.Rename(tmp, out)
}

type tarEntry struct {
	header   *tar.Header
	relative string // the path inside the chart, without the chart's top directory
	data     []byte
}

// readChartArchive reads every entry of a chart archive and the chart's top-level .helmignore rules.
func readChartArchive(raw []byte) ([]tarEntry, *ignore.Rules, error) {
	gz, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, err
	}
	tr := tar.NewReader(gz)
	var entries []tarEntry
	rules := ignore.Empty()
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, nil, err
		}
		_, relative, _ := strings.Cut(strings.TrimPrefix(hdr.Name, "./"), "/")
		if relative == ".helmignore" {
			if rules, err = ignore.Parse(bytes.NewReader(data)); err != nil {
				return nil, nil, fmt.Errorf(".helmignore: %w", err)
			}
		}
		entries = append(entries, tarEntry{header: hdr, relative: relative, data: data})
	}
	return entries, rules, nil
}

// ignored applies the rules as `helm package` does while walking the chart: a file is left out when it, or
// any directory above it, matches.
func ignored(rules *ignore.Rules, relative string, fi fs.FileInfo) bool {
	if relative == "" || relative == "Chart.yaml" {
		return false
	}
	for dir := path.Dir(relative); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if rules.Ignore(dir, dirInfo(path.Base(dir))) {
			return true
		}
	}
	return rules.Ignore(relative, fi)
}

type dirInfo string

func (d dirInfo) Name() string       { return string(d) }
func (d dirInfo) Size() int64        { return 0 }
func (d dirInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o755 }
func (d dirInfo) ModTime() time.Time { return time.Time{} }
func (d dirInfo) IsDir() bool        { return true }
func (d dirInfo) Sys() any           { return nil }
