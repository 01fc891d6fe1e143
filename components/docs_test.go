package components

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// CombinationsTable renders the footprint of the four combinations of app and Istio as the README's table.
func CombinationsTable() string {
	var b strings.Builder
	b.WriteString("| app | Istio | memory limits (= requests) | CPU requests | containers | of which sidecars | node it needs | of it for the node's own processes |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, c := range footprintCombinations() {
		tot := Totals(FootprintOf(c.deployment, c.istio, true))
		node := DeploymentNodeMi(c.deployment, c.istio)
		fmt.Fprintf(&b, "| %s | %s | %d Mi | %dm | %d | %d | %d GiB, 4 CPUs | %d Mi |\n", c.deployment.App.Name, map[bool]string{true: "on", false: "off"}[c.istio],
			tot.MemoryMi, tot.CPUMilli, tot.Containers, tot.Sidecars, node>>10, NodeReserveMi(node))
	}
	return b.String()
}

// BoutiqueTable lists the Online Boutique's budgets and Istio's, as docs/apps-and-istio-parts.md shows them.
func BoutiqueTable() string {
	var b strings.Builder
	b.WriteString("| part | container | memory request = limit | CPU request | CPU limit |\n|---|---|---|---|---|\n")
	for _, l := range FootprintOf(apps.OnlineBoutique.Deploy(), true, true) {
		if l.Part != "boutique" && l.Part != "istio" || strings.HasPrefix(l.Container, "istio-proxy of ") && l.Container != "istio-proxy of frontend" {
			continue
		}
		name := l.Container
		if name == "istio-proxy of frontend" {
			name = "istio-proxy (each meshed pod)"
		}
		limit := "-"
		if l.Budget.CPULimitMilli > 0 {
			limit = fmt.Sprintf("%dm", l.Budget.CPULimitMilli)
		}
		fmt.Fprintf(&b, "| %s | %s | %d Mi | %dm | %s |\n", l.Part, name, l.Budget.MemoryMi, l.Budget.CPUMilli, limit)
	}
	return b.String()
}

// The tables of the README and the docs are the code's: change a budget and they must follow.
func TestDocsFootprintTablesMatchTheCode(t *testing.T) {
	for _, c := range []struct{ file, name, table string }{
		{"../README.md", "combinations", CombinationsTable()},
		{"../docs/apps-and-istio-parts.md", "budgets", BoutiqueTable()},
	} {
		doc, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), c.table) {
			t.Errorf("%s's %s table is stale; it should read:\n%s", c.file, c.name, c.table)
		}
	}
}
