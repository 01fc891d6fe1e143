package components

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v3/pkg/registry"
)

// fakeRegistry serves one chart archive the way an OCI registry serves a helm chart: a manifest under the
// chart's version as tag, pointing at a config blob (the chart's metadata) and the archive as a layer.
type fakeRegistry struct {
	repo     string // the repository path, e.g. online-boutique-ci/charts/onlineboutique
	tag      string
	manifest []byte
	blobs    map[string][]byte

	mu       sync.Mutex
	requests []string
}

func newFakeRegistry(t *testing.T, repo, tag string, archive []byte, metadata map[string]any) *fakeRegistry {
	t.Helper()
	digest := func(b []byte) string { return fmt.Sprintf("sha256:%x", sha256.Sum256(b)) }
	config, _ := json.Marshal(metadata)
	r := &fakeRegistry{repo: repo, tag: tag, blobs: map[string][]byte{digest(config): config, digest(archive): archive}}
	r.manifest, _ = json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        map[string]any{"mediaType": registry.ConfigMediaType, "digest": digest(config), "size": len(config)},
		"layers":        []any{map[string]any{"mediaType": registry.ChartLayerMediaType, "digest": digest(archive), "size": len(archive)}},
	})
	r.blobs[digest(r.manifest)] = r.manifest
	return r
}

func (r *fakeRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.requests = append(r.requests, req.Method+" "+req.URL.Path)
	r.mu.Unlock()
	prefix := "/v2/" + r.repo + "/"
	switch rest, ok := strings.CutPrefix(req.URL.Path, prefix); {
	case req.URL.Path == "/v2/":
		w.WriteHeader(http.StatusOK)
	case ok && strings.HasPrefix(rest, "manifests/"):
		ref := strings.TrimPrefix(rest, "manifests/")
		sum := sha256.Sum256(r.manifest)
		if ref != r.tag && ref != fmt.Sprintf("sha256:%x", sum) {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		w.Header().Set("Docker-Content-Digest", fmt.Sprintf("sha256:%x", sum))
		w.Header().Set("Content-Length", fmt.Sprint(len(r.manifest)))
		if req.Method != http.MethodHead {
			w.Write(r.manifest)
		}
	case ok && strings.HasPrefix(rest, "blobs/"):
		blob, found := r.blobs[strings.TrimPrefix(rest, "blobs/")]
		if !found {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(blob)))
		if req.Method != http.MethodHead {
			w.Write(blob)
		}
	default:
		http.NotFound(w, req)
	}
}

// The Boutique's chart lives in an OCI registry only: ChartArchive pulls it through helm's registry client,
// by its full reference and version, into the cache, once.
func TestChartArchivePullsFromAnOCIRegistry(t *testing.T) {
	archive, err := os.ReadFile((ChartSource{LocalDir: sharedCharts(t)}).Archive(OnlineBoutiqueChart))
	if err != nil {
		t.Fatal(err)
	}
	reg := newFakeRegistry(t, "online-boutique-ci/charts/onlineboutique", OnlineBoutiqueChart.Version, archive,
		map[string]any{"apiVersion": "v2", "name": OnlineBoutiqueChart.Name, "version": OnlineBoutiqueChart.Version})
	srv := httptest.NewServer(reg)
	defer srv.Close()
	registryClientOptions = []registry.ClientOption{registry.ClientOptPlainHTTP()}
	defer func() { registryClientOptions = nil }()
	t.Setenv("HELM_REGISTRY_CONFIG", filepath.Join(t.TempDir(), "registry.json"))

	chart := OnlineBoutiqueChart
	chart.Repo = "oci://" + strings.TrimPrefix(srv.URL, "http://") + "/online-boutique-ci/charts"
	if !chart.OCI() || chart.Ref() != chart.Repo+"/onlineboutique" {
		t.Fatalf("reference %s", chart.Ref())
	}
	src := ChartSource{CacheDir: t.TempDir()}
	got, err := src.ChartArchive(chart)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(got) != "onlineboutique-0.10.6.tgz" {
		t.Errorf("pulled to %s, want the name ChartSource.Archive gives it", got)
	}
	pulled, err := os.ReadFile(got)
	if err != nil || !bytes.Equal(pulled, archive) {
		t.Fatalf("the pulled archive differs from the registry's (%v)", err)
	}
	served := len(reg.requests)
	if again, err := src.ChartArchive(chart); err != nil || again != got || len(reg.requests) != served {
		t.Errorf("a second call must use the cache: %s (%v), %d requests after %d", again, err, len(reg.requests), served)
	}
	manifest := false
	for _, r := range reg.requests {
		manifest = manifest || strings.HasSuffix(r, "/manifests/"+OnlineBoutiqueChart.Version)
	}
	if !manifest {
		t.Errorf("the chart must be resolved by its version as tag; requests: %v", reg.requests)
	}

	// The edit then works on the pulled archive as on a local one.
	if _, err := CollectorlessArchive(got, src.CacheDir); err != nil {
		t.Errorf("editing the pulled archive: %v", err)
	}
	missing := chart
	missing.Version = "9.9.9"
	if _, err := src.ChartArchive(missing); err == nil || !strings.Contains(err.Error(), chart.Repo) {
		t.Errorf("a version the registry lacks must fail naming the repository, got %v", err)
	}
}
