package wiring

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// promtool runs `promtool check config` on the rendered config, with the ConfigMap's other keys (the
// rule files) beside it. Debian's promtool is built without Kubernetes service discovery; when it says so,
// each kubernetes_sd_configs is swapped for a static target and the check is run again, so that everything
// else (globals, relabel rules, rule files) is still validated by Prometheus' own code.
func (r *PrometheusResult) promtool(data map[string]string, object, field string, opts Options) {
	bin := opts.Promtool
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("promtool"); err != nil {
			if opts.RequirePromtool {
				r.find(CheckPrometheus, object, field, "promtool to validate the config (apt-get install prometheus)", "required when CI is set")
			} else {
				r.note("prometheus: promtool not found (apt-get install prometheus); `promtool check config` skipped")
			}
			return
		}
	}
	dir, err := os.MkdirTemp("", "wiring-prometheus-")
	if err != nil {
		r.note("prometheus: promtool skipped: %v", err)
		return
	}
	defer os.RemoveAll(dir)
	placeholder := filepath.Join(dir, "placeholder")
	if err := os.WriteFile(placeholder, nil, 0o600); err != nil {
		r.note("prometheus: promtool skipped: %v", err)
		return
	}
	for k, v := range data {
		if k == PrometheusConfigKey || strings.Contains(k, "/") {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o600); err != nil {
			r.note("prometheus: promtool skipped: %v", err)
			return
		}
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(data[PrometheusConfigKey]), &cfg); err != nil {
		r.find(CheckPrometheus, object, field, "a YAML Prometheus config", err.Error())
		return
	}
	// Rule files point into the chart's mount; files of the pod (service account token, CA) are replaced
	// by an empty placeholder, since promtool checks that they exist.
	if rf, ok := cfg["rule_files"].([]any); ok {
		for i, f := range rf {
			if s, ok := f.(string); ok && strings.HasPrefix(s, prometheusConfigDir) {
				rf[i] = filepath.Join(dir, strings.TrimPrefix(s, prometheusConfigDir))
			}
		}
	}
	replaceFiles(cfg, placeholder)
	run := func(c map[string]any) (string, error) {
		out, err := yaml.Marshal(c)
		if err != nil {
			return "", err
		}
		file := filepath.Join(dir, PrometheusConfigKey)
		if err := os.WriteFile(file, out, 0o600); err != nil {
			return "", err
		}
		res, err := exec.Command(bin, "check", "config", file).CombinedOutput()
		return string(res), err
	}
	out, err := run(cfg)
	if err != nil && strings.Contains(out, "kubernetes_sd_configs not found") {
		withoutSD(cfg)
		r.note("prometheus: this promtool has no Kubernetes service discovery (Debian's build); kubernetes_sd_configs were swapped for static targets to run `promtool check config`, and service discovery was played by the checker")
		out, err = run(cfg)
	}
	if err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			r.note("prometheus: promtool could not run: %v", err)
			return
		}
		r.find(CheckPrometheus, object, field, "a config that `promtool check config` accepts", strings.TrimSpace(strings.ReplaceAll(out, dir+"/", "")))
	}
}

func replaceFiles(v any, placeholder string) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if s, ok := e.(string); ok && strings.HasSuffix(k, "_file") && strings.HasPrefix(s, "/") {
				t[k] = placeholder
				continue
			}
			replaceFiles(e, placeholder)
		}
	case []any:
		for _, e := range t {
			replaceFiles(e, placeholder)
		}
	}
}

func withoutSD(cfg map[string]any) {
	scs, _ := cfg["scrape_configs"].([]any)
	for _, s := range scs {
		sc, ok := s.(map[string]any)
		if !ok {
			continue
		}
		if _, has := sc["kubernetes_sd_configs"]; has {
			delete(sc, "kubernetes_sd_configs")
			sc["static_configs"] = []any{map[string]any{"targets": []any{"discovered.invalid:80"}}}
		}
	}
}
