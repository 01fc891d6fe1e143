package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDashboardsExport(t *testing.T) {
	dir := t.TempDir()
	var out, errb strings.Builder
	if code := run([]string{"dashboards", "export", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 5 {
		t.Fatalf("want 5 dashboards, got %v", files)
	}
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil || doc["uid"] == nil {
			t.Errorf("%s is not a dashboard: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "chaos-lab-slo-rules.yml")); err != nil {
		t.Errorf("no rules file: %v", err)
	}
	if code := run([]string{"dashboards"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "usage") {
		t.Errorf("no subcommand: exit %d, %q", code, errb.String())
	}
}
