//go:build linux

package main

import "testing"

func TestParseSizeAsHumanize(t *testing.T) {
	const total = 8 << 30
	for in, want := range map[string]uint64{
		"128MB":  128e6,
		"128mb":  128e6,
		"128M":   128e6,
		"64MiB":  64 << 20,
		"1GiB":   1 << 30,
		"1.5GB":  1.5e9,
		"4096":   4096,
		"10 KB":  10e3,
		"50%":    total / 2,
		"12.5%":  total / 8,
		" 2Gi  ": 2 << 30,
	} {
		if got, err := parseSize(in, total); err != nil || got != want {
			t.Errorf("%q: %d (%v), want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MB", "12XB", "-1MB", "0%", "101%", "x%"} {
		if got, err := parseSize(bad, total); err == nil {
			t.Errorf("%q: %d, want an error", bad, got)
		}
	}
}

func TestMemTotal(t *testing.T) {
	if n, err := memTotal(); err != nil || n < 64<<20 {
		t.Errorf("memTotal: %d, %v", n, err)
	}
}
