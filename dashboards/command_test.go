package dashboards

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommand(t *testing.T) {
	dir := t.TempDir()
	slos := filepath.Join(dir, "slos.json")
	if err := os.WriteFile(slos, []byte(`[{"name":"cart-availability","service":"cart","kind":"availability","objective":0.97}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	var stdout bytes.Buffer
	if err := Command([]string{"export", "-prometheus-uid", "p1", "-slos", slos, out}, &stdout); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(stdout.String(), "wrote "); got != 6 {
		t.Errorf("reported %d files:\n%s", got, stdout.String())
	}
	board, err := os.ReadFile(filepath.Join(out, ShopOverviewUID+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(board), `"uid": "p1"`) || !strings.Contains(string(board), "cart-availability") {
		t.Errorf("flags not applied")
	}
	for _, args := range [][]string{nil, {"import", out}, {"export"}, {"export", "a", "b"}, {"export", "-nope", out}} {
		if err := Command(args, &stdout); err == nil || !strings.Contains(err.Error(), "usage:") {
			t.Errorf("%v: error %v, want usage", args, err)
		}
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`[{"name":"x","service":"cart","kind":"latency","objective":0.9,"thresholdMs":7}]`), 0o644)
	if err := Command([]string{"export", "-slos", bad, out}, &stdout); err == nil || !strings.Contains(err.Error(), "slos[0].thresholdMs") {
		t.Errorf("bad SLO file: %v", err)
	}
}
