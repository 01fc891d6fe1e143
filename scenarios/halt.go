package scenarios

import (
	"fmt"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
)

// HaltedSelectorLabel is the label that halt adds to every selector of a Workflow's chaos steps. No pod of
// the lab carries it, so a step selects nothing, whatever the namespace says.
//
// Why: Chaos Mesh 2.8.3 starts the first step of a Workflow created aborted before it reads the annotation,
// and its abort does not always reach that step (the abort is passed to the child nodes that exist when it
// is handled). The step's experiment then stays, retrying target selection with back-off; the closed
// namespace makes each try fail, but the first try after resume would strike (e2e TestHaltedLab saw a pod
// killed 4 s after halt: false). An experiment copies its selector when the step starts, so a step started
// while halted keeps this one for good, and resume cannot turn it on.
const HaltedSelectorLabel = HaltedAnnotation

// haltSelectors makes every chaos step of a Workflow select no pod: it adds HaltedSelectorLabel to each
// selector of each embedded experiment (a NetworkChaos's target too).
func haltSelectors(spec *v1alpha1.WorkflowSpec) {
	for i := range spec.Templates {
		t := &spec.Templates[i]
		if t.EmbedChaos == nil || !v1alpha1.IsChaosTemplateType(t.Type) {
			continue
		}
		obj, err := t.EmbedChaos.SpawnNewObject(t.Type)
		if err != nil {
			panic(fmt.Sprintf("template %s: %v", t.Name, err)) // a kind this package builds has an embedded spec
		}
		withSelectors, ok := obj.(v1alpha1.InnerObjectWithSelector)
		if !ok {
			continue
		}
		for _, sel := range withSelectors.GetSelectorSpecs() {
			switch s := sel.(type) {
			case *v1alpha1.PodSelector:
				addHaltedLabel(&s.Selector)
			case *v1alpha1.ContainerSelector:
				addHaltedLabel(&s.Selector)
			case *v1alpha1.PodSelectorSpec:
				addHaltedLabel(s)
			}
		}
		if err := t.EmbedChaos.RestoreChaosSpec(obj); err != nil {
			panic(fmt.Sprintf("template %s: %v", t.Name, err))
		}
	}
}

func addHaltedLabel(s *v1alpha1.PodSelectorSpec) {
	if s.LabelSelectors == nil {
		s.LabelSelectors = map[string]string{}
	}
	s.LabelSelectors[HaltedSelectorLabel] = "true"
}
