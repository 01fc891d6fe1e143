// Package procstat measures a process from /proc while it runs: its resident memory (peak, as the kernel
// keeps it, and anonymous, as sampled) and its CPU time, every interval. It is what the spine's
// measurements are made with (e2e TestSpine and TestSpineBench).
package procstat

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat; 100 on every Linux this runs on.
const clockTicks = 100

// Sample is one reading of a process.
type Sample struct {
	At time.Time
	// RSS and RSSAnon are resident memory now, in bytes: all of it, and its anonymous part (heap, stacks),
	// which the kernel cannot reclaim without swap. HWM is the peak of RSS since the process started.
	RSS, RSSAnon, HWM int64
	// CPU is the process's user plus system time so far.
	CPU time.Duration
}

// Read reads a process's memory from /proc/PID/status and its CPU time from /proc/PID/stat.
func Read(pid int) (Sample, error) {
	s := Sample{At: time.Now()}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	if err := parseStatus(status, &s); err != nil {
		return s, err
	}
	s.CPU, err = parseStatCPU(stat)
	return s, err
}

// parseStatus reads VmRSS, RssAnon and VmHWM (kB) from /proc/PID/status.
func parseStatus(b []byte, s *Sample) error {
	found := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var into *int64
		switch key {
		case "VmRSS":
			into = &s.RSS
		case "RssAnon":
			into = &s.RSSAnon
		case "VmHWM":
			into = &s.HWM
		default:
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return fmt.Errorf("/proc status: %s: %q", key, rest)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return fmt.Errorf("/proc status: %s: %w", key, err)
		}
		*into = kb * 1024
		found++
	}
	if found != 3 {
		return fmt.Errorf("/proc status: found %d of VmRSS, RssAnon, VmHWM", found)
	}
	return nil
}

// parseStatCPU reads utime and stime (fields 14 and 15) from /proc/PID/stat. The command name (field 2)
// may hold spaces and parentheses, so fields are counted after its last ')'.
func parseStatCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc stat: no ')'")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state), so utime (14) is f[11] and stime (15) is f[12].
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc stat: %d fields after the name", len(f))
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc stat: utime %q stime %q", f[11], f[12])
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// Recorder samples one process every interval until Stop.
type Recorder struct {
	pid      int
	mu       sync.Mutex
	samples  []Sample
	err      error
	stop     chan struct{}
	done     chan struct{}
	interval time.Duration
}

// Record starts sampling pid.
func Record(pid int, interval time.Duration) *Recorder {
	r := &Recorder{pid: pid, stop: make(chan struct{}), done: make(chan struct{}), interval: interval}
	go func() {
		defer close(r.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			s, err := Read(pid)
			r.mu.Lock()
			if err == nil {
				r.samples = append(r.samples, s)
			} else if r.err == nil {
				r.err = err
			}
			r.mu.Unlock()
			select {
			case <-r.stop:
				return
			case <-t.C:
			}
		}
	}()
	return r
}

// Stop ends the sampling and returns the summary.
func (r *Recorder) Stop() Summary {
	close(r.stop)
	<-r.done
	return r.Summary()
}

// Summary summarises the samples so far.
func (r *Recorder) Summary() Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Summarize(r.samples, 10*time.Second)
}

// Window summarises the samples taken from from to to (a phase of a run).
func (r *Recorder) Window(from, to time.Time) Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	var in []Sample
	for _, s := range r.samples {
		if !s.At.Before(from) && !s.At.After(to) {
			in = append(in, s)
		}
	}
	return Summarize(in, 10*time.Second)
}

// Summary is what a run of samples says.
type Summary struct {
	Samples int
	// PeakHWM is the kernel's peak RSS since the process started; PeakRSS and PeakAnon the highest RSS and
	// anonymous RSS sampled in these samples.
	PeakHWM, PeakRSS, PeakAnon, LastRSS int64
	// MeanCPU is the CPU used over the whole run per second of it; P95CPU the 95th percentile of the CPU
	// used in windows of the given length; both in millicores.
	MeanCPU, P95CPU float64
	Span            time.Duration
}

// Summarize summarises samples of one process, oldest first.
func Summarize(samples []Sample, window time.Duration) Summary {
	var s Summary
	s.Samples = len(samples)
	if len(samples) == 0 {
		return s
	}
	for _, x := range samples {
		s.PeakHWM = max(s.PeakHWM, x.HWM)
		s.PeakRSS = max(s.PeakRSS, x.RSS)
		s.PeakAnon = max(s.PeakAnon, x.RSSAnon)
	}
	first, last := samples[0], samples[len(samples)-1]
	s.LastRSS = last.RSS
	s.Span = last.At.Sub(first.At)
	if s.Span > 0 {
		s.MeanCPU = millicores(last.CPU-first.CPU, s.Span)
	}
	var windows []float64
	start := first
	for _, x := range samples[1:] {
		if d := x.At.Sub(start.At); d >= window {
			windows = append(windows, millicores(x.CPU-start.CPU, d))
			start = x
		}
	}
	if len(windows) > 0 {
		slices.Sort(windows)
		s.P95CPU = windows[int(math.Ceil(0.95*float64(len(windows))))-1] // nearest rank
	}
	return s
}

func millicores(cpu, wall time.Duration) float64 { return 1000 * cpu.Seconds() / wall.Seconds() }

// MiB converts bytes to MiB.
func MiB(b int64) float64 { return float64(b) / (1 << 20) }
