package components

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// FootprintTable renders the footprint as docs/footprint.md's markdown table.
func FootprintTable() string {
	var b strings.Builder
	b.WriteString("| part | container | memory request = limit | CPU request | CPU limit |\n|---|---|---|---|---|\n")
	total, cpu := 0, 0
	for _, l := range Footprint(false, true) {
		limit := "-"
		if l.Budget.CPULimitMilli > 0 {
			limit = fmt.Sprintf("%dm", l.Budget.CPULimitMilli)
		}
		fmt.Fprintf(&b, "| %s | %s | %d Mi | %dm | %s |\n", l.Part, l.Container, l.Budget.MemoryMi, l.Budget.CPUMilli, limit)
		total += l.Budget.MemoryMi
		cpu += l.Budget.CPUMilli
	}
	fmt.Fprintf(&b, "| **total** (%d containers; init containers get %d Mi each and finish before the others start) | | **%d Mi**: needs a %d GiB node | %dm | |\n",
		len(Footprint(false, true)), DefaultContainerBudget.MemoryMi, total, NodeMemoryMi(total)>>10, cpu)
	return b.String()
}

// docs/footprint.md's table is the code's: change a budget and the page must follow.
func TestReadmeFootprintTableMatchesTheCode(t *testing.T) {
	readme, err := os.ReadFile("../docs/footprint.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), FootprintTable()) {
		t.Errorf("docs/footprint.md's footprint table is stale; it should read:\n%s", FootprintTable())
	}
}
