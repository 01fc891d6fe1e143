package docs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// repoRoot is the repository, two levels up from this package.
const repoRoot = "../.."

// markdownFiles are the repository's .md files (the toolchain's modules and the git directory aside).
func markdownFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "out") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".md") {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	inlineLink = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	heading    = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	htmlAnchor = regexp.MustCompile(`<a\s+(?:name|id)="([^"]+)"`)
)

// withoutCode drops fenced code blocks and inline code spans, where a ](x) is not a link.
func withoutCode(text string) []string {
	var lines []string
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			lines = append(lines, "")
			continue
		}
		if fenced {
			lines = append(lines, "")
			continue
		}
		lines = append(lines, regexp.MustCompile("`[^`]*`").ReplaceAllString(line, "``"))
	}
	return lines
}

// slug is GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
func slug(title string) string {
	title = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`).ReplaceAllString(title, "$1") // a link's text
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

// anchors are the anchors a Markdown file offers: its headings' slugs (repeats numbered as GitHub does)
// and explicit HTML anchors.
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
		}
		if fenced {
			continue
		}
		if m := heading.FindStringSubmatch(line); m != nil {
			s := slug(m[2])
			if n := seen[s]; n > 0 {
				out[fmt.Sprintf("%s-%d", s, n)] = true
			} else {
				out[s] = true
			}
			seen[s]++
		}
		for _, m := range htmlAnchor.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
	}
	return out
}

// Every relative link of every Markdown file points at a file or directory that exists, and every anchor
// at a heading of its target.
func TestLinksAndAnchorsResolve(t *testing.T) {
	files := markdownFiles(t)
	if len(files) < 10 {
		t.Fatalf("found only %d Markdown files: %v", len(files), files)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range withoutCode(string(raw)) {
			for _, m := range inlineLink.FindAllStringSubmatch(line, -1) {
				if problem := checkLink(file, m[1]); problem != "" {
					rel, _ := filepath.Rel(repoRoot, file)
					t.Errorf("%s:%d: link %s: %s", rel, i+1, m[1], problem)
				}
			}
		}
	}
}

// checkLink says what is wrong with one link target of file, or "" when it resolves.
func checkLink(file, target string) string {
	if regexp.MustCompile(`^[a-z][a-z0-9+.-]*:`).MatchString(target) {
		return "" // http:, https:, mailto: and the like are not checked here
	}
	path, anchor, _ := strings.Cut(target, "#")
	dest := file
	if path != "" {
		dest = filepath.Join(filepath.Dir(file), path)
		if _, err := os.Stat(dest); err != nil {
			return "no such file or directory"
		}
	}
	if anchor == "" || !strings.HasSuffix(dest, ".md") {
		return ""
	}
	raw, err := os.ReadFile(dest)
	if err != nil {
		return err.Error()
	}
	if !anchors(string(raw))[anchor] {
		return "no heading with that anchor in " + filepath.Base(dest)
	}
	return ""
}

// The checker itself: it finds a broken link, a broken anchor, and accepts good ones.
func TestTheCheckerCatchesBrokenLinks(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "a.md")
	other := filepath.Join(dir, "b.md")
	if err := os.WriteFile(other, []byte("# B title\n## Start, stop, halt, resume\n## SLOs (`chaos-mesh-otel:slos`)\n## Twice\n## Twice\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(doc, []byte("# A\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for target, wantOK := range map[string]bool{
		"b.md": true, "b.md#start-stop-halt-resume": true, "b.md#slos-chaos-mesh-otelslos": true, "b.md#twice-1": true,
		"#a": true, "https://example.com/x": true,
		"c.md": false, "b.md#start-stop-halt": false, "#nope": false, "b.md#twice-2": false,
	} {
		if got := checkLink(doc, target) == ""; got != wantOK {
			t.Errorf("%s: resolves %v, want %v", target, got, wantOK)
		}
	}
}
