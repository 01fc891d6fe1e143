package wiring

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/scenarios"
)

// Blast is what one chaos spec of an enabled scenario would touch.
type Blast struct {
	Scenario  string   // the scenario's name (its label), or flag:<name> for a flag override
	Object    string   // the chaos object: Kind namespace/name
	Step      string   // the workflow template's name; empty for a Schedule
	Fault     string   // PodChaos/pod-kill, NetworkChaos/delay, ...
	Mode      string   // one, all, fixed, fixed-percent, random-max-percent
	Workloads []string // the selected workloads, each with its replicas: Deployment otel-demo/checkout ×1
	Pods      int      // the pods that the selector matches (DaemonSets count as one per node: 1)
	Touched   string   // how many of them the mode touches
	Targets   []string // NetworkChaos: the workloads on the other end
}

// ScenarioResult is the result of the scenario check, with the blast radius.
type ScenarioResult struct {
	Partial
	Blast []Blast
}

// chaosSpecKinds maps the field that holds a chaos spec to its kind.
var chaosSpecKinds = map[string]string{
	"podChaos": "PodChaos", "networkChaos": "NetworkChaos", "httpChaos": "HTTPChaos", "stressChaos": "StressChaos",
	"ioChaos": "IOChaos", "timeChaos": "TimeChaos", "dnsChaos": "DNSChaos", "kernelChaos": "KernelChaos",
	"jvmChaos": "JVMChaos",
}

// CheckScenariosOf proves that every chaos object's selectors (and a NetworkChaos' target) match at least
// one pod template in a namespace that Chaos Mesh may inject into, that an HTTPChaos port is a container port
// of its target, and that every flag override names a flag of the demo; and it computes the blast radius.
func CheckScenariosOf(objs *Objects) ScenarioResult {
	var r ScenarioResult
	workloads := objs.workloads()
	for _, u := range objs.Items {
		if !strings.HasPrefix(u.GetAPIVersion(), "chaos-mesh.org/") || (u.GetKind() != "Schedule" && u.GetKind() != "Workflow" && chaosSpecKindOf(u.GetKind()) == "") {
			continue
		}
		scenario := u.GetLabels()[scenarios.ScenarioLabel]
		if scenario == "" {
			scenario = u.GetName()
		}
		var specs []chaosSpec
		findChaosSpecs(u.Object["spec"], "spec", u.GetKind(), &specs)
		if len(specs) == 0 {
			r.find(CheckScenarios, ref(u), "spec", "a chaos spec with a selector", "")
		}
		for _, s := range specs {
			b := Blast{Scenario: scenario, Object: ref(u), Step: s.step, Fault: s.fault, Mode: s.mode}
			matched := r.selectorMatches(objs, u, workloads, s.body, s.path+".selector")
			total := 0
			for _, w := range matched {
				b.Workloads = append(b.Workloads, fmt.Sprintf("%s ×%s", w.ref(), replicasText(w.replicas)))
				total += max(w.replicas, 1)
			}
			b.Pods = total
			b.Touched = touched(s.mode, s.value, total)
			if tgt, ok := s.body["target"].(map[string]any); ok {
				for _, w := range r.selectorMatches(objs, u, workloads, tgt, s.path+".target.selector") {
					b.Targets = append(b.Targets, fmt.Sprintf("%s ×%s", w.ref(), replicasText(w.replicas)))
				}
			}
			if s.fault == "HTTPChaos" || strings.HasPrefix(s.fault, "HTTPChaos/") {
				r.checkHTTPPort(u, s, matched)
			}
			r.Blast = append(r.Blast, b)
		}
	}
	r.checkFlags(objs, workloads)
	r.checkMesh(objs, workloads)
	sort.SliceStable(r.Blast, func(i, j int) bool {
		if r.Blast[i].Scenario != r.Blast[j].Scenario {
			return r.Blast[i].Scenario < r.Blast[j].Scenario
		}
		return false
	})
	return r
}

func chaosSpecKindOf(kind string) string {
	for _, k := range chaosSpecKinds {
		if k == kind {
			return k
		}
	}
	return ""
}

type chaosSpec struct {
	path, step, fault, mode, value string
	body                           map[string]any
}

// findChaosSpecs walks a chaos object for the maps that hold a chaos spec (a selector and a mode).
func findChaosSpecs(v any, path, parentKey string, out *[]chaosSpec) {
	switch t := v.(type) {
	case map[string]any:
		if _, hasSel := t["selector"].(map[string]any); hasSel {
			if _, hasMode := t["mode"]; hasMode {
				kind := chaosSpecKinds[parentKey]
				if kind == "" {
					kind = chaosSpecKindOf(parentKey)
				}
				fault := kind
				if a, ok := t["action"].(string); ok && a != "" {
					fault += "/" + a
				} else if kind == "StressChaos" {
					fault += "/stress"
				} else if kind == "HTTPChaos" {
					var acts []string
					for _, a := range []string{"abort", "delay", "replace", "patch"} {
						if _, ok := t[a]; ok {
							acts = append(acts, a)
						}
					}
					fault += "/" + strings.Join(acts, "+")
				}
				*out = append(*out, chaosSpec{path: path, fault: fault, mode: fmt.Sprint(t["mode"]), value: fmt.Sprint(t["value"]), body: t})
				return
			}
		}
		for _, k := range sortedKeys(t) {
			before := len(*out)
			findChaosSpecs(t[k], path+"."+k, k, out)
			// A workflow template's name is the step.
			if name, ok := t["name"].(string); ok && t["templateType"] != nil {
				for i := before; i < len(*out); i++ {
					(*out)[i].step = name
				}
			}
		}
	case []any:
		for i, e := range t {
			findChaosSpecs(e, fmt.Sprintf("%s[%d]", path, i), parentKey, out)
		}
	}
}

// halted says whether a chaos object and its namespace are both halted (chaos-mesh-otel:halt): the object
// paused or aborted, the namespace closed to chaos.
func halted(u, namespace *unstructured.Unstructured) bool {
	a := u.GetAnnotations()
	objectHalted := a[scenarios.PauseAnnotation] == "true" || a[scenarios.AbortAnnotation] == "true"
	return objectHalted && namespace.GetAnnotations()[scenarios.HaltedAnnotation] == "true" &&
		namespace.GetAnnotations()[components.ChaosInjectAnnotation] == components.ChaosInjectDisabled
}

// selectorMatches returns the workloads that a chaos selector matches, with findings for namespaces
// that Chaos Mesh may not inject into and for selectors that match nothing.
func (r *ScenarioResult) selectorMatches(objs *Objects, u *unstructured.Unstructured, workloads []*workload, spec map[string]any, field string) []*workload {
	sel, _ := spec["selector"].(map[string]any)
	namespaces := stringList(sel["namespaces"])
	if len(namespaces) == 0 {
		namespaces = []string{u.GetNamespace()}
	}
	labels := map[string]string{}
	if ls, ok := sel["labelSelectors"].(map[string]any); ok {
		for k, v := range ls {
			labels[k] = fmt.Sprint(v)
		}
	}
	for _, other := range []string{"expressionSelectors", "annotationSelectors", "fieldSelectors", "pods", "nodeSelectors", "nodes", "podPhaseSelectors"} {
		if _, ok := sel[other]; ok {
			r.note("scenarios: %s %s uses %s, which the checker does not evaluate", ref(u), field, other)
		}
	}
	var matched []*workload
	for _, ns := range namespaces {
		nsObj := objs.Get("Namespace", "", ns)
		if nsObj == nil {
			r.find(CheckScenarios, ref(u), field+".namespaces", "Namespace "+ns, "")
			continue
		}
		// A halted object in a namespace that halt has closed is the kill switch at work, not a miswiring.
		if nsObj.GetAnnotations()[components.ChaosInjectAnnotation] != components.ChaosInjectEnabled && !halted(u, nsObj) {
			r.find(CheckScenarios, ref(u), field+".namespaces", fmt.Sprintf("annotation %s=enabled on Namespace %s", components.ChaosInjectAnnotation, ns),
				"Chaos Mesh filters namespaces: it will not inject there")
		}
		for _, w := range workloads {
			if w.obj.GetNamespace() == ns && (len(labels) == 0 || selects(labels, w.template.Labels)) {
				matched = append(matched, w)
			}
		}
	}
	if len(matched) == 0 {
		r.find(CheckScenarios, ref(u), field, fmt.Sprintf("a pod template in %s with labels %s", strings.Join(namespaces, ","), formatSelector(labels)), "the selector matches no pod")
	}
	return matched
}

// checkHTTPPort checks that an HTTPChaos port is a container port of every selected workload.
func (r *ScenarioResult) checkHTTPPort(u *unstructured.Unstructured, s chaosSpec, matched []*workload) {
	port, err := strconv.Atoi(fmt.Sprint(s.body["port"]))
	if err != nil {
		return // the chaos default (80) applies; nothing declared to compare
	}
	for _, w := range matched {
		found := false
		for _, c := range w.template.Spec.Containers {
			for _, cp := range c.Ports {
				if int(cp.ContainerPort) == port {
					found = true
				}
			}
		}
		if !found {
			r.find(CheckScenarios, ref(u), s.path+".port", fmt.Sprintf("container port %d in %s", port, w.ref()), "")
		}
	}
}

// checkFlags checks the flag overrides: the ConfigMap is mounted by a pod template, and every flag that it
// overrides is a flag of the demo with that variant.
func (r *ScenarioResult) checkFlags(objs *Objects, workloads []*workload) {
	cm := objs.Get("ConfigMap", apps.AstronomyShop.Namespace, components.FlagOverridesConfigMap)
	if cm == nil {
		return
	}
	raw, _, _ := unstructured.NestedString(cm.Object, "data", components.FlagOverridesKey)
	var doc struct {
		Flags map[string]struct {
			DefaultVariant string         `json:"defaultVariant"`
			Variants       map[string]any `json:"variants"`
		} `json:"flags"`
	}
	field := "data[" + components.FlagOverridesKey + "]"
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		r.find(CheckScenarios, ref(cm), field, "a flagd JSON document", err.Error())
		return
	}
	mounted := false
	for _, w := range workloads {
		for _, v := range w.template.Spec.Volumes {
			if v.ConfigMap != nil && v.ConfigMap.Name == cm.GetName() && w.obj.GetNamespace() == cm.GetNamespace() {
				mounted = true
			}
		}
	}
	if !mounted && len(doc.Flags) > 0 {
		r.find(CheckScenarios, ref(cm), "metadata.name", "a pod template (flagd) that mounts it", "")
	}
	demoFlags := map[string]map[string]any{}
	for _, other := range objs.OfKind("ConfigMap") {
		if other.GetNamespace() != cm.GetNamespace() || other.GetName() == cm.GetName() {
			continue
		}
		data, _, _ := unstructured.NestedStringMap(other.Object, "data")
		for k, v := range data {
			if !strings.HasSuffix(k, ".flagd.json") {
				continue
			}
			var d struct {
				Flags map[string]struct {
					Variants map[string]any `json:"variants"`
				} `json:"flags"`
			}
			if json.Unmarshal([]byte(v), &d) == nil {
				for name, f := range d.Flags {
					demoFlags[name] = f.Variants
				}
			}
		}
	}
	for _, name := range sortedKeys(doc.Flags) {
		f := doc.Flags[name]
		r.Blast = append(r.Blast, Blast{Scenario: "flag:" + name, Object: ref(cm), Fault: "flag/" + f.DefaultVariant, Mode: "all",
			Workloads: []string{"every service that evaluates " + name}, Touched: "-"})
		variants, ok := demoFlags[name]
		if !ok {
			r.find(CheckScenarios, ref(cm), field+".flags."+name, "flag "+name+" in the demo's flagd config", "flagd would serve a flag that no service reads")
			continue
		}
		if _, ok := variants[f.DefaultVariant]; !ok {
			r.find(CheckScenarios, ref(cm), field+".flags."+name+".defaultVariant", fmt.Sprintf("variant %s of flag %s in the demo's flagd config", f.DefaultVariant, name), "")
		}
	}
}

func replicasText(n int) string {
	if n < 0 {
		return "per node"
	}
	return strconv.Itoa(n)
}

// touched is how many of total pods a chaos mode touches.
func touched(mode, value string, total int) string {
	n, _ := strconv.Atoi(value)
	switch mode {
	case "one":
		return fmt.Sprintf("1 of %d", total)
	case "all":
		return fmt.Sprintf("%d of %d", total, total)
	case "fixed":
		return fmt.Sprintf("%d of %d", min(n, total), total)
	case "fixed-percent":
		return fmt.Sprintf("%d of %d", int(math.Floor(float64(total)*float64(n)/100)), total)
	case "random-max-percent":
		return fmt.Sprintf("up to %d of %d", int(math.Floor(float64(total)*float64(n)/100)), total)
	}
	return fmt.Sprintf("? of %d", total)
}

// WriteBlastRadius prints the blast radius as a table.
func WriteBlastRadius(w io.Writer, blast []Blast) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tSTEP\tFAULT\tMODE\tPODS HIT\tWORKLOADS\tNETWORK TARGET")
	for _, b := range blast {
		step := b.Step
		if step == "" {
			step = "-"
		}
		targets := "-"
		if len(b.Targets) > 0 {
			targets = strings.Join(b.Targets, ", ")
		}
		workloads := "(none)"
		if len(b.Workloads) > 0 {
			workloads = strings.Join(b.Workloads, ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.Scenario, step, b.Fault, b.Mode, b.Touched, workloads, targets)
	}
	tw.Flush()
}
