package experiment

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

// tracker follows the run's scenarios on the cluster from the watch's observations. It prints what Chaos
// Mesh does (runs spawned, workflow steps, injections and failures to inject, warnings), decides when the
// experiment has ended, and keeps the last state of every chaos object it saw, so that the fault windows
// can be read after the objects are gone.
type tracker struct {
	mu         sync.Mutex
	out        *progress
	scenarios  []*scenarioState
	objects    map[string]*seenObject // "Kind/name" → an object of one of the scenarios
	events     map[string]int32       // Event UID → count already printed
	runsWanted int                    // runs of each Schedule that end it; 0: only --for ends it
	changed    chan struct{}          // poked after every observation
	injected   int                    // successful applies seen
	failed     int                    // failed applies and recovers seen
	// switchingOff is set when the run starts deleting its objects: a deletion seen before that was made by
	// someone else, and cuts the experiment short.
	switchingOff bool
}

// scenarioState is one scenario of the run as seen so far.
type scenarioState struct {
	Scenario
	top      *seenObject   // its Schedule or Workflow
	runs     []*seenObject // what its Schedule spawned, in order
	finished int           // runs that ended
	ended    string        // why it ended; empty while it goes on
	// struck is the time of its first successful injection; zero until Chaos Mesh reports one.
	struck time.Time
	// failures are Chaos Mesh's own words on what went wrong: failed records, warning events, a selector
	// that selected nothing; the newest last.
	failures []string
	// failedInjections counts the failed Apply records.
	failedInjections int
	// deletedByOther is set when its object was deleted by someone else than the run.
	deletedByOther bool
}

// maxFailures bounds the failure messages kept per scenario (Chaos Mesh repeats itself on every retry).
const maxFailures = 5

// noteFailure keeps a failure message of a scenario, once.
func (s *scenarioState) noteFailure(msg string) {
	if slices.Contains(s.failures, msg) {
		return
	}
	s.failures = append(s.failures, msg)
	if len(s.failures) > maxFailures {
		s.failures = s.failures[len(s.failures)-maxFailures:]
	}
}

// seenObject is one Chaos Mesh object of a scenario.
type seenObject struct {
	kind, name string
	scenario   *scenarioState
	obj        *unstructured.Unstructured // last state seen
	run        int                        // its number when a Schedule spawned it or it is the kick-off, else 0
	deleted    time.Time
	told       map[string]bool // record events and conditions already printed
}

func (o *seenObject) String() string { return o.kind + " " + o.name }

func newTracker(out *progress, scenarios []Scenario, runsWanted int) *tracker {
	t := &tracker{out: out, objects: map[string]*seenObject{}, events: map[string]int32{}, runsWanted: runsWanted,
		changed: make(chan struct{}, 1)}
	for _, s := range scenarios {
		t.scenarios = append(t.scenarios, &scenarioState{Scenario: s})
	}
	return t
}

// observe takes one observation of the watch.
func (t *tracker) observe(o Observation) {
	t.mu.Lock()
	switch o.Type {
	case Event:
		t.observeEvent(o)
	case Lost:
		t.out.at(o.Time, "watch: %v (changes may be seen late until it reconnects)", o.Problem)
	default:
		t.observeObject(o)
	}
	t.mu.Unlock()
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

func (t *tracker) observeObject(o Observation) {
	u := o.Object
	key := u.GetKind() + "/" + u.GetName()
	so := t.objects[key]
	if so == nil {
		s := t.owner(u)
		if s == nil {
			return
		}
		so = &seenObject{kind: u.GetKind(), name: u.GetName(), scenario: s, obj: u, told: map[string]bool{}}
		t.objects[key] = so
		t.added(so, o.Time)
	}
	so.obj = u
	if o.Type == Deleted {
		if so.deleted.IsZero() {
			so.deleted = o.Time
			t.out.at(o.Time, "%s: %s deleted", so.scenario.Name, so)
		}
	} else {
		t.changes(so, o.Time)
	}
	t.checkEnded(so.scenario, o.Time)
}

// Labels that Chaos Mesh and the scenarios package put on what they create.
const (
	scenarioLabel = report.ScenarioLabel             // on the Schedules and Workflows the lab declares
	kickOffLabel  = scenarios.KickOffLabel           // on the Workflow that strikes once beside a Schedule
	managedBy     = v1alpha1.LabelManagedBy          // on what a Schedule spawns: the Schedule's name
	workflowLabel = v1alpha1.LabelWorkflow           // on a Workflow's nodes and chaos: the Workflow's name
	controlledBy  = v1alpha1.LabelControlledBy       // on a node's children: the node's name
	pauseMark     = v1alpha1.PauseAnnotationKey      // a paused Schedule or chaos
	abortMark     = v1alpha1.WorkflowAnnotationAbort // an aborted Workflow
)

// owner finds the scenario an object belongs to: by its name or the labels Chaos Mesh gives it, else by the
// name prefix "<object>-" that spawned objects carry (the longest such prefix wins).
func (t *tracker) owner(u *unstructured.Unstructured) *scenarioState {
	labels, name := u.GetLabels(), u.GetName()
	for _, s := range t.scenarios {
		if s.Object == "" {
			continue
		}
		if (name == s.Object && u.GetKind() == s.Kind) || labels[scenarioLabel] == s.Object ||
			labels[managedBy] == s.Object || labels[workflowLabel] == s.Object {
			return s
		}
	}
	// The nodes and chaos of a Workflow that a Schedule spawned carry that Workflow's name.
	if wf := t.objects[v1alpha1.KindWorkflow+"/"+labels[workflowLabel]]; wf != nil {
		return wf.scenario
	}
	var best *scenarioState
	for _, s := range t.scenarios {
		if s.Object != "" && strings.HasPrefix(name, s.Object+"-") && (best == nil || len(s.Object) > len(best.Object)) {
			best = s
		}
	}
	return best
}

// added prints a new object of a scenario.
func (t *tracker) added(so *seenObject, at time.Time) {
	s, u := so.scenario, so.obj
	switch {
	case so.name == s.Object && so.kind == s.Kind:
		s.top = so
		what := s.Fault + " on " + s.Target
		if s.Schedule != "" {
			what += ", " + s.Schedule
		}
		t.out.at(at, "%s: %s %s/%s is on the cluster (%s)", s.Name, so.kind, u.GetNamespace(), so.name, what)
	case u.GetLabels()[managedBy] == s.Object:
		s.runs = append(s.runs, so)
		so.run = len(s.runs)
		t.out.at(at, "%s: run %d: %s spawned", s.Name, so.run, so)
	case so.kind == v1alpha1.KindWorkflow && u.GetLabels()[kickOffLabel] == s.Object:
		// The kick-off strikes at switch-on, one interval before the Schedule's first run: it is the
		// scenario's first run, and counts towards --runs like the Schedule's.
		s.runs = append(s.runs, so)
		so.run = len(s.runs)
		t.out.at(at, "%s: run %d: kick-off %s created (the Schedule's first run follows one interval later)", s.Name, so.run, so)
	case so.kind == "WorkflowNode":
		tmpl, _, _ := unstructured.NestedString(u.Object, "spec", "templateName")
		typ, _, _ := unstructured.NestedString(u.Object, "spec", "type")
		if typ != string(v1alpha1.TypeSerial) && typ != string(v1alpha1.TypeParallel) {
			t.out.at(at, "%s: step %s started (%s)", s.Name, tmpl, typ)
		}
	case so.kind == "StatusCheck":
		t.out.at(at, "%s: steady-state check %s started", s.Name, so.name)
	default:
		t.out.at(at, "%s: %s created", s.Name, so)
	}
}

// changes prints what is new in an object's status.
func (t *tracker) changes(so *seenObject, at time.Time) {
	switch {
	case strings.HasSuffix(so.kind, "Chaos"):
		t.chaosChanges(so, at)
	case so.kind == "WorkflowNode":
		t.nodeChanges(so, at)
	case so.kind == "StatusCheck":
		conds := conditions(so.obj)
		if conds["FailureThresholdExceed"] == "True" && t.tell(so, "failure-threshold") {
			t.out.at(at, "%s: steady-state check %s failed too often: Chaos Mesh aborts the workflow", so.scenario.Name, so.name)
		}
	case so.kind == v1alpha1.KindWorkflow && so == so.scenario.top:
		if workflowFinished(so.obj) && t.tell(so, "accomplished") {
			t.out.at(at, "%s: Workflow %s %s", so.scenario.Name, so.name, t.workflowOutcome(so))
		}
	}
	if so.run > 0 && runFinished(so.obj) && t.tell(so, "run-finished") {
		so.scenario.finished++
		t.out.at(at, "%s: run %d finished (%s)", so.scenario.Name, so.run, so)
	}
}

// tell reports whether what has not been printed for the object yet, and marks it printed.
func (t *tracker) tell(so *seenObject, what string) bool {
	if so.told[what] {
		return false
	}
	so.told[what] = true
	return true
}

func (t *tracker) chaosChanges(so *seenObject, at time.Time) {
	s := so.scenario
	status := chaosStatus(so.obj)
	for _, rec := range status.Experiment.Records {
		if rec == nil {
			continue
		}
		for _, ev := range rec.Events {
			stamp := ""
			if ev.Timestamp != nil {
				stamp = ev.Timestamp.UTC().Format(time.RFC3339Nano)
			}
			if !t.tell(so, strings.Join([]string{rec.Id, string(ev.Operation), string(ev.Type), stamp}, "|")) {
				continue
			}
			when := at
			if ev.Timestamp != nil {
				when = ev.Timestamp.Time
			}
			t.out.at(when, "%s: %s: %s", s.Name, so, recordLine(rec.Id, ev))
			switch {
			case ev.Type == v1alpha1.TypeSucceeded && ev.Operation == v1alpha1.Apply:
				t.injected++
				if s.struck.IsZero() {
					s.struck = when
				}
			case ev.Type == v1alpha1.TypeFailed:
				t.failed++
				if ev.Operation == v1alpha1.Apply {
					s.failedInjections++
				}
				s.noteFailure(fmt.Sprintf("%s: %s", so, recordLine(rec.Id, ev)))
			}
		}
	}
	conds := conditions(so.obj)
	if conds[string(v1alpha1.ConditionSelected)] == "False" && t.tell(so, "selected-none") {
		t.out.at(at, "%s: %s selected no target%s", s.Name, so, reasonSuffix(so.obj, string(v1alpha1.ConditionSelected)))
		s.noteFailure(fmt.Sprintf("%s selected no target%s", so, reasonSuffix(so.obj, string(v1alpha1.ConditionSelected))))
	}
	if so.obj.GetAnnotations()[pauseMark] == "true" && t.tell(so, "paused") {
		t.out.at(at, "%s: %s paused", s.Name, so)
	}
}

func recordLine(target string, ev v1alpha1.RecordEvent) string {
	msg := ""
	if ev.Message != "" {
		msg = ": " + ev.Message
	}
	switch {
	case ev.Operation == v1alpha1.Apply && ev.Type == v1alpha1.TypeSucceeded:
		return "injected into " + target
	case ev.Operation == v1alpha1.Apply:
		return "FAILED to inject into " + target + msg
	case ev.Type == v1alpha1.TypeSucceeded:
		return "recovered " + target
	default:
		return "FAILED to recover " + target + msg
	}
}

func (t *tracker) nodeChanges(so *seenObject, at time.Time) {
	tmpl, _, _ := unstructured.NestedString(so.obj.Object, "spec", "templateName")
	typ, _, _ := unstructured.NestedString(so.obj.Object, "spec", "type")
	if typ == string(v1alpha1.TypeSerial) || typ == string(v1alpha1.TypeParallel) {
		return
	}
	conds := conditions(so.obj)
	switch {
	case conds[string(v1alpha1.ConditionAborted)] == "True":
		if t.tell(so, "ended") {
			t.out.at(at, "%s: step %s aborted", so.scenario.Name, tmpl)
		}
	case conds[string(v1alpha1.ConditionAccomplished)] == "True", conds[string(v1alpha1.ConditionDeadlineExceed)] == "True":
		if t.tell(so, "ended") {
			t.out.at(at, "%s: step %s finished", so.scenario.Name, tmpl)
		}
	}
}

// workflowOutcome says how a finished Workflow ended: aborted if its entry node was.
func (t *tracker) workflowOutcome(wf *seenObject) string {
	if wf.obj.GetAnnotations()[abortMark] == "true" {
		return "aborted (halted)"
	}
	entry, _, _ := unstructured.NestedString(wf.obj.Object, "status", "entryNode")
	if node := t.objects["WorkflowNode/"+entry]; node != nil && conditions(node.obj)[string(v1alpha1.ConditionAborted)] == "True" {
		return "aborted" + reasonSuffix(node.obj, string(v1alpha1.ConditionAborted))
	}
	return "finished"
}

// checkEnded marks a scenario ended once its own end has come: a Workflow finished, a Schedule ran the
// runs wanted, or its object was deleted. A flag never ends by itself.
func (t *tracker) checkEnded(s *scenarioState, at time.Time) {
	if s.ended != "" || s.top == nil {
		return
	}
	switch {
	case !s.top.deleted.IsZero() && !t.switchingOff:
		s.ended = s.Kind + " " + s.top.name + " deleted from the cluster by someone else than this run: the experiment was cut short"
		s.deletedByOther = true
	case !s.top.deleted.IsZero():
		s.ended = s.Kind + " deleted from the cluster"
	case s.Kind == KindWorkflow && workflowFinished(s.top.obj):
		s.ended = "Workflow " + t.workflowOutcome(s.top)
	case s.Kind == KindSchedule && t.runsWanted > 0 && s.finished >= t.runsWanted:
		s.ended = fmt.Sprintf("%d run(s) finished", s.finished)
	default:
		return
	}
	t.out.at(at, "%s: ended: %s", s.Name, s.ended)
}

// ended reports whether every scenario has ended by itself, and how.
func (t *tracker) ended() (bool, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var why []string
	for _, s := range t.scenarios {
		if s.ended == "" {
			return false, ""
		}
		why = append(why, s.Name+": "+s.ended)
	}
	return true, strings.Join(why, "; ")
}

// counts returns the runs spawned, the injections and the failures seen so far.
func (t *tracker) counts() (runs, injected, failed int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.scenarios {
		runs += len(s.runs)
	}
	return runs, t.injected, t.failed
}

// windows are the fault windows seen: each chaos object's, as report reads them, ending at its deletion
// or at now; and a flag's, from flagOn to flagOff (when the updates that switched it ended).
func (t *tracker) windows(now, flagOn, flagOff time.Time) ([]report.Window, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []report.Window
	for _, so := range t.objects {
		if !strings.HasSuffix(so.kind, "Chaos") {
			continue
		}
		at := now
		if !so.deleted.IsZero() {
			at = so.deleted
		}
		w, ok, err := report.WindowOf(so.obj, "", at)
		if err != nil {
			return nil, err
		}
		if ok {
			w.Scenario = so.scenario.Name
			if w.Target == "" && !strings.Contains(so.scenario.Target, ",") {
				w.Target = so.scenario.Target
			}
			out = append(out, w)
		}
	}
	for _, s := range t.scenarios {
		if s.Kind == KindFlag && !flagOn.IsZero() && flagOff.After(flagOn) {
			out = append(out, report.Window{Scenario: s.Name, Start: flagOn.UTC(), End: flagOff.UTC(), Target: s.Target,
				Source: "flag (stack config)"})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

// startSwitchOff tells the tracker that the run deletes its objects from now on.
func (t *tracker) startSwitchOff() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.switchingOff = true
}

// strike is what is known of one scenario's strike.
type strike struct {
	Scenario         Scenario
	Struck           time.Time // zero when it has not struck
	FailedInjections int
	Failures         []string // Chaos Mesh's words, newest last
	DeletedByOther   bool
}

// strikes reports each scenario's strike so far, in the run's order.
func (t *tracker) strikes() []strike {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]strike, len(t.scenarios))
	for i, s := range t.scenarios {
		out[i] = strike{Scenario: s.Scenario, Struck: s.struck, FailedInjections: s.failedInjections,
			Failures: slices.Clone(s.failures), DeletedByOther: s.deletedByOther}
	}
	return out
}
