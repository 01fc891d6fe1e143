package experiment

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// The user's stack file as a test writes it: comments, a secret and an explicit scenario that the run must
// give back byte for byte.
const userStackFile = `# my dev stack: hand-written, with comments
config:
  chaos-mesh-otel:context: minikube
  chaos-mesh-otel:grafanaAdminPassword:
    secure: v1:Q2hhb3NMYWJUZXN0U2VjcmV0:bm90IHJlYWxseSBlbmNyeXB0ZWQ=
  chaos-mesh-otel:scenarios:
    checkout-pod-kill:
      enabled: false   # off until a run switches it on
`

// catalog is what the fake parser knows: presets and what they become.
var catalog = map[string]Scenario{
	"checkout-pod-kill":        {Kind: KindSchedule, Fault: "pod-kill", Target: "checkout", Object: "checkout-pod-kill", Schedule: "@every 10m"},
	"frontend-catalog-latency": {Kind: KindWorkflow, Fault: "network-delay", Target: "frontend", Object: "frontend-catalog-latency"},
	"checkout-gameday":         {Kind: KindWorkflow, Fault: "gameday", Target: "frontend,checkout", Object: "checkout-gameday"},
	"ad-failure":               {Kind: KindFlag, Fault: "flag", Target: "ad"},
	"my-kill":                  {Kind: KindSchedule, Fault: "pod-kill", Target: "cart", Object: "my-kill", Schedule: "@every 1m"},
	"kick-kill": {Kind: KindSchedule, Fault: "pod-kill", Target: "cart", Object: "kick-kill", Schedule: "@every 10m",
		KickOff: "kick-kill-first"},
}

// fakeParse stands in for stacks.ParseConfig: it reads halt and which scenarios are enabled.
func fakeParse(lookup func(string) (string, bool)) (*Plan, error) {
	if _, ok := lookup("grafanaAdminPassword"); !ok {
		return nil, errors.New("chaos-mesh-otel:grafanaAdminPassword: required")
	}
	halt, _ := lookup("halt")
	raw, _ := lookup("scenarios")
	entries, err := scenarioEntries(raw)
	if err != nil {
		return nil, err
	}
	plan := &Plan{Halt: halt == "true", ShopNamespace: "otel-demo", SLOs: slo.Defaults()}
	for name, v := range entries {
		m, _ := v.(map[string]any)
		if on, _ := m["enabled"].(bool); !on {
			continue
		}
		s, ok := catalog[name]
		if !ok {
			return nil, fmt.Errorf("chaos-mesh-otel:scenarios.%s.fault: required", name)
		}
		s.Name = name
		plan.Enabled = append(plan.Enabled, s)
	}
	sort.Slice(plan.Enabled, func(i, j int) bool { return plan.Enabled[i].Name < plan.Enabled[j].Name })
	return plan, nil
}

// fakeEngine keeps the config in the real file: Switch appends a line, as `pulumi config set` would
// rewrite it, and Update deploys what the file enables onto the fake cluster.
type fakeEngine struct {
	mu        sync.Mutex
	h         *harness
	info      StackInfo
	values    map[string]string // what Config returns
	calls     []string
	updates   int
	updateErr func(n int) error // error of the n-th update (1-based), nil for success
	onUpdate  func(n int)       // called inside the n-th update, before it deploys
	// untracked are objects on the cluster that the stack's state does not know (an update killed with its
	// CLI created them): no update deletes them.
	untracked map[string]bool
}

var switchLine = regexp.MustCompile(`(?m)^# fake-switch (\S+)=(on|off)$`)

func (e *fakeEngine) Inspect(context.Context) (StackInfo, error) { return e.info, nil }

func (e *fakeEngine) Config(context.Context) (map[string]string, error) { return e.values, nil }

// Unlock records the call; updateErr sees it in calls.
func (e *fakeEngine) Unlock(context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, "unlock")
	return nil
}

// unlocked says whether Unlock was called.
func (e *fakeEngine) unlocked() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Contains(e.calls, "unlock")
}

func (e *fakeEngine) Switch(_ context.Context, names []string, on bool) error {
	e.mu.Lock()
	e.calls = append(e.calls, fmt.Sprintf("switch %s %t", strings.Join(names, ","), on))
	e.mu.Unlock()
	f, err := os.OpenFile(e.info.ConfigFile, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	state := map[bool]string{true: "on", false: "off"}[on]
	for _, n := range names {
		fmt.Fprintf(f, "\n# fake-switch %s=%s", n, state)
	}
	return nil
}

// enabled reads the scenarios that the file switches on (the last switch line of each wins).
func (e *fakeEngine) enabled() map[string]bool {
	raw, _ := os.ReadFile(e.info.ConfigFile)
	on := map[string]bool{}
	for _, m := range switchLine.FindAllStringSubmatch(string(raw), -1) {
		on[m[1]] = m[2] == "on"
	}
	return on
}

func (e *fakeEngine) Update(_ context.Context, log io.Writer, changed func(Change)) (UpdateResult, error) {
	e.mu.Lock()
	e.updates++
	n := e.updates
	e.calls = append(e.calls, "update")
	e.mu.Unlock()
	fmt.Fprintf(log, "fake update %d\n", n)
	if e.onUpdate != nil {
		e.onUpdate(n)
	}
	if e.updateErr != nil {
		if err := e.updateErr(n); err != nil {
			return UpdateResult{}, err
		}
	}
	res := UpdateResult{Changes: map[string]int{"same": 90}}
	on := e.enabled()
	for name, s := range catalog {
		if s.Object == "" {
			continue
		}
		present := e.h.cluster.has(s.Kind + "/" + s.Object)
		switch {
		case on[name] && !present:
			changed(Change{Op: "create", Type: "kubernetes:chaos-mesh.org/v1alpha1:" + s.Kind, Name: s.Object})
			res.Changes["create"]++
			e.h.cluster.deploy(s)
		case !on[name] && present && !e.untracked[s.Kind+"/"+s.Object]:
			changed(Change{Op: "delete", Type: "kubernetes:chaos-mesh.org/v1alpha1:" + s.Kind, Name: s.Object})
			res.Changes["delete"]++
			e.h.cluster.undeploy(s)
		}
	}
	return res, nil
}

// Revert writes, for each switch, the line that sets the scenario back (off when it was absent): like
// `pulumi config set --path`, it touches no other line of the file.
func (e *fakeEngine) Revert(_ context.Context, switches []Switch) error {
	e.mu.Lock()
	for _, sw := range switches {
		e.calls = append(e.calls, fmt.Sprintf("revert %s %t", sw.Scenario, sw.Set && sw.Enabled))
	}
	e.mu.Unlock()
	f, err := os.OpenFile(e.info.ConfigFile, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, sw := range switches {
		fmt.Fprintf(f, "\n# fake-switch %s=%s", sw.Scenario, map[bool]string{true: "on", false: "off"}[sw.Set && sw.Enabled])
	}
	return nil
}

func (e *fakeEngine) callList() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.calls)
}

// fakeCluster holds chaos objects and tells the watch about each change; controller, when set, plays Chaos
// Mesh: it is called with each object the engine creates.
type fakeCluster struct {
	mu         sync.Mutex
	h          *harness
	objects    map[string]*unstructured.Unstructured
	sink       func(Observation)
	unready    []string
	promErr    error
	promOpen   int
	controller func(c *fakeCluster, top *unstructured.Unstructured)
	stuck      bool // objects stay after undeploy (finalizers nobody removes)
	onCall     func(method string)
	// records are the run records on the fake cluster, by stack; ledgerErr fails every ledger call.
	records   map[string]ClusterRecord
	ledgerErr error
	otlp      string // the address of a test's OTLP receiver
}

// Collector gives the test's OTLP receiver, or none: the fake run sends its trace nowhere unless a test
// sets otlp.
func (c *fakeCluster) Collector(_ context.Context, endpoint string) (string, func(), error) {
	if endpoint != "" {
		return endpoint, func() {}, nil
	}
	if c.otlp == "" {
		return "", nil, errors.New("no collector in the fake cluster")
	}
	return c.otlp, func() {}, nil
}

// DeleteUntracked deletes what it is given that the fake cluster holds.
func (c *fakeCluster) DeleteUntracked(_ context.Context, objects []string) ([]string, error) {
	var deleted []string
	for _, obj := range objects {
		if c.has(obj) {
			c.remove(obj)
			deleted = append(deleted, obj)
		}
	}
	return deleted, nil
}

func (c *fakeCluster) ClaimRun(_ context.Context, rec ClusterRecord) (*ClusterRecord, error) {
	c.called("ClaimRun")
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ledgerErr != nil {
		return nil, c.ledgerErr
	}
	if held, ok := c.records[rec.Stack]; ok {
		return &held, nil
	}
	if c.records == nil {
		c.records = map[string]ClusterRecord{}
	}
	c.records[rec.Stack] = rec
	return nil, nil
}

func (c *fakeCluster) UpdateRun(_ context.Context, rec ClusterRecord) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ledgerErr != nil {
		return c.ledgerErr
	}
	if _, ok := c.records[rec.Stack]; !ok {
		return errors.New("configmaps \"chaoslab-run-" + rec.Stack + "\" not found")
	}
	c.records[rec.Stack] = rec
	return nil
}

func (c *fakeCluster) ReadRun(_ context.Context, stack string) (*ClusterRecord, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ledgerErr != nil {
		return nil, c.ledgerErr
	}
	if held, ok := c.records[stack]; ok {
		return &held, nil
	}
	return nil, nil
}

func (c *fakeCluster) ReleaseRun(_ context.Context, stack string) error {
	c.called("ReleaseRun")
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ledgerErr != nil {
		return c.ledgerErr
	}
	delete(c.records, stack)
	return nil
}

// record is the stack's run record on the fake cluster, if any.
func (c *fakeCluster) record(stack string) (ClusterRecord, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rec, ok := c.records[stack]
	return rec, ok
}

func (c *fakeCluster) called(method string) {
	if c.onCall != nil {
		c.onCall(method)
	}
}

func (c *fakeCluster) Unready(context.Context) ([]string, int, error) {
	c.called("Unready")
	return c.unready, 27, nil
}

func (c *fakeCluster) ChaosObjects(context.Context) ([]string, error) {
	c.called("ChaosObjects")
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, o := range c.objects {
		out = append(out, o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName())
	}
	sort.Strings(out)
	return out, nil
}

func (c *fakeCluster) Watch(_ context.Context, sink func(Observation)) error {
	c.mu.Lock()
	c.sink = sink
	c.mu.Unlock()
	return nil
}

func (c *fakeCluster) Prometheus(_ context.Context, url string) (string, func(), error) {
	c.called("Prometheus")
	if c.promErr != nil {
		return "", nil, c.promErr
	}
	c.mu.Lock()
	c.promOpen++
	c.mu.Unlock()
	if url == "" {
		url = "http://127.0.0.1:39090"
	}
	return url, func() {
		c.mu.Lock()
		c.promOpen--
		c.mu.Unlock()
	}, nil
}

func (c *fakeCluster) has(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, o := range c.objects {
		if o.GetKind()+"/"+o.GetName() == key {
			return true
		}
	}
	return false
}

// put creates or updates an object and tells the watch.
func (c *fakeCluster) put(u *unstructured.Unstructured) {
	c.mu.Lock()
	key := u.GetKind() + "/" + u.GetName()
	typ := Updated
	if _, ok := c.objects[key]; !ok {
		typ = Added
	}
	c.objects[key] = u.DeepCopy()
	sink := c.sink
	c.mu.Unlock()
	if sink != nil {
		sink(Observation{Time: c.h.clock.Now(), Type: typ, Object: u.DeepCopy()})
	}
}

func (c *fakeCluster) remove(key string) {
	c.mu.Lock()
	u, ok := c.objects[key]
	delete(c.objects, key)
	sink := c.sink
	c.mu.Unlock()
	if ok && sink != nil {
		sink(Observation{Time: c.h.clock.Now(), Type: Deleted, Object: u})
	}
}

func (c *fakeCluster) deploy(s Scenario) {
	top := chaosObject(s.Kind, s.Object, nil)
	c.put(top)
	if c.controller != nil {
		c.controller(c, top)
	}
}

// undeploy deletes the top object and its kick-off Workflow and, as the garbage collector does, what they
// spawned.
func (c *fakeCluster) undeploy(s Scenario) {
	if c.stuck {
		return
	}
	c.remove(s.Kind + "/" + s.Object)
	if s.KickOff != "" {
		c.remove(KindWorkflow + "/" + s.KickOff)
	}
	c.mu.Lock()
	var children []string
	for key, o := range c.objects {
		l := o.GetLabels()
		if l[managedBy] == s.Object || l[workflowLabel] == s.Object || (s.KickOff != "" && l[workflowLabel] == s.KickOff) {
			children = append(children, key)
		}
	}
	c.mu.Unlock()
	for _, key := range children {
		c.remove(key)
	}
}

// event tells the watch about a Kubernetes event.
func (c *fakeCluster) event(ev Observation) {
	c.mu.Lock()
	sink := c.sink
	c.mu.Unlock()
	sink(ev)
}

// chaosObject builds a Chaos Mesh object in otel-demo.
func chaosObject(kind, name string, labels map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "chaos-mesh.org/v1alpha1", "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": "otel-demo"},
		"spec":     map[string]any{},
	}}
	if labels != nil {
		u.SetLabels(labels)
	}
	return u
}

// withStatus sets a status from JSON.
func withStatus(u *unstructured.Unstructured, status string) *unstructured.Unstructured {
	var m map[string]any
	if err := json.Unmarshal([]byte(status), &m); err != nil {
		panic(err)
	}
	u = u.DeepCopy()
	u.Object["status"] = m
	return u
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// podKillRun plays one pod-kill run of a Schedule: the child is spawned, kills a pod at apply, and is
// stopped and recovered at recoverAt.
func podKillRun(c *fakeCluster, schedule, child, pod string, apply, recoverAt time.Time) {
	u := chaosObject("PodChaos", child, map[string]string{managedBy: schedule})
	u.Object["spec"] = map[string]any{"action": "pod-kill", "duration": "30s",
		"selector": map[string]any{"labelSelectors": map[string]any{"app.kubernetes.io/component": "checkout"}}}
	c.put(u)
	c.put(withStatus(u, fmt.Sprintf(`{"experiment":{"desiredPhase":"Run","containerRecords":[{"id":%q,"phase":"Injected",
		"events":[{"type":"Succeeded","operation":"Apply","timestamp":%q}]}]},
		"conditions":[{"type":"AllInjected","status":"True"},{"type":"AllRecovered","status":"False"}]}`, pod, ts(apply))))
	c.put(withStatus(u, fmt.Sprintf(`{"experiment":{"desiredPhase":"Stop","containerRecords":[{"id":%q,"phase":"Not Injected",
		"events":[{"type":"Succeeded","operation":"Apply","timestamp":%q},{"type":"Succeeded","operation":"Recover","timestamp":%q}]}]},
		"conditions":[{"type":"AllInjected","status":"False"},{"type":"AllRecovered","status":"True"}]}`, pod, ts(apply), ts(recoverAt))))
}

// lines is a thread-safe output buffer that can call back when a line containing a marker is written.
type lines struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	hooks []lineHook
}

type lineHook struct {
	marker string
	fire   func()
	fired  bool
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.buf.Write(p)
	var fire []func()
	for i := range l.hooks {
		if !l.hooks[i].fired && bytes.Contains(p, []byte(l.hooks[i].marker)) {
			l.hooks[i].fired = true
			fire = append(fire, l.hooks[i].fire)
		}
	}
	l.mu.Unlock()
	for _, f := range fire {
		f()
	}
	return len(p), nil
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// on calls fire (once) when a line containing marker is written.
func (l *lines) on(marker string, fire func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hooks = append(l.hooks, lineHook{marker: marker, fire: fire})
}

// harness is one project directory with a stack file, a fake engine and cluster, and a fake clock that
// moves on by itself whenever the run waits on it.
type harness struct {
	t         *testing.T
	dir       string
	out       string
	original  []byte
	engine    *fakeEngine
	cluster   *fakeCluster
	clock     *clocktesting.FakeClock
	intr      chan os.Signal
	stdout    *lines
	stderr    *lines
	judged    []report.Options
	judgeCode int
	judge     Judge // replaces the fake judge when set
}

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func newHarness(t *testing.T) *harness {
	t.Helper()
	dir := t.TempDir()
	h := &harness{t: t, dir: dir, out: filepath.Join(dir, "out"), original: []byte(userStackFile),
		clock: clocktesting.NewFakeClock(t0), intr: make(chan os.Signal, 4), stdout: &lines{}, stderr: &lines{}}
	must(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte("name: chaos-mesh-otel\nruntime: go\n"), 0o644))
	cfgFile := filepath.Join(dir, "Pulumi.dev.yaml")
	must(t, os.WriteFile(cfgFile, h.original, 0o600))
	h.engine = &fakeEngine{h: h, info: StackInfo{Name: "dev", ConfigFile: cfgFile, LastKind: "update", LastResult: "succeeded",
		LastEnd: t0.Add(-time.Hour), Resources: 93},
		values: map[string]string{"grafanaAdminPassword": "s3cret-pass", "context": "minikube",
			"scenarios": `{"checkout-pod-kill":{"enabled":false}}`}}
	h.cluster = &fakeCluster{h: h, objects: map[string]*unstructured.Unstructured{}}
	return h
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (h *harness) wiring() Wiring {
	judge := h.judge
	if judge == nil {
		// Like report.Execute: no window, no verdict.
		judge = func(_ context.Context, o report.Options, stdout, _ io.Writer) int {
			h.judged = append(h.judged, o)
			fmt.Fprintf(stdout, "fake report: %d window(s)\n", len(o.Windows))
			if len(o.Windows) == 0 {
				return ExitUnknown
			}
			return h.judgeCode
		}
	}
	return Wiring{
		OpenStack:  func(context.Context, string, string) (Engine, error) { return h.engine, nil },
		Parse:      fakeParse,
		Connect:    func(*Plan) (Cluster, error) { return h.cluster, nil },
		Judge:      judge,
		Clock:      h.clock,
		Interrupts: h.intr,
	}
}

// run runs `chaoslab run` with args after --stack dev --dir <project> --out <out>.
func (h *harness) run(args ...string) int {
	h.t.Helper()
	stop := make(chan struct{})
	go h.advanceClock(stop)
	defer close(stop)
	full := append([]string{"--stack", "dev", "--dir", h.dir, "--out", h.out}, args...)
	return Main(context.Background(), full, h.stdout, h.stderr, h.wiring())
}

// advanceClock moves the fake clock on by a second whenever something waits on it.
func (h *harness) advanceClock(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		if h.clock.HasWaiters() {
			h.clock.Step(time.Second)
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// interruptNow sends SIGTERM and waits until the run has taken it (it prints a line saying what it does).
func (h *harness) interruptNow() {
	before := strings.Count(h.stdout.String(), "terminated: ")
	h.intr <- syscall.SIGTERM
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(h.stdout.String(), "terminated: ") == before {
		if time.Now().After(deadline) {
			h.t.Fatal("the run did not take the interrupt")
		}
		time.Sleep(time.Millisecond)
	}
}

// interruptOn sends SIGTERM when a line containing marker is printed.
func (h *harness) interruptOn(marker string) {
	h.stdout.on(marker, func() { h.intr <- syscall.SIGTERM })
}

// assertNothingLeft checks the run's promise: the config file byte-identical, no chaos object, no journal,
// no port-forward left open, and the lock free.
func (h *harness) assertNothingLeft() {
	h.t.Helper()
	got, err := os.ReadFile(h.engine.info.ConfigFile)
	if err != nil || !bytes.Equal(got, h.original) {
		h.t.Errorf("Pulumi.dev.yaml not restored byte for byte (%v):\n--- got\n%s\n--- want\n%s", err, got, h.original)
	}
	if objs, _ := h.cluster.ChaosObjects(context.Background()); len(objs) > 0 {
		h.t.Errorf("chaos objects left: %v", objs)
	}
	if _, err := os.Stat(filepath.Join(h.dir, ".chaoslab", "run-dev.journal.json")); err == nil {
		h.t.Errorf("the run's journal is still there")
	}
	if h.cluster.promOpen != 0 {
		h.t.Errorf("%d port-forward(s) to Prometheus left open", h.cluster.promOpen)
	}
	if rec, ok := h.cluster.record("dev"); ok {
		h.t.Errorf("the run's record is still on the cluster: %s", rec)
	}
	f, err := lockStackFile(h.engine.info.ConfigFile, "dev", runRecord{Stack: "dev"})
	if err != nil {
		h.t.Errorf("the run lock is still held: %v", err)
	} else {
		f.unlock()
	}
}

// assertInOrder checks that the output holds each fragment, in this order.
func assertInOrder(t *testing.T, out string, fragments ...string) {
	t.Helper()
	rest := out
	for _, f := range fragments {
		i := strings.Index(rest, f)
		if i < 0 {
			t.Fatalf("output lacks %q (in order) after the earlier fragments; output:\n%s", f, out)
		}
		rest = rest[i+len(f):]
	}
}
