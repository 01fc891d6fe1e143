package wiring

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
)

// An existing lab's state holds the URNs in testdata/lab-urns-before-derived-names.txt. Each must still be
// declared or be an alias of exactly one resource, so that `pulumi up` after the rename replaces nothing.
func TestExistingLabKeepsItsResources(t *testing.T) {
	f, err := os.Open("testdata/lab-urns-before-derived-names.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var before []string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			before = append(before, line)
		}
	}
	wd, _ := os.Getwd()
	declared, err := Declare(allPresetsConfig(), components.OfflineChartsDir(wd))
	if err != nil {
		t.Fatal(err)
	}
	takenBy := map[string][]string{}
	for _, d := range declared {
		takenBy[d.URN] = append(takenBy[d.URN], d.URN)
		for _, a := range d.Aliases {
			takenBy[a] = append(takenBy[a], d.URN)
		}
	}
	if len(before) < 20 {
		t.Fatalf("only %d URNs recorded", len(before))
	}
	for _, urn := range before {
		switch by := takenBy[urn]; len(by) {
		case 0:
			t.Errorf("%s is neither declared nor aliased: an existing lab would lose it", urn)
		case 1:
		default:
			t.Errorf("%s is taken over by %d resources: %v", urn, len(by), by)
		}
	}
}
