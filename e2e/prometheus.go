//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"sigs.k8s.io/yaml"
)

// ScrapeJob is one static scrape job of the harness's Prometheus.
type ScrapeJob struct {
	Name    string
	Targets []string // host:port on loopback
	// HonorLabels keeps the scraped series' own labels (namespace, for Chaos Mesh's metrics) over the
	// target's, as the lab's kubernetes-service-endpoints job does.
	HonorLabels bool
}

// Prometheus is a real Prometheus server (Debian's package) on a loopback port with its data in the cluster's
// temp dir, scraping static targets at the lab's scrape interval.
type Prometheus struct {
	*Process
	URL string
	API promv1.API
}

// PrometheusBinary finds Debian's prometheus ($PROMETHEUS_BIN or PATH). CI installs it (.ci/run); elsewhere
// `apt-get install -y prometheus`.
func PrometheusBinary() (string, error) {
	if p := os.Getenv("PROMETHEUS_BIN"); p != "" {
		return p, nil
	}
	p, err := exec.LookPath("prometheus")
	if err != nil {
		return "", fmt.Errorf("prometheus not found in PATH: apt-get install -y prometheus (as .ci/run does), or set PROMETHEUS_BIN")
	}
	return p, nil
}

// StartPrometheus writes a config with the jobs, starts Prometheus and waits until it is ready.
func StartPrometheus(tb testing.TB, dir string, interval time.Duration, jobs ...ScrapeJob) *Prometheus {
	tb.Helper()
	bin, err := PrometheusBinary()
	if err != nil {
		tb.Fatal(err)
	}
	home := filepath.Join(dir, "prometheus")
	if err := os.MkdirAll(home, 0o755); err != nil {
		tb.Fatal(err)
	}
	cfgPath := filepath.Join(home, "prometheus.yml")
	if err := os.WriteFile(cfgPath, prometheusConfig(interval, jobs), 0o644); err != nil {
		tb.Fatal(err)
	}
	addr := freeLoopbackAddr(tb)
	cmd := exec.Command(bin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(home, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	return runPrometheus(tb, dir, "prometheus", addr, cmd)
}

// runPrometheus starts a Prometheus command listening on addr and waits until it is ready.
func runPrometheus(tb testing.TB, dir, name, addr string, cmd *exec.Cmd) *Prometheus {
	tb.Helper()
	p := &Prometheus{URL: "http://" + addr}
	p.Process = StartProcess(tb, dir, name, cmd, nil)
	client, err := api.NewClient(api.Config{Address: p.URL, Client: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		tb.Fatal(err)
	}
	p.API = promv1.NewAPI(client)
	if err := p.waitReady(30 * time.Second); err != nil {
		tb.Fatal(err)
	}
	return p
}

func prometheusConfig(interval time.Duration, jobs []ScrapeJob) []byte {
	type static struct {
		Targets []string `json:"targets"`
	}
	type job struct {
		Name          string   `json:"job_name"`
		HonorLabels   bool     `json:"honor_labels,omitempty"`
		StaticConfigs []static `json:"static_configs"`
	}
	cfg := struct {
		Global map[string]string `json:"global"`
		Jobs   []job             `json:"scrape_configs"`
	}{Global: map[string]string{
		"scrape_interval":     interval.String(),
		"scrape_timeout":      (interval * 4 / 5).String(),
		"evaluation_interval": interval.String(),
	}}
	for _, j := range jobs {
		cfg.Jobs = append(cfg.Jobs, job{Name: j.Name, HonorLabels: j.HonorLabels, StaticConfigs: []static{{Targets: j.Targets}}})
	}
	out, _ := yaml.Marshal(cfg)
	return out
}

func (p *Prometheus) waitReady(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		resp, err := http.Get(p.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if !p.Running() {
			return fmt.Errorf("prometheus exited:\n%s", p.Tail(4000))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("prometheus not ready at %s after %s: %v", p.URL, d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WaitScraped polls until every target of the job has been scraped successfully after at, or d passes.
func (p *Prometheus) WaitScraped(ctx context.Context, job string, at time.Time, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		res, err := p.API.Targets(ctx)
		state := fmt.Sprint(err)
		if err == nil {
			done, found := true, false
			for _, t := range res.Active {
				if string(t.Labels["job"]) == job {
					found = true
					done = done && t.Health == promv1.HealthGood && t.LastScrape.After(at)
					state = fmt.Sprintf("%s %s %s", t.ScrapeURL, t.Health, t.LastError)
				}
			}
			if found && done {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("prometheus: job %s not scraped since %s within %s (%s)", job, at.Format(time.RFC3339), d, state)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
