//go:build linux

// Command memStress stands in for Chaos Mesh's memStress (chaos-mesh/memStress, which the module proxy does not
// serve) in the e2e harness's chaos-daemon image. chaos-daemon starts it for a memory StressChaos, already
// moved into the target container's cgroups and pid namespace, as
//
//	memStress --workers N --size SIZE [--time DURATION]
//
// and stops it with SIGTERM at recovery. As upstream v0.3 does, it holds SIZE in all, split evenly over the
// workers (the CRD says "per worker"; upstream's server hands each worker SIZE/N), as anonymous memory whose
// every page it touches, so that the container's working set really grows by SIZE; over DURATION if one is
// given, at once otherwise. SIZE is a byte count with a unit (128MB, 1GiB; decimal and binary units as
// go-humanize parses them) or a percent of the machine's memory (50%). Then it sleeps until signalled.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
)

func main() {
	size := flag.String("size", "", "memory to hold in all: 256MB, 1GiB or 50% of the machine's memory")
	workers := flag.Int("workers", 1, "workers to split the memory over")
	grow := flag.Duration("time", 0, "how long to take to reach the size (0: at once)")
	_ = flag.Bool("client", false, "ignored: upstream's worker mode; this stand-in uses threads, not processes")
	flag.Parse()
	total, err := memTotal()
	if err != nil {
		fail(err)
	}
	n, err := parseSize(*size, total)
	if err != nil {
		fail(err)
	}
	if *workers < 1 {
		fail(fmt.Errorf("--workers %d: want at least 1", *workers))
	}
	var wg sync.WaitGroup
	for i := range *workers {
		share := n / uint64(*workers)
		if i == 0 {
			share += n % uint64(*workers)
		}
		wg.Add(1)
		go func() { defer wg.Done(); hold(share, *grow) }()
	}
	wg.Wait()
	fmt.Fprintf(os.Stderr, "memStress: holding %d bytes in %d worker(s)\n", n, *workers)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
}

// hold maps n bytes of anonymous memory and writes to every page, in steps spread over grow.
func hold(n uint64, grow time.Duration) {
	if n == 0 {
		return
	}
	mem, err := syscall.Mmap(-1, 0, int(n), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		fail(fmt.Errorf("mmap %d bytes: %w", n, err))
	}
	page := os.Getpagesize()
	const steps = 20
	step := (len(mem)/steps/page + 1) * page
	for off := 0; off < len(mem); off += step {
		for p := off; p < min(off+step, len(mem)); p += page {
			mem[p] = 1
		}
		if grow > 0 {
			time.Sleep(grow / steps)
		}
	}
}

// parseSize reads a size as go-humanize's ParseBytes does (decimal units KB, MB, GB, TB and their one-letter
// forms; binary units KiB, MiB, GiB, TiB; B or none for bytes), or a percent of total.
func parseSize(s string, total uint64) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("--size is required")
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v <= 0 || v > 100 {
			return 0, fmt.Errorf("--size %s: want a percent from 0 to 100", s)
		}
		return uint64(float64(total) * v / 100), nil
	}
	i := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("--size %s: not a size", s)
	}
	units := map[string]float64{
		"": 1, "b": 1,
		"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
		"ki": 1 << 10, "kib": 1 << 10, "mi": 1 << 20, "mib": 1 << 20, "gi": 1 << 30, "gib": 1 << 30, "ti": 1 << 40, "tib": 1 << 40,
	}
	mult, ok := units[unit]
	if !ok {
		return 0, fmt.Errorf("--size %s: unknown unit %q", s, unit)
	}
	return uint64(v * mult), nil
}

// memTotal is the machine's memory, from /proc/meminfo (in a container: the host's, as upstream reads it).
func memTotal() (uint64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no MemTotal in /proc/meminfo")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "memStress:", err)
	os.Exit(1)
}
