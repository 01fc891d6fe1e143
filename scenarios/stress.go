package scenarios

import (
	"fmt"
	"strconv"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// stress builds a StressChaos: CPU load or memory pressure in the target's containers.
func (c *env) stress(s *scenario, cs v1alpha1.ContainerSelector) *v1alpha1.StressChaosSpec {
	spec := &v1alpha1.StressChaosSpec{ContainerSelector: cs}
	workers, perCore := c.workers(s)
	if s.Fault == CPUStress {
		load := c.load(s)
		if perCore {
			// stress-ng starts one worker per online CPU when the count is 0; the typed stressor cannot say that.
			spec.StressngStressors = fmt.Sprintf("--cpu 0 --cpu-load %d", load)
		} else {
			spec.Stressors = &v1alpha1.Stressors{CPUStressor: &v1alpha1.CPUStressor{Stressor: v1alpha1.Stressor{Workers: workers}, Load: &load}}
		}
		return spec
	}
	if perCore {
		c.e.add(field.Invalid(s.path("workers"), s.Workers, "\"all\" is only for cpu-stress; expected a whole number of workers from 1 to 64"))
	}
	if s.Size == "" {
		c.e.add(field.Required(s.path("size"), "memory to allocate per worker, e.g. 256MB or 50%"))
	} else if b := v1alpha1.Bytes(s.Size); len(b.Validate(nil, nil)) > 0 {
		c.e.add(field.Invalid(s.path("size"), s.Size, "expected a size such as 256MB, 1GB or 50%"))
	}
	spec.Stressors = &v1alpha1.Stressors{MemoryStressor: &v1alpha1.MemoryStressor{Stressor: v1alpha1.Stressor{Workers: workers}, Size: s.Size}}
	return spec
}

// workers reads the number of stress workers (default 1), or "all": one per CPU core.
func (c *env) workers(s *scenario) (n int, perCore bool) {
	switch s.Workers {
	case "":
		return 1, false
	case "all":
		return 0, true
	}
	n, err := strconv.Atoi(s.Workers)
	if err != nil || n < 1 || n > 64 {
		c.e.add(field.Invalid(s.path("workers"), s.Workers, "expected a whole number of workers from 1 to 64, or \"all\" (one per CPU core)"))
		return 1, false
	}
	return n, false
}

// load reads the CPU load percent of each worker (default 100).
func (c *env) load(s *scenario) int {
	if s.Load == nil {
		return 100
	}
	if *s.Load < 1 || *s.Load > 100 {
		c.e.add(field.Invalid(s.path("load"), *s.Load, "expected a CPU load percent per worker from 1 to 100"))
		return 100
	}
	return *s.Load
}
