//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment/labstack"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report/promtest"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// TestRun runs `chaoslab run` in-process (labstack.Run: the real Automation API engine with stacks.Lab
// inline, the real cluster code) on the pod-kill preset against the simulated cluster, with the lab up and
// Chaos Mesh's real controller acting on what the run switches on (as in TestChaosController: its webhooks
// served, a real Prometheus scraping a synthetic shop whose checkout and product-catalog keep their SLOs):
//   - a run of the preset, which ends when the Schedule has run once: the kick-off Workflow strikes at
//     switch-on and is that run; the run ends with the scenario off, Pulumi.<stack>.yaml byte-identical
//     (comments and secrets included), no chaos object, and a report whose one window is the kick-off's
//     pod-kill, starting when a checkout pod was really deleted; the SLOs held, so it exits 0;
//   - a second run while one is in progress is refused before it touches the config;
//   - a SIGTERM halfway leaves no fault and the config restored, also when the scenarios are a JSON string
//     (there startNow is false, so nothing strikes before the signal: no window, exit 3).
func TestRun(t *testing.T) {
	if _, err := PrometheusBinary(); err != nil {
		t.Fatal(err)
	}
	c, e, _ := labCluster(t, []string{ChaosControllerBinary}, WithAdmissionWebhooks())
	ctx := context.Background()
	s := e.RepoStack(ctx, t, stacks.Lab)
	if err := s.SetAllConfig(ctx, LabConfig(c)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetConfigWithOptions(ctx, Key(`scenarios["checkout-pod-kill"].enabled`), auto.ConfigValue{Value: "false"},
		&auto.ConfigOptions{Path: true}); err != nil {
		t.Fatal(err)
	}
	// The shop's SLIs from the start, so that the report has a baseline before the fault.
	steady := []promtest.Step{{At: 0, Phase: promtest.Steady(20)}}
	exporter := promtest.NewExporter(t, apps.AstronomyShop.Namespace,
		map[string][]promtest.Step{"checkout": steady, "product-catalog": steady, gateService: steady})
	if _, _, err := Up(ctx, t, s); err != nil {
		t.Fatalf("up: %v", err)
	}
	lab := &chaosRun{ctx: ctx, c: c, s: s, exporter: exporter}
	lab.startServers(t)
	// A baseline before the fault: Prometheus must have scraped the shop for longer than the report's
	// rolling SLI range (30 s) when the kick-off strikes.
	if err := lab.prom.WaitScraped(ctx, "synthetic-shop", lab.started, time.Minute); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Minute)
	// chaoslab finds the CLI and the backend as a user's shell would.
	t.Setenv("PATH", e.Env["PATH"])
	t.Chdir(RepoRoot())
	t.Cleanup(func() {
		leftovers, _ := filepath.Glob(filepath.Join(RepoRoot(), ".chaoslab", "run-"+s.Name()+".*"))
		for _, f := range leftovers {
			_ = os.Remove(f)
		}
	})
	prom := lab.prom.URL
	cfgFile := filepath.Join(RepoRoot(), "Pulumi."+s.Name()+".yaml")
	project := readFile(t, filepath.Join(RepoRoot(), "Pulumi.yaml"))
	// A hand-edited file: the run must give back exactly these bytes.
	handEdited := append([]byte("# e2e: a comment that chaoslab run must keep\n"), readFile(t, cfgFile)...)
	if err := os.WriteFile(cfgFile, handEdited, 0o600); err != nil {
		t.Fatal(err)
	}
	// No collector runs on kwok: the experiment's trace is sent nowhere (unit tests send it to a receiver).
	args := func(out string, extra ...string) []string {
		return append([]string{"--stack", s.Name(), "--dir", RepoRoot(), "--out", out, "--prometheus", prom,
			"--scenario", "checkout-pod-kill", "--otlp-endpoint", "off"}, extra...)
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

	t.Run("kick-off-run", func(t *testing.T) {
		var out, errOut syncBuffer
		dir := t.TempDir()
		started := time.Now()
		// --after one rate window: a recovery that was not watched is never judged held.
		code := labstack.Run(ctx, args(dir, "--after", "30s"), &out, &errOut, nil)
		t.Logf("chaoslab run (%s):\n%s%s", time.Since(started).Round(time.Second), out.String(), errOut.String())
		if code != experiment.ExitOK {
			t.Errorf("exit %d, want 0 (the SLOs of the synthetic shop held)", code)
		}
		assertClean(t, handEdited)
		kickOff := scenarios.KickOffName("checkout-pod-kill")
		// What the run does, and what its watch sees (the two interleave as the cluster answers).
		assertInOrder(t, out.String(),
			"stack "+s.Name()+" is up",
			"lab ready:",
			"switch-on: create Schedule scenarios-schedule-checkout-pod-kill",
			"experiment over: ",
			"switch-off: delete Schedule scenarios-schedule-checkout-pod-kill",
			"restored "+filepath.Base(cfgFile)+": byte-identical to before the run",
			"no chaos object left on the cluster",
			"seen: 1 run(s), 1 injection(s), 0 failure(s) to inject or recover, 1 fault window(s)",
			"verdict: ",
		)
		assertInOrder(t, out.String(),
			"checkout-pod-kill: run 1: kick-off Workflow "+kickOff+" created",
			"checkout-pod-kill: run 1 finished (Workflow "+kickOff+")",
			"experiment over",
			"no chaos object left on the cluster",
		)
		var rep report.Report
		if err := json.Unmarshal(readFile(t, filepath.Join(dir, "report.json")), &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Windows) != 1 {
			t.Fatalf("report.json has %d windows, want the kick-off's one: %+v", len(rep.Windows), rep.Windows)
		}
		w := rep.Windows[0]
		if w.Scenario != "checkout-pod-kill" || w.Target != "checkout" || !strings.HasPrefix(w.Source, "PodChaos/"+apps.AstronomyShop.Namespace+"/checkout-pod-kill-") {
			t.Errorf("window %+v: want the kick-off's PodChaos on checkout", w.Window)
		}
		var killed []PodLife
		for _, d := range lab.pods.Deleted("checkout", started) {
			if diff := d.Deleted.Sub(w.Start); diff > -injectionMatch && diff < injectionMatch {
				killed = append(killed, d)
			}
		}
		if deleted := lab.pods.Deleted("checkout", started); len(killed) != 1 || len(deleted) != 1 {
			t.Errorf("window %s starting %s: want exactly one checkout pod deleted, near its start; the watch saw %v", w.Source,
				w.Start.Format(time.RFC3339), deleted)
		} else {
			t.Logf("window %s: %s .. %s; %s deleted %s after its start; verdict %s", w.Source, w.Start.Format("15:04:05"),
				w.End.Format("15:04:05"), killed[0].Name, killed[0].Deleted.Sub(w.Start).Round(time.Millisecond), w.Verdict)
		}
	})

	// Killed at once, the run dies before its update reaches the engine; killed later, the CLI, in its own
	// process group, outlives it and ends the update; killed with its CLI (as a cancelled CI job kills the
	// whole tree), the stack is left locked. --recover must cope with each.
	for _, k := range []killAt{{after: 0}, {after: 1500 * time.Millisecond}, {withCLI: true, marker: "switch-on: create "}} {
		name := fmt.Sprintf("kill-9-%s-into-switch-on", k.after)
		if k.withCLI {
			name = "kill-9-with-its-cli-mid-switch-on"
		}
		t.Run(name+"-then-recover", func(t *testing.T) {
			setScenarios(ctx, t, s, `{"checkout-pod-kill":{"enabled":false}}`)
			before := readFile(t, cfgFile)
			bin := buildChaoslab(t)
			result := killedRun(ctx, t, bin, e.Env, args(t.TempDir(), "--for", "10m"), s, k)
			if bytes.Equal(readFile(t, cfgFile), before) {
				t.Errorf("the killed run had not switched its scenario on in %s: the kill came too early to test anything", filepath.Base(cfgFile))
			}
			// A normal run now refuses and points to --recover, not to pulumi up.
			var o, eo bytes.Buffer
			if code := labstack.Run(ctx, args(t.TempDir()), &o, &eo, nil); code != experiment.ExitSetup || !strings.Contains(eo.String(), "--recover") {
				t.Errorf("a run after the kill (update %s): exit %d, want 1 and a pointer to --recover:\n%s", result, code, eo.String())
			}
			recover := func() (int, string) {
				cmd := exec.CommandContext(ctx, bin, "run", "--stack", s.Name(), "--dir", RepoRoot(), "--out", t.TempDir(), "--prometheus", prom,
					"--otlp-endpoint", "off", "--recover")
				cmd.Dir = RepoRoot()
				cmd.Env = os.Environ()
				for key, v := range e.Env {
					cmd.Env = append(cmd.Env, key+"="+v)
				}
				out, _ := cmd.CombinedOutput()
				t.Logf("chaoslab run --recover (the killed run's update %s): exit %d\n%s", result, cmd.ProcessState.ExitCode(), out)
				return cmd.ProcessState.ExitCode(), string(out)
			}
			code, out := recover()
			if k.withCLI {
				// The CLI died holding the stack's lock: --recover says how to clear it, and that chaos is left.
				if code != experiment.ExitChaosLeft || !strings.Contains(out, "pulumi cancel --stack "+s.Name()) {
					t.Fatalf("--recover on the locked stack: exit %d, want 4 and the way to clear the lock", code)
				}
				if err := s.Cancel(ctx); err != nil {
					t.Fatalf("pulumi cancel: %v", err)
				}
				code, _ = recover()
			}
			if code != experiment.ExitOK {
				t.Fatalf("--recover after the kill: exit %d", code)
			}
			assertClean(t, before)
			if rec, err := c.Client.CoreV1().ConfigMaps(apps.AstronomyShop.Namespace).Get(ctx, "chaoslab-run-"+strings.ToLower(s.Name()), metav1.GetOptions{}); err == nil {
				t.Errorf("the run's record is still on the cluster: %v", rec.Data)
			}
			if res, _, out, err := Preview(ctx, s, optpreview.ExpectNoChanges()); err != nil {
				t.Errorf("after the recovery the stack is not at rest (%v): %v\n%s", res.ChangeSummary, err, tail(out, 3000))
			}
		})
	}

	t.Run("second-run-refused-then-sigterm", func(t *testing.T) {
		// The scenarios as one JSON string (pulumi config set scenarios '{...}'): the run rewrites the string.
		// startNow false: no kick-off, so the Schedule (@every 10m) strikes nothing before the SIGTERM.
		setScenarios(ctx, t, s, `{"checkout-pod-kill":{"enabled":false,"startNow":false}}`)
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
				second.code = labstack.Run(ctx, args(t.TempDir(), "--for", "10m"), &o2, &e2, nil)
				second.stderr = e2.String()
				second.file, _ = os.ReadFile(cfgFile)
				signals <- syscall.SIGTERM
			}()
		})
		code := labstack.Run(ctx, args(t.TempDir(), "--for", "10m"), &out, &errOut, signals)
		t.Logf("chaoslab run:\n%s%s\nthe second run, meanwhile (exit %d):\n%s", out.String(), errOut.String(), second.code, second.stderr)
		if second.code != experiment.ExitSetup || !strings.Contains(second.stderr, "is in progress on stack "+s.Name()) {
			t.Errorf("a second run: exit %d, %s", second.code, second.stderr)
		}
		if !strings.Contains(string(second.file), "checkout-pod-kill") || bytes.Equal(second.file, before) {
			t.Errorf("the refused run restored an older config over the first run's edits")
		}
		if code != experiment.ExitUnknown {
			t.Errorf("exit %d, want 3 (no fault window: interrupted before the Schedule's first run)", code)
		}
		assertClean(t, before)
		assertInOrder(t, out.String(), "terminated: ending the experiment", "experiment over: interrupted",
			"switch-off: delete Schedule scenarios-schedule-checkout-pod-kill", "restored ", "no chaos object left on the cluster")
	})
}

// killAt is when and what a test kills of a `chaoslab run`: the run after that long into its switch-on
// update, and, withCLI, the Pulumi CLI it started and the plugins under it too (as a cancelled CI job does).
type killAt struct {
	after   time.Duration
	withCLI bool
	// marker, when set, is the line of the run's output at which the kill comes (after that long):
	// "switch-on: create " is printed while the update is still running.
	marker string
}

// descendants are the processes under pid (children, grandchildren, ...), read from /proc.
func descendants(pid int) []int {
	parents := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The command in parentheses may hold spaces: the fields after its closing parenthesis are fixed.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 {
			if ppid, err := strconv.Atoi(fields[1]); err == nil {
				parents[ppid] = append(parents[ppid], child)
			}
		}
	}
	var out []int
	for queue := []int{pid}; len(queue) > 0; queue = queue[1:] {
		for _, c := range parents[queue[0]] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// killedRun starts `chaoslab run` as its own process (the built binary), kills it (k) during its switch-on
// update, and waits until the update has ended, as the Pulumi CLI ends it when it outlives the run.
func killedRun(ctx context.Context, t *testing.T, bin string, env map[string]string, args []string, s auto.Stack, k killAt) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, append([]string{"run"}, args...)...)
	cmd.Dir = RepoRoot()
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	killed := make(chan struct{})
	marker := "switch-on: updating stack"
	if k.marker != "" {
		marker = k.marker
	}
	out.on(marker, func() {
		time.Sleep(k.after)
		victims := []int{cmd.Process.Pid}
		if k.withCLI {
			victims = append(victims, descendants(cmd.Process.Pid)...)
		}
		for _, pid := range victims {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		close(killed)
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("chaoslab run ended before its switch-on update:\n%s", out.String())
	}
	// The CLI runs in its own process group and outlives the run; it fails the update once the inline
	// program it was talking to is gone.
	err := wait.PollUntilContextTimeout(ctx, time.Second, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		h, err := s.History(ctx, 1, 1)
		return err == nil && len(h) > 0 && h[0].Result != "in-progress", nil
	})
	if err != nil {
		t.Fatalf("the update of the killed run is still in progress after 3 min: %v", err)
	}
	h, _ := s.History(ctx, 1, 1)
	t.Logf("killed chaoslab run during its switch-on; the update then ended %s:\n%s", h[0].Result, out.String())
	return h[0].Result
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
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
