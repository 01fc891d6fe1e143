//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// SLOGate is cmd/slo-gate as a process on loopback, reading the harness's Prometheus: the gate that a game
// day's StatusCheck calls, outside the cluster as a user's own gate would be.
type SLOGate struct {
	*Process
	URL string
}

// StartSLOGate builds cmd/slo-gate and runs it with the defaults the lab's gate runs with (the default
// SLOs, a 1m window) against promURL.
func StartSLOGate(tb testing.TB, dir, promURL string) *SLOGate {
	tb.Helper()
	bin := filepath.Join(dir, "slo-gate")
	build := exec.Command("go", "build", "-o", bin, "./cmd/slo-gate")
	build.Dir = RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("go build ./cmd/slo-gate: %v\n%s", err, out)
	}
	addr := freeLoopbackAddr(tb)
	cmd := exec.Command(bin, "--listen", addr, "--prometheus", promURL)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	g := &SLOGate{URL: "http://" + addr}
	g.Process = StartProcess(tb, dir, "slo-gate", cmd, nil)
	if err := g.WaitListening(addr, 30*time.Second); err != nil {
		tb.Fatal(err)
	}
	return g
}

// Status asks the gate about one SLO, as the StatusCheck does, and returns the HTTP status and body.
func (g *SLOGate) Status(ctx context.Context, slo string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.URL+"/slo/"+slo, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", fmt.Errorf("read: %w", err)
	}
	return resp.StatusCode, string(body), nil
}
