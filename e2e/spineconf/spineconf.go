// Package spineconf turns the telemetry spine's configuration, as the lab renders it for its pods, into the
// configuration of the same programs running as processes on this machine beside a simulated cluster. Each
// function changes only what cannot hold outside a pod, says what it changed (Change), and fails when what
// it expects to change is not in the rendered text, so that a chart or lab change that moves it fails here
// instead of passing unchanged:
//
//   - addresses: a pod listens on 0.0.0.0 or on its pod IP; here each part listens on its pod's IP, which the
//     e2e harness makes a loopback address (the node's podCIDR is in 127.0.0.0/8), and the collector reaches
//     Jaeger at Jaeger's pod IP instead of a Service name that no DNS resolves here;
//   - credentials: a pod reads its ServiceAccount token; here the k8sattributes processor and Prometheus'
//     Kubernetes discovery read the cluster's kubeconfig, and Prometheus scrapes the API server with its
//     admin client certificate;
//   - memory: a pod's cgroup limit sets the collector's memory_limiter (percentages of it) and Prometheus'
//     GOMEMLIMIT (--auto-gomemlimit, 0.9 of it); here there is no cgroup, so the same numbers are computed
//     from the rendered limit and written out;
//   - files: paths in the pod (/etc/config, /data, /etc/jaeger) become paths in the test's directory.
package spineconf

import (
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// Change is one substitution: where, what the lab renders, what runs here, and why.
type Change struct {
	Path, From, To, Why string
}

func (c Change) String() string {
	return fmt.Sprintf("%s: %s → %s (%s)", c.Path, c.From, c.To, c.Why)
}

// doc is a parsed YAML document with the substitutions made on it so far.
type doc struct {
	root    map[string]any
	changes []Change
	errs    []string
}

func parse(text string) (*doc, error) {
	d := &doc{root: map[string]any{}}
	if err := yaml.Unmarshal([]byte(text), &d.root); err != nil {
		return nil, err
	}
	return d, nil
}

// at walks a path of map keys; it records an error when a key is missing.
func (d *doc) at(path ...string) map[string]any {
	m := d.root
	for i, k := range path {
		next, ok := m[k].(map[string]any)
		if !ok {
			d.errs = append(d.errs, fmt.Sprintf("%s is not in the rendered config", strings.Join(path[:i+1], ".")))
			return map[string]any{}
		}
		m = next
	}
	return m
}

// set replaces the value of key in m, which must be there with the value from (any value when from is "").
func (d *doc) set(m map[string]any, path, key string, from string, to any, why string) {
	old, ok := m[key]
	if !ok {
		d.errs = append(d.errs, fmt.Sprintf("%s.%s is not in the rendered config", path, key))
		return
	}
	if from != "" && fmt.Sprint(old) != from {
		d.errs = append(d.errs, fmt.Sprintf("%s.%s is %v, expected %s", path, key, old, from))
		return
	}
	m[key] = to
	d.changes = append(d.changes, Change{Path: path + "." + key, From: fmt.Sprint(old), To: fmt.Sprint(to), Why: why})
}

// add sets a key that the rendered config does not have (the program's default applies in the pod).
func (d *doc) add(m map[string]any, path, key string, to any, why string) {
	if old, ok := m[key]; ok {
		d.errs = append(d.errs, fmt.Sprintf("%s.%s is already set (%v)", path, key, old))
		return
	}
	m[key] = to
	d.changes = append(d.changes, Change{Path: path + "." + key, From: "(default)", To: fmt.Sprint(to), Why: why})
}

func (d *doc) result() (string, []Change, error) {
	if len(d.errs) > 0 {
		return "", nil, fmt.Errorf("the rendered config changed: %s", strings.Join(d.errs, "; "))
	}
	out, err := yaml.Marshal(d.root)
	return string(out), d.changes, err
}
