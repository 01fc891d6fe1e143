package scenarios

import "github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

// pod builds a PodChaos: a pod killed, a pod failing, or one container killed.
func (c *env) pod(s *scenario, sel v1alpha1.PodSelector) *v1alpha1.PodChaosSpec {
	spec := &v1alpha1.PodChaosSpec{ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel}, Action: v1alpha1.PodChaosAction(s.Fault)}
	if s.Fault == ContainerKill {
		name := s.Container
		if name == "" {
			name = s.Target // the demo chart names each container after its component
		}
		spec.ContainerNames = []string{name}
	}
	return spec
}
