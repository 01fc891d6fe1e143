package scenarios

import (
	"regexp"
	"slices"
	"strings"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// Annotations and labels written on the objects.
const (
	PauseAnnotation = v1alpha1.PauseAnnotationKey      // experiment.chaos-mesh.org/pause
	AbortAnnotation = v1alpha1.WorkflowAnnotationAbort // workflow.chaos-mesh.org/abort
	ScenarioLabel   = "chaos-mesh-otel.io/scenario"
	// SteadyStateAnnotation marks a Workflow whose StatusCheck aborts it when the steady state breaks. It is
	// there for Chaos Mesh's sake too: its controller (2.8.3) adds the abort annotation to the Workflow's
	// annotations without creating the map first, so a StatusCheck that tries to abort a Workflow with no
	// annotation at all panics and never aborts it (seen with the real controller in e2e).
	SteadyStateAnnotation = "chaos-mesh-otel.io/aborts-on-steady-state"
	// maxNameLen leaves room for the suffixes Chaos Mesh appends to spawned objects and workflow nodes.
	maxNameLen = 48
)

var apiVersion = v1alpha1.SchemeGroupVersion.String()

var notDNS = regexp.MustCompile(`[^a-z0-9-]+`)

// dnsName derives a DNS-1123 label from a config key: lower case, runs of other characters become '-',
// no leading or trailing '-', at most maxNameLen characters.
func dnsName(key string) string {
	s := dnsForm(key)
	if len(s) > maxNameLen {
		s = strings.TrimRight(s[:maxNameLen], "-")
	}
	return s
}

// dnsForm is the key as a DNS-1123 label, before it is shortened to maxNameLen.
func dnsForm(key string) string {
	s := notDNS.ReplaceAllString(strings.ToLower(key), "-")
	s = strings.Trim(s, "-")
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "-")
	}
	return s
}

// shortened says whether a key's object name had to be cut to maxNameLen characters.
func shortened(key string) bool { return len(dnsForm(key)) > maxNameLen }

func objectMeta(name string, opts Options) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:      name,
		Namespace: opts.Deployment.App.Namespace,
		Labels:    map[string]string{apps.PartOfLabel: apps.PartOfValue, ScenarioLabel: name},
	}
}

// withDuration returns a copy of the chaos whose spec carries the duration (a Schedule's spawned objects
// need it; a workflow template has a deadline instead).
func withDuration(ec *v1alpha1.EmbedChaos, d string) v1alpha1.EmbedChaos {
	out := *ec.DeepCopy()
	ds := &d
	switch {
	case out.NetworkChaos != nil:
		out.NetworkChaos.Duration = ds
	case out.StressChaos != nil:
		out.StressChaos.Duration = ds
	case out.HTTPChaos != nil:
		out.HTTPChaos.Duration = ds
	case out.DNSChaos != nil:
		out.DNSChaos.Duration = ds
	case out.IOChaos != nil:
		out.IOChaos.Duration = ds
	case out.TimeChaos != nil:
		out.TimeChaos.Duration = ds
	case out.PodChaos != nil:
		out.PodChaos.Duration = ds
	}
	return out
}

// chaosObject makes the Schedule (with a schedule) or the one-shot Workflow of a single-fault scenario.
func chaosObject(name string, cc *compiled, opts Options) Object {
	if cc.s.Schedule != "" {
		return newSchedule(name, cc.s.Schedule, v1alpha1.ScheduleTemplateType(cc.kind),
			v1alpha1.ScheduleItem{EmbedChaos: withDuration(cc.chaos, cc.duration)}, opts)
	}
	return newWorkflow(name, oneShotSpec(name, cc), opts)
}

// oneShotSpec is a Workflow that runs the chaos once, in a step named name.
func oneShotSpec(name string, cc *compiled) v1alpha1.WorkflowSpec {
	return v1alpha1.WorkflowSpec{
		Entry: "entry",
		Templates: []v1alpha1.Template{
			{Name: "entry", Type: v1alpha1.TypeSerial, Children: []string{name}},
			chaosTemplate(name, cc),
		},
	}
}

// gamedayObject makes the Workflow of a game day, or its Schedule of type Workflow.
func gamedayObject(name string, s *scenario, ws *v1alpha1.WorkflowSpec, opts Options) Object {
	if s.Schedule != "" {
		return newSchedule(name, s.Schedule, v1alpha1.ScheduleTypeWorkflow, v1alpha1.ScheduleItem{Workflow: ws}, opts)
	}
	return newWorkflow(name, *ws, opts)
}

// newSchedule makes a Schedule; halt pauses it.
func newSchedule(name, cron string, kind v1alpha1.ScheduleTemplateType, item v1alpha1.ScheduleItem, opts Options) Object {
	sch := &v1alpha1.Schedule{
		TypeMeta:   metav1.TypeMeta{APIVersion: apiVersion, Kind: v1alpha1.KindSchedule},
		ObjectMeta: objectMeta(name, opts),
		Spec: v1alpha1.ScheduleSpec{
			Schedule:          cron,
			ConcurrencyPolicy: v1alpha1.ForbidConcurrent,
			HistoryLimit:      5,
			Type:              kind,
			ScheduleItem:      item,
		},
	}
	if opts.Halt {
		setAnnotation(&sch.ObjectMeta, PauseAnnotation)
	}
	return Object{Name: name, Kind: KindSchedule, Typed: sch}
}

// newWorkflow makes a Workflow; halt aborts it, since Chaos Mesh cannot pause a Workflow, and makes its
// steps select no pod (haltSelectors).
func newWorkflow(name string, spec v1alpha1.WorkflowSpec, opts Options) Object {
	wf := &v1alpha1.Workflow{
		TypeMeta:   metav1.TypeMeta{APIVersion: apiVersion, Kind: v1alpha1.KindWorkflow},
		ObjectMeta: objectMeta(name, opts),
		Spec:       *spec.DeepCopy(),
	}
	if opts.Halt {
		setAnnotation(&wf.ObjectMeta, AbortAnnotation)
		haltSelectors(&wf.Spec)
	}
	if slices.ContainsFunc(spec.Templates, func(t v1alpha1.Template) bool { return t.AbortWithStatusCheck }) {
		setAnnotation(&wf.ObjectMeta, SteadyStateAnnotation)
	}
	return Object{Name: name, Kind: KindWorkflow, Typed: wf}
}

func chaosTemplate(name string, cc *compiled) v1alpha1.Template {
	d := cc.duration
	return v1alpha1.Template{Name: name, Type: cc.kind, Deadline: &d, EmbedChaos: cc.chaos.DeepCopy()}
}

func setAnnotation(m *metav1.ObjectMeta, key string) {
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[key] = "true"
}

// toManifest converts a typed object to its unstructured form without status.
func toManifest(obj client.Object) (map[string]any, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	delete(m, "status")
	if meta, ok := m["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	return m, nil
}
