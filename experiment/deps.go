// Package experiment is `chaoslab run`: one chaos experiment on a live lab, from the stack's config to a
// verdict. It checks that the lab is up, switches scenarios on in the stack's config and updates the stack,
// watches Chaos Mesh act on the cluster, switches the scenarios off again (always, and with the user's config
// file restored byte for byte), and judges the fault windows it saw with package report.
//
// The run is a small state machine (run.go) over four dependencies: the stack (Engine), the cluster
// (Cluster), the clock and the judge. Packages experiment/labstack and experiment/cluster provide the real
// ones; the tests drive the machine with fakes.
package experiment

import (
	"context"
	"io"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/clock"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/exitcode"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// Engine is the stack side of a run: the lab's Pulumi stack.
type Engine interface {
	// Inspect says whether the stack exists, how its last operation ended and where its config file is.
	Inspect(ctx context.Context) (StackInfo, error)
	// Config returns the stack's config values by key without the project namespace (scenarios, halt, ...),
	// secrets in plain text, structured values as JSON, as the program reads them.
	Config(ctx context.Context) (map[string]string, error)
	// Switch sets chaos-mesh-otel:scenarios.<name>.enabled to on for each scenario in the stack's config file.
	Switch(ctx context.Context, scenarios []string, on bool) error
	// Revert sets each scenario's enabled key back to what it was before a run (removing what the run
	// added), and touches nothing else of the stack's config file: a person's edits stay.
	Revert(ctx context.Context, switches []Switch) error
	// Update runs an update with the lab's program. log receives the engine's whole output; changed is called
	// for each resource that the update changes.
	Update(ctx context.Context, log io.Writer, changed func(Change)) (UpdateResult, error)
	// Unlock clears the stack's lock (pulumi cancel). Called only for a lock whose holder has ended.
	Unlock(ctx context.Context) error
}

// StackInfo is what Inspect finds.
type StackInfo struct {
	Name       string
	ConfigFile string    // absolute path of Pulumi.<stack>.yaml (it may not exist yet)
	LastKind   string    // kind of the last operation: update, destroy, refresh, ...; empty if never updated
	LastResult string    // succeeded, failed, in-progress
	LastEnd    time.Time // when it ended
	Resources  int       // resources in the stack's state
}

// Change is one resource that an update changed.
type Change struct {
	Op   string // create, update, delete, replace, ...
	Type string // resource type token, e.g. kubernetes:chaos-mesh.org/v1alpha1:Schedule
	Name string // the resource's name in the program
}

// UpdateResult counts an update's operations by kind (same, create, update, delete, ...).
type UpdateResult struct {
	Changes map[string]int
}

// ParseFunc parses and validates a whole stack config, as the program does, given a lookup of its values.
type ParseFunc func(lookup func(key string) (string, bool)) (*Plan, error)

// Plan is what a run needs from the stack's parsed config.
type Plan struct {
	Halt          bool
	Kubeconfig    string // path or contents; empty: the ambient kubeconfig
	Context       string
	ShopNamespace string   // where the chaos objects live
	Namespaces    []string // the lab's namespaces: their workloads must be ready before a run
	SLOs          []slo.SLO
	Enabled       []Scenario // every scenario that the config switches on, sorted by name
}

// Scenario is one enabled scenario and what it becomes on the cluster.
type Scenario struct {
	Name     string // its key in chaos-mesh-otel:scenarios
	Kind     string // Schedule, Workflow or Flag
	Fault    string // the fault, or "gameday"
	Target   string
	Object   string // metadata.name of its Schedule or Workflow; empty for a flag
	Schedule string // a Schedule's cron or @every expression
	// KickOff is the Workflow that runs a Schedule's chaos once at switch-on (scenarios.KickOffName), empty
	// when the scenario waits for its schedule. It is the scenario's first run.
	KickOff string
}

// Kinds of Scenario.
const (
	KindSchedule = "Schedule"
	KindWorkflow = "Workflow"
	KindFlag     = "Flag"
)

// Cluster is the cluster side of a run.
type Cluster interface {
	// Unready lists the lab's workloads that are not ready, and how many were checked.
	Unready(ctx context.Context) (problems []string, checked int, err error)
	// ChaosObjects lists every Chaos Mesh object in the shop namespace (Schedules, Workflows, their nodes
	// and the chaos they spawned), as Kind/namespace/name.
	ChaosObjects(ctx context.Context) ([]string, error)
	// Watch sends what happens to the chaos objects of the shop namespace, and the events about them, until
	// ctx ends. It returns once it has listed what exists (later changes arrive as they happen).
	Watch(ctx context.Context, sink func(Observation)) error
	// Prometheus makes Prometheus reachable and checks that it answers: at url when given, else through a
	// port-forward that close ends.
	Prometheus(ctx context.Context, url string) (base string, close func(), err error)
	// Collector makes an OTLP/gRPC receiver reachable for the experiment's trace: endpoint when given, else
	// the lab's collector through a port-forward that close ends. It returns host:port.
	Collector(ctx context.Context, endpoint string) (addr string, close func(), err error)
	// DeleteUntracked deletes these objects of the app's namespace ("Kind/name": Schedules and Workflows of
	// the run) unless they are gone or already being deleted, and returns those it deleted.
	DeleteUntracked(ctx context.Context, objects []string) ([]string, error)
	// ClaimRun records a run on the cluster (see ledger.go); when a record of the stack is already there it
	// changes nothing and returns that record.
	ClaimRun(ctx context.Context, rec ClusterRecord) (held *ClusterRecord, err error)
	// UpdateRun rewrites the run's record (its heartbeat and phase).
	UpdateRun(ctx context.Context, rec ClusterRecord) error
	// ReadRun returns the record of a stack's run, nil when there is none.
	ReadRun(ctx context.Context, stack string) (*ClusterRecord, error)
	// ReleaseRun deletes the record of a stack's run; none is no error.
	ReleaseRun(ctx context.Context, stack string) error
}

// Observation is one thing the watch saw.
type Observation struct {
	Time    time.Time
	Type    ObservationType
	Object  *unstructured.Unstructured // Added, Updated, Deleted: the object (its last state when deleted)
	Event   *corev1.Event              // Event
	Problem error                      // Lost: why the watch stopped seeing changes
}

// ObservationType says what an Observation is.
type ObservationType string

// Types of Observation.
const (
	Added   ObservationType = "added"
	Updated ObservationType = "updated"
	Deleted ObservationType = "deleted"
	Event   ObservationType = "event"
	Lost    ObservationType = "lost"
)

// Judge writes the report of the windows and returns its exit code; report.Execute is the real one.
type Judge func(ctx context.Context, o report.Options, stdout, stderr io.Writer) int

// Wiring is everything a run uses from outside: the real one for `chaoslab run`, fakes in tests.
type Wiring struct {
	// OpenStack opens the stack of the Pulumi project in dir.
	OpenStack func(ctx context.Context, dir, stack string) (Engine, error)
	// Parse is the program's config parser (stacks.ParseConfig behind an adapter).
	Parse ParseFunc
	// Connect opens the cluster that the stack's config points at.
	Connect func(plan *Plan) (Cluster, error)
	Judge   Judge
	Clock   clock.Clock
	// Interrupts delivers SIGINT and SIGTERM (see NotifyInterrupts).
	Interrupts <-chan os.Signal
	// Signals, when Interrupts is nil, subscribes to SIGINT and SIGTERM for the time of the run (the real
	// command: NotifyInterrupts); stop ends the subscription.
	Signals func() (interrupts <-chan os.Signal, stop func())
}

// Exit codes of `chaoslab run`, from the one table of every chaoslab subcommand (package exitcode).
const (
	ExitOK        = exitcode.OK        // every SLO held (or degraded within tolerance)
	ExitSetup     = exitcode.Usage     // usage or setup error: flags, stack or cluster not ready, update failed
	ExitViolated  = exitcode.Failed    // an SLO was violated
	ExitInvalid   = exitcode.Failed    // the stack's config is invalid with the scenarios on, as pulumi preview would say
	ExitUnknown   = exitcode.Unknown   // could not judge: no fault window, data missing, interrupted
	ExitChaosLeft = exitcode.ChaosLeft // a scenario could not be switched off: chaos is left on the cluster
	ExitNoStrike  = exitcode.NoStrike  // a scenario did not strike within its deadline, or failed to inject
)
