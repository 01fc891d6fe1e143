package stacks

import "testing"

// BenchmarkLabProgram is the program's own share of every preview and up: parsing the config, preparing
// the chart archives (cached after the first run) and declaring every resource, against mocks.
func BenchmarkLabProgram(b *testing.B) {
	cfg := testConfig(b, nil)
	for b.Loop() {
		runLab(b, cfg)
	}
}
