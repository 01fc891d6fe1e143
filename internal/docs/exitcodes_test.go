package docs

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/exitcode"
)

var update = flag.Bool("update", false, "rewrite the README's generated exit-code table")

const (
	tableBegin = "<!-- exit-codes:begin -->\n"
	tableEnd   = "<!-- exit-codes:end -->"
)

// The README's exit-code table is exitcode.Markdown(), byte for byte (go test ./internal/docs -update
// rewrites it), and no other page keeps a table of its own: they link to the README's.
func TestExitCodeTableIsGenerated(t *testing.T) {
	readme := filepath.Join(repoRoot, "README.md")
	raw, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	begin, end := strings.Index(text, tableBegin), strings.Index(text, tableEnd)
	if begin < 0 || end < begin {
		t.Fatalf("README.md lacks the %q ... %q markers", strings.TrimSpace(tableBegin), tableEnd)
	}
	want := exitcode.Markdown()
	if got := text[begin+len(tableBegin) : end]; got != want {
		if *update {
			text = text[:begin+len(tableBegin)] + want + text[end:]
			if err := os.WriteFile(readme, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's exit-code table is not exitcode.Markdown() (go test ./internal/docs -update):\n%s\nwant\n%s", got, want)
	}
	ownTable := regexp.MustCompile(`(?mi)^\| *(exit )?code *\|`)
	for _, file := range markdownFiles(t) {
		if file == readme {
			continue
		}
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if ownTable.Match(raw) {
			t.Errorf("%s keeps its own exit-code table; link to README.md#exit-codes instead", file)
		}
	}
}
