// Package promtest runs a real Prometheus on loopback for tests, scraping a synthetic exporter that emits the
// same series as the lab (spanmetrics from the OTel Collector, kube-state-metrics) with a scripted degradation.
//
// It is test support shared by the report and the SLO gate; nothing in the lab imports it.
package promtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/testtool"
)

// Binary finds the prometheus binary ($PROMETHEUS_BIN, or PATH). In CI (CI=true) a missing binary fails the
// test; elsewhere it skips it, and `make test` lists the skip.
func Binary(t testing.TB) string {
	t.Helper()
	return testtool.Need(t, testtool.Prometheus)
}

// Prometheus is one running server.
type Prometheus struct {
	URL  string
	Addr string
}

// FreeAddr returns a loopback address with a port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Start runs Prometheus with its own temp storage, scraping the given host:port targets every interval.
// It is stopped when the test ends.
func Start(t testing.TB, interval time.Duration, targets ...string) *Prometheus {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	quoted := make([]string, len(targets))
	for i, tg := range targets {
		quoted[i] = fmt.Sprintf("%q", tg)
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: %s
  evaluation_interval: %s
scrape_configs:
  - job_name: synthetic
    scrape_interval: %s
    scrape_timeout: %s
    static_configs:
      - targets: [%s]
`, interval, interval, interval, interval, strings.Join(quoted, ", "))
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start prometheus: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cancel()
			<-done
		}
		logf.Close()
	})
	p := &Prometheus{URL: "http://" + addr, Addr: addr}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Fatalf("prometheus exited early:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready at %s after 20s: %v", p.URL, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
