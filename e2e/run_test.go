//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment/labstack"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// TestRun runs `chaoslab run` in-process (labstack.Run: the real Automation API engine with stacks.Lab
// inline, the real cluster code) on the pod-kill preset against the simulated cluster, with the lab up:
//   - a run that ends by --for leaves the scenario off, Pulumi.<stack>.yaml byte-identical (comments and
//     secrets included), no chaos object, and says what it saw;
//   - a second run while one is in progress is refused before it touches the config;
//   - a SIGTERM halfway leaves no fault and the config restored, also when the scenarios are a JSON string.
//
// The harness has no Chaos Mesh controller and no Prometheus with the shop's metrics yet, so the Schedule
// never spawns a run: the verdict is "could not judge" (exit 3, no fault window), and a stand-in Prometheus
// answers the run's checks.
func TestRun(t *testing.T) {
	bin, err := ToolsBin()
	if err != nil {
		t.Fatal(err)
	}
	c := StartCluster(t, bin)
	e := NewEngine(t, bin)
	ctx := context.Background()
	s := e.RepoStack(ctx, t, stacks.Lab)
	if err := s.SetAllConfig(ctx, LabConfig(c)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetConfigWithOptions(ctx, Key(`scenarios["checkout-pod-kill"].enabled`), auto.ConfigValue{Value: "false"},
		&auto.ConfigOptions{Path: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Up(ctx, t, s); err != nil {
		t.Fatalf("up: %v", err)
	}
	// chaoslab finds the CLI and the backend as a user's shell would.
	t.Setenv("PATH", e.Env["PATH"])
	t.Chdir(RepoRoot())
	t.Cleanup(func() {
		leftovers, _ := filepath.Glob(filepath.Join(RepoRoot(), ".chaoslab", "run-"+s.Name()+".*"))
		for _, f := range leftovers {
			_ = os.Remove(f)
		}
	})
	prom := standInPrometheus(t)
	cfgFile := filepath.Join(RepoRoot(), "Pulumi."+s.Name()+".yaml")
	project := readFile(t, filepath.Join(RepoRoot(), "Pulumi.yaml"))
	// A hand-edited file: the run must give back exactly these bytes.
	handEdited := append([]byte("# e2e: a comment that chaoslab run must keep\n"), readFile(t, cfgFile)...)
	if err := os.WriteFile(cfgFile, handEdited, 0o600); err != nil {
		t.Fatal(err)
	}
	args := func(extra ...string) []string {
		return append([]string{"--stack", s.Name(), "--dir", RepoRoot(), "--out", t.TempDir(), "--prometheus", prom,
			"--scenario", "checkout-pod-kill"}, extra...)
	}
	assertClean := func(t *testing.T, want []byte) {
		t.Helper()
		if got := readFile(t, cfgFile); !bytes.Equal(got, want) {
			t.Errorf("%s is not byte-identical to before the run:\n--- got\n%s\n--- want\n%s", filepath.Base(cfgFile), got, want)
		}
		if got := readFile(t, filepath.Join(RepoRoot(), "Pulumi.yaml")); !bytes.Equal(got, project) {
			t.Errorf("Pulumi.yaml changed")
		}
		if objs, err := c.ChaosObjects(ctx, ""); err != nil || len(objs) != 0 {
			t.Errorf("chaos objects left: %v (%v)", objs, err)
		}
	}

	t.Run("for", func(t *testing.T) {
		var out, errOut syncBuffer
		code := labstack.Run(ctx, args("--for", "20s", "--after", "0s"), &out, &errOut, nil)
		t.Logf("chaoslab run:\n%s%s", out.String(), errOut.String())
		if code != experiment.ExitUnknown {
			t.Errorf("exit %d, want 3 (no fault window without a controller)", code)
		}
		assertClean(t, handEdited)
		// What the run does, and what its watch sees (the two interleave as the cluster answers).
		assertInOrder(t, out.String(),
			"stack "+s.Name()+" is up",
			"lab ready:",
			"switch-on: create Schedule scenarios-schedule-checkout-pod-kill",
			"experiment over: --for 20s is over",
			"switch-off: delete Schedule scenarios-schedule-checkout-pod-kill",
			"restored "+filepath.Base(cfgFile)+": byte-identical to before the run",
			"no chaos object left on the cluster",
			"no fault window",
			"verdict: could not judge (exit 3)",
		)
		assertInOrder(t, out.String(),
			"checkout-pod-kill: Schedule otel-demo/checkout-pod-kill is on the cluster (pod-kill on checkout, @every 10m)",
			"experiment over",
			"checkout-pod-kill: Schedule checkout-pod-kill deleted",
			"no chaos object left on the cluster",
		)
	})

	t.Run("second-run-refused-then-sigterm", func(t *testing.T) {
		// The scenarios as one JSON string (pulumi config set scenarios '{...}'): the run rewrites the string.
		setScenarios(ctx, t, s, `{"checkout-pod-kill":{"enabled":false}}`)
		before := readFile(t, cfgFile)
		var out, errOut syncBuffer
		signals := make(chan os.Signal, 1)
		var second struct {
			code   int
			stderr string
			file   []byte
		}
		out.on("watching:", func() {
			go func() {
				var o2, e2 bytes.Buffer
				second.code = labstack.Run(ctx, args("--for", "10m"), &o2, &e2, nil)
				second.stderr = e2.String()
				second.file, _ = os.ReadFile(cfgFile)
				signals <- syscall.SIGTERM
			}()
		})
		code := labstack.Run(ctx, args("--for", "10m"), &out, &errOut, signals)
		t.Logf("chaoslab run:\n%s%s\nthe second run, meanwhile (exit %d):\n%s", out.String(), errOut.String(), second.code, second.stderr)
		if second.code != experiment.ExitSetup || !strings.Contains(second.stderr, "is in progress on stack "+s.Name()) {
			t.Errorf("a second run: exit %d, %s", second.code, second.stderr)
		}
		if !strings.Contains(string(second.file), "checkout-pod-kill") || bytes.Equal(second.file, before) {
			t.Errorf("the refused run restored an older config over the first run's edits")
		}
		if code != experiment.ExitUnknown {
			t.Errorf("exit %d, want 3", code)
		}
		assertClean(t, before)
		assertInOrder(t, out.String(), "terminated: ending the experiment", "experiment over: interrupted",
			"switch-off: delete Schedule scenarios-schedule-checkout-pod-kill", "restored ", "no chaos object left on the cluster")
	})
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// standInPrometheus answers the run's check (an instant query) and returns no series for anything else,
// until the harness runs a real Prometheus.
func standInPrometheus(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/api/v1/query") && strings.Contains(r.FormValue("query"), "vector(1)") {
			_, _ = io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"1"]}]}}`)
			return
		}
		_, _ = io.WriteString(w, `{"status":"success","data":{"resultType":"matrix","result":[]}}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// syncBuffer collects a run's output and calls back once when a line with a marker is written.
type syncBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	fire   func()
}

func (b *syncBuffer) on(marker string, fire func()) { b.marker, b.fire = marker, fire }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fire != nil && bytes.Contains(p, []byte(b.marker)) {
		go b.fire()
		b.fire = nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func assertInOrder(t *testing.T, out string, fragments ...string) {
	t.Helper()
	rest := out
	for _, f := range fragments {
		i := strings.Index(rest, f)
		if i < 0 {
			t.Errorf("output lacks %q (in order)", f)
			return
		}
		rest = rest[i+len(f):]
	}
}
