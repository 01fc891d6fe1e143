package report

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// Window is one fault window: when a fault was applied and recovered.
type Window struct {
	Scenario string    `json:"scenario"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	// Target is the Deployment / service the fault hit (app.kubernetes.io/component), when known.
	Target string `json:"target,omitempty"`
	// Source says where the window came from: "file" or Kind/namespace/name of the chaos object.
	Source string `json:"source,omitempty"`
	// Ongoing is set when the fault had not been recovered yet; End is then the time of reading.
	Ongoing bool `json:"ongoing,omitempty"`
}

// windowEntry is one element of the --windows YAML file.
type windowEntry struct {
	Scenario string `json:"scenario"`
	Start    string `json:"start"`
	End      string `json:"end"`
	Target   string `json:"target,omitempty"`
}

// ParseWindows reads the --windows YAML: a list of {scenario, start, end} with RFC 3339 times, plus an optional
// target (the service the fault hit). Every problem is reported with its index.
func ParseWindows(raw []byte) ([]Window, error) {
	var entries []windowEntry
	if err := yaml.UnmarshalStrict(raw, &entries); err != nil {
		return nil, fmt.Errorf("windows: expected a YAML list of {scenario, start, end}: %w", err)
	}
	var errs []string
	var out []Window
	for i, e := range entries {
		p := fmt.Sprintf("windows[%d]", i)
		w := Window{Scenario: e.Scenario, Target: e.Target, Source: "file"}
		if e.Scenario == "" {
			errs = append(errs, p+".scenario: required")
		}
		var err error
		if w.Start, err = time.Parse(time.RFC3339, e.Start); err != nil {
			errs = append(errs, fmt.Sprintf("%s.start: %q is not RFC 3339 (2006-01-02T15:04:05Z)", p, e.Start))
		}
		if w.End, err = time.Parse(time.RFC3339, e.End); err != nil {
			errs = append(errs, fmt.Sprintf("%s.end: %q is not RFC 3339 (2006-01-02T15:04:05Z)", p, e.End))
		}
		if !w.Start.IsZero() && !w.End.IsZero() && !w.End.After(w.Start) {
			errs = append(errs, p+".end: must be after start")
		}
		out = append(out, w)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return out, nil
}

// SelectWindows keeps the scenario's windows (all when scenario is empty) that overlap [from, to], by start.
func SelectWindows(ws []Window, scenario string, from, to time.Time) []Window {
	var out []Window
	for _, w := range ws {
		if scenario != "" && w.Scenario != scenario {
			continue
		}
		if (!from.IsZero() && w.End.Before(from)) || (!to.IsZero() && w.Start.After(to)) {
			continue
		}
		out = append(out, w)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// ChaosResources are the Chaos Mesh kinds whose status records carry Apply/Recover events. Schedules and
// Workflows spawn objects of these kinds, labelled with their name.
var ChaosResources = []string{
	"podchaos", "networkchaos", "stresschaos", "iochaos", "timechaos", "dnschaos", "httpchaos",
	"jvmchaos", "kernelchaos", "blockchaos",
}

// ChaosGroupVersion is where Chaos Mesh serves them.
var ChaosGroupVersion = schema.GroupVersion{Group: "chaos-mesh.org", Version: "v1alpha1"}

// ScenarioLabel marks every chaos object of the lab with the scenario it belongs to.
const ScenarioLabel = "chaos-mesh-otel.io/scenario"

// ComponentLabel is the pod label that selects a service of the app under test.
var ComponentLabel = apps.AstronomyShop.SelectorLabel

// FromCluster reads the fault windows of a scenario from the chaos objects in namespace. An object belongs to
// the scenario when it carries the label chaos-mesh-otel.io/scenario=<scenario>, is named after it, has a name
// starting with "<scenario>-", or when a Schedule (label managed-by) or Workflow (label chaos-mesh.org/workflow)
// of that name created it. Schedules keep only their last historyLimit chaos objects, so older runs are gone.
// The chaos objects of finished Workflow steps (Chaos Mesh deletes them) are read from their events, by name
// ("<scenario>-…"), when a scenario is given (see windowsFromEvents).
func FromCluster(ctx context.Context, dyn dynamic.Interface, namespace, scenario string, now time.Time) ([]Window, error) {
	var out []Window
	live := map[types.UID]bool{}
	for _, res := range ChaosResources {
		list, err := dyn.Resource(ChaosGroupVersion.WithResource(res)).Namespace(namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) {
				continue // kind not installed
			}
			return nil, fmt.Errorf("list %s in %s: %w", res, namespace, err)
		}
		for i := range list.Items {
			live[list.Items[i].GetUID()] = true
			w, ok, err := windowOf(&list.Items[i], scenario, now)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, w)
			}
		}
	}
	deleted, err := windowsFromEvents(ctx, dyn, namespace, scenario, live)
	if err != nil {
		return nil, err
	}
	out = append(out, deleted...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

func scenarioOf(u *unstructured.Unstructured, scenario string) (string, bool) {
	labels := u.GetLabels()
	candidates := []string{labels[ScenarioLabel], labels[v1alpha1.LabelManagedBy], labels[v1alpha1.LabelWorkflow], u.GetName()}
	if scenario == "" {
		for _, c := range candidates {
			if c != "" {
				return c, true
			}
		}
		return "", false
	}
	for _, c := range candidates {
		if c == scenario {
			return scenario, true
		}
	}
	return scenario, strings.HasPrefix(u.GetName(), scenario+"-")
}

// windowOf turns one chaos object's records into a window: the first successful Apply to the last successful
// Recover across its targets. Without a Recover the fault is still on (End = now), unless spec.duration ended it.
func windowOf(u *unstructured.Unstructured, scenario string, now time.Time) (Window, bool, error) {
	name, ok := scenarioOf(u, scenario)
	if !ok {
		return Window{}, false, nil
	}
	rawStatus, found, _ := unstructured.NestedMap(u.Object, "status")
	if !found {
		return Window{}, false, nil
	}
	var st v1alpha1.ChaosStatus
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(rawStatus, &st); err != nil {
		return Window{}, false, fmt.Errorf("%s %s/%s: status: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	var start, end time.Time
	injected := false
	for _, rec := range st.Experiment.Records {
		if rec == nil {
			continue
		}
		if rec.Phase == v1alpha1.Injected {
			injected = true
		}
		for _, ev := range rec.Events {
			if ev.Type != v1alpha1.TypeSucceeded || ev.Timestamp == nil {
				continue
			}
			t := ev.Timestamp.Time
			switch ev.Operation {
			case v1alpha1.Apply:
				if start.IsZero() || t.Before(start) {
					start = t
				}
			case v1alpha1.Recover:
				if t.After(end) {
					end = t
				}
			}
		}
	}
	if start.IsZero() {
		return Window{}, false, nil // never applied
	}
	w := Window{Scenario: name, Start: start.UTC(), Source: fmt.Sprintf("%s/%s/%s", u.GetKind(), u.GetNamespace(), u.GetName())}
	if sel, ok, _ := unstructured.NestedStringMap(u.Object, "spec", "selector", "labelSelectors"); ok {
		w.Target = sel[ComponentLabel]
	}
	switch {
	case !end.IsZero() && !injected && end.After(start):
		w.End = end.UTC()
	default:
		w.End = now.UTC()
		if d, ok, _ := unstructured.NestedString(u.Object, "spec", "duration"); ok {
			if dd, err := time.ParseDuration(d); err == nil && start.Add(dd).Before(now) {
				w.End = start.Add(dd).UTC()
				break
			}
		}
		w.Ongoing = true
	}
	return w, true, nil
}
