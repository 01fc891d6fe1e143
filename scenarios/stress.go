package scenarios

import (
	"fmt"
	"strconv"
	"strings"

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
		c.e.add(field.Required(s.path("size"), "memory to allocate, shared by the workers, e.g. 256MB or 50%"))
	} else if b := v1alpha1.Bytes(s.Size); len(b.Validate(nil, nil)) > 0 {
		c.e.add(field.Invalid(s.path("size"), s.Size, "expected a size such as 256MB, 1GB or 50%"))
	} else {
		c.checkMemoryLimit(s)
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

// checkMemoryLimit refuses a memory stress that would take more than its target container's memory limit,
// unless allowOOM says so: the kernel would OOM-kill the container, which is another experiment than memory
// pressure. memStress (chaos-mesh/memStress, run by chaos-daemon in the container's cgroup) allocates size
// in all, shared by its workers; a size in percent is of the node's memory, which it reads from
// /proc/meminfo, not of the container's limit.
func (c *env) checkMemoryLimit(s *scenario) {
	if s.AllowOOM || c.opts.MemoryLimitMi == nil || s.Target == "" {
		return
	}
	limit, ok := c.opts.MemoryLimitMi(s.Target, s.Container)
	if !ok {
		return
	}
	bytes, percent, _ := stressSize(s.Size)
	what := s.Size
	if percent > 0 {
		if c.opts.NodeMemoryMi <= 0 {
			return
		}
		bytes = int64(percent / 100 * float64(c.opts.NodeMemoryMi) * (1 << 20))
		what = fmt.Sprintf("%s of the node's %d Mi (%d Mi)", s.Size, c.opts.NodeMemoryMi, bytes>>20)
	}
	if bytes > int64(limit)<<20 {
		container := s.Container
		if container == "" {
			container = "its main container"
		}
		c.e.add(field.Invalid(s.path("size"), s.Size, fmt.Sprintf(
			"%s is more than the %d Mi memory limit of %s (%s): the kernel would OOM-kill the container; set allowOOM: true if that is the experiment",
			what, limit, s.Target, container)))
	}
}

// stressSize reads a memory-stress size as memStress does (go-humanize's ParseBytes: kB, MB, GB, TB are
// powers of 1000, KiB, MiB, GiB, TiB of 1024, case-insensitive), or a percent.
func stressSize(size string) (bytes int64, percent float64, ok bool) {
	if p, found := strings.CutSuffix(size, "%"); found {
		v, err := strconv.ParseFloat(p, 64)
		return 0, v, err == nil && v > 0
	}
	i := strings.IndexFunc(size, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := size, ""
	if i >= 0 {
		num, unit = size[:i], strings.ToLower(strings.TrimSpace(size[i:]))
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, 0, false
	}
	mult, known := map[string]float64{"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
		"ki": 1 << 10, "kib": 1 << 10, "mi": 1 << 20, "mib": 1 << 20, "gi": 1 << 30, "gib": 1 << 30, "ti": 1 << 40, "tib": 1 << 40}[unit]
	return int64(v * mult), 0, known
}
