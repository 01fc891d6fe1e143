package scenarios

import (
	"fmt"
	"strings"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// io builds an IOChaos: latency or errors on the file operations under a volume of the target's container.
func (c *env) io(s *scenario, cs v1alpha1.ContainerSelector) *v1alpha1.IOChaosSpec {
	spec := &v1alpha1.IOChaosSpec{ContainerSelector: cs, Path: s.Path, Percent: 100, VolumePath: c.volumePath(s)}
	if s.Path != "" && !strings.HasPrefix(s.Path, "/") {
		c.e.add(field.Invalid(s.path("path"), s.Path, "expected an absolute file path or glob such as /tmp/**/*"))
	}
	if s.Percent != "" {
		if n, ok := wholePercent(s.Percent); ok {
			spec.Percent = n
		} else {
			c.e.add(field.Invalid(s.path("percent"), s.Percent, "expected a whole percent of I/O calls from 1 to 100"))
		}
	}
	switch s.Fault {
	case IOLatency:
		spec.Action = v1alpha1.IoLatency
		if _, ok := c.duration(s.path("delay"), s.Delay, true); ok {
			spec.Delay = s.Delay
		}
	case IOFault:
		spec.Action = v1alpha1.IoFaults
		switch {
		case s.Errno == nil:
			c.e.add(field.Required(s.path("errno"), "the errno to return, 1 to 133 (e.g. 5 for EIO, 28 for ENOSPC)"))
		case *s.Errno < 1 || *s.Errno > 133:
			c.e.add(field.Invalid(s.path("errno"), *s.Errno, "expected an errno from 1 to 133 (e.g. 5 for EIO)"))
		default:
			spec.Errno = uint32(*s.Errno)
		}
	}
	return spec
}

// volumePath is the mount path of the volume to fault: the scenario's, else the service's writable volume.
func (c *env) volumePath(s *scenario) string {
	if svc, ok := c.app.Service(s.Target); ok && c.app.ReadOnlyRoot {
		return c.readOnlyRootVolume(s, svc)
	}
	if s.VolumePath != "" {
		if !strings.HasPrefix(s.VolumePath, "/") {
			c.e.add(field.Invalid(s.path("volumePath"), s.VolumePath, "expected an absolute mount path such as /tmp"))
		}
		return s.VolumePath
	}
	svc, ok := c.app.Service(s.Target)
	if ok && svc.Volume == "" {
		c.e.add(field.Required(s.path("volumePath"), fmt.Sprintf("%s has no known writable volume; expected the mount path of a volume of its container", svc.Name)))
	}
	return svc.Volume
}

// readOnlyRootVolume is volumePath for an app whose containers have read-only root filesystems: only the
// writable volumes of the catalog hold files that an application writes, so IOChaos can act on nothing else.
func (c *env) readOnlyRootVolume(s *scenario, svc apps.Service) string {
	var withVolume []string
	for _, d := range c.opts.Deployment.Services() {
		if d.Volume != "" {
			withVolume = append(withVolume, fmt.Sprintf("%s (%s)", d.Name, d.Volume))
		}
	}
	switch {
	case svc.Volume == "":
		c.e.add(field.Invalid(s.path("target"), s.Target, fmt.Sprintf(
			"every container of %s has a read-only root filesystem and %s mounts no writable volume, so IOChaos has no file to fault; expected a service with a writable volume: %s",
			c.app.Name, svc.Name, strings.Join(withVolume, ", "))))
	case s.VolumePath != "" && s.VolumePath != svc.Volume:
		c.e.add(field.Invalid(s.path("volumePath"), s.VolumePath, fmt.Sprintf(
			"every container of %s has a read-only root filesystem; %s's only writable volume is %s", c.app.Name, svc.Name, svc.Volume)))
	}
	return svc.Volume
}
