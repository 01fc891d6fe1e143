package telemetry

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckFindsALimitBelowTheHeadroom(t *testing.T) {
	f := File{Parts: []Part{
		{Part: "jaeger", LimitMiB: 500, PeakMiB: 400},     // 1.25 × 400 = 500: enough
		{Part: "prometheus", LimitMiB: 512, PeakMiB: 420}, // needs 525
		{Part: "collector", LimitMiB: 256},                // no measurement
	}}
	got := strings.Join(f.Check(nil), "\n")
	if strings.Contains(got, "jaeger") || !strings.Contains(got, "prometheus: limit 512 MiB is below 1.25 × its measured peak 420.0 MiB = 525 MiB") ||
		!strings.Contains(got, "collector: peak 0.0 MiB, limit 256 MiB: not measured") {
		t.Errorf("Check:\n%s", got)
	}
	if (File{}).Check(nil) == nil {
		t.Error("an empty file must not pass")
	}
	// Checked with the budgets now: prometheus raised to 528 passes, jaeger lowered to 499 does not.
	got = strings.Join(f.Check(map[string]int{"prometheus": 528, "jaeger": 499}), "\n")
	if strings.Contains(got, "prometheus") || !strings.Contains(got, "jaeger: limit 499 MiB is below 1.25 × its measured peak 400.0 MiB = 500 MiB") {
		t.Errorf("Check with limits:\n%s", got)
	}
}

func TestWriteReadTable(t *testing.T) {
	f := File{Measured: "2026-12-06", Parts: []Part{{Part: "collector", Container: "opentelemetry-collector", LimitMiB: 256, PeakMiB: 120.4, GoHeapMiB: 60,
		CPUMillicores: map[string]float64{"default": 20, "max": 150}, Load: "fill"}}}
	path := filepath.Join(t.TempDir(), "telemetry.json")
	if err := f.Write(path); err != nil {
		t.Fatal(err)
	}
	back, err := Read(path)
	if err != nil || back.Parts[0].PeakMiB != 120.4 {
		t.Fatalf("%v %+v", err, back)
	}
	if want := "| collector | 120 Mi (60) | 256 Mi | 2.13 | 20m / 150m / 0m |"; !strings.Contains(back.Table(nil), want) {
		t.Errorf("table:\n%s\nwant a row %s", back.Table(nil), want)
	}
	if want := "| collector | 120 Mi (60) | 320 Mi (measured at 256 Mi) | 2.66 | 20m / 150m / 0m |"; !strings.Contains(back.Table(map[string]int{"collector": 320}), want) {
		t.Errorf("table with a raised limit:\n%s\nwant a row %s", back.Table(map[string]int{"collector": 320}), want)
	}
}
