package dashboards

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// Export writes every dashboard as <uid>.json and the SLO rules as chaos-lab-slo-rules.yml into dir,
// creating it if needed, and returns the paths it wrote.
func Export(dir string, opts Options) ([]string, error) {
	opts = opts.withDefaults()
	boards, err := All(opts)
	if err != nil {
		return nil, err
	}
	rules, err := slo.RulesYAML(opts.SLOs)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("dashboards: export: %w", err)
	}
	var written []string
	write := func(name string, data []byte) error {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("dashboards: export: %w", err)
		}
		written = append(written, path)
		return nil
	}
	for _, d := range boards {
		if err := write(d.FileName(), d.JSON); err != nil {
			return written, err
		}
	}
	if err := write(slo.ExportRulesFile, rules); err != nil {
		return written, err
	}
	return written, nil
}
