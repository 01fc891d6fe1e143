package procstat

import (
	"os"
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	status := "Name:\tprometheus\nVmPeak:\t 2000 kB\nVmHWM:\t  300000 kB\nVmRSS:\t  250000 kB\nRssAnon:\t  200000 kB\nRssFile:\t   50000 kB\n"
	var s Sample
	if err := parseStatus([]byte(status), &s); err != nil {
		t.Fatal(err)
	}
	if s.HWM != 300000*1024 || s.RSS != 250000*1024 || s.RSSAnon != 200000*1024 {
		t.Errorf("%+v", s)
	}
	if err := parseStatus([]byte("VmRSS:\t 1 kB\n"), &s); err == nil {
		t.Error("a status without VmHWM and RssAnon must be an error")
	}
}

func TestParseStatCPU(t *testing.T) {
	// The name may hold spaces and parentheses; utime 250 and stime 50 ticks are 3 s.
	stat := "1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0 100 1000 200"
	got, err := parseStatCPU([]byte(stat))
	if err != nil || got != 3*time.Second {
		t.Errorf("%v %v, want 3s", got, err)
	}
}

func TestSummarize(t *testing.T) {
	t0 := time.Unix(0, 0)
	var samples []Sample
	// 100 s at 250 millicores, then 10 s at 1000: the mean is below the burst, the p95 window finds it.
	cpu := time.Duration(0)
	for i := 0; i <= 110; i++ {
		if i > 0 && i <= 100 {
			cpu += 250 * time.Millisecond
		} else if i > 100 {
			cpu += time.Second
		}
		samples = append(samples, Sample{At: t0.Add(time.Duration(i) * time.Second), CPU: cpu, HWM: int64(i) << 20, RSSAnon: 5 << 20, RSS: 7 << 20})
	}
	s := Summarize(samples, 10*time.Second)
	if s.PeakHWM != 110<<20 || s.PeakAnon != 5<<20 || s.PeakRSS != 7<<20 || s.LastRSS != 7<<20 {
		t.Errorf("memory %+v", s)
	}
	if want := 1000 * 35.0 / 110; s.MeanCPU < want-0.01 || s.MeanCPU > want+0.01 {
		t.Errorf("mean %.2f m, want %.2f", s.MeanCPU, want)
	}
	if s.P95CPU != 1000 {
		t.Errorf("p95 %.1f m, want the burst's 1000", s.P95CPU)
	}
	// A phase of the run: only the burst's samples (100 s to 110 s).
	r := &Recorder{samples: samples}
	w := r.Window(t0.Add(100*time.Second), t0.Add(110*time.Second))
	if w.Samples != 11 || w.MeanCPU != 1000 || w.PeakHWM != 110<<20 {
		t.Errorf("window %+v, want the burst's 11 samples at 1000 m", w)
	}
}

func TestReadSelf(t *testing.T) {
	r := Record(os.Getpid(), 10*time.Millisecond)
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
	}
	s := r.Stop()
	if s.Samples < 3 || s.PeakHWM <= 0 || s.PeakAnon <= 0 {
		t.Errorf("%+v", s)
	}
}
