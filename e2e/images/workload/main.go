// Command workload is what the e2e harness runs in the real containers that stand in for the shop's services
// on the real node: a small HTTP server, and, when TARGET is set, a client that calls another one without
// pause and records each call's latency, bytes and error, so that a fault's effect is measured by the
// process that suffers it. It is configured by environment only (PORT, TARGET, CHUNK): a pod-failure swaps the
// image for pause and keeps the container's command and args, which must therefore stay unset.
//
// Server:
//
//	/healthz          200 (the readiness probe)
//	/time             the process's clock, {"unixNano": ...}: what a TimeChaos shifts
//	/bytes?n=N        N bytes: what a bandwidth limit slows
//	/calls?from=&to=  the client's calls that started in [from, to) (Unix milliseconds), summed up
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

func main() {
	port := envOr("PORT", "8080")
	rec := &recorder{}
	if target := os.Getenv("TARGET"); target != "" {
		chunk, err := strconv.Atoi(envOr("CHUNK", "65536"))
		if err != nil {
			log.Fatalf("CHUNK: %v", err)
		}
		go rec.callForever(target, chunk)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/time", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]int64{"unixNano": time.Now().UnixNano()})
	})
	mux.HandleFunc("/bytes", serveBytes)
	mux.HandleFunc("/calls", func(w http.ResponseWriter, r *http.Request) {
		from, err1 := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
		to, err2 := strconv.ParseInt(r.URL.Query().Get("to"), 10, 64)
		if err1 != nil || err2 != nil {
			http.Error(w, "from and to: Unix milliseconds", http.StatusBadRequest)
			return
		}
		writeJSON(w, rec.summary(time.UnixMilli(from), time.UnixMilli(to)))
	})
	log.Printf("workload: listening on :%s, calling %q", port, os.Getenv("TARGET"))
	log.Fatal(http.ListenAndServe(":"+port, mux))
}

// serveBytes writes n bytes in 16 KiB writes.
func serveBytes(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil || n < 0 {
		http.Error(w, "n: a byte count", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(n))
	buf := make([]byte, 16<<10)
	for n > 0 {
		k := min(n, len(buf))
		if _, err := w.Write(buf[:k]); err != nil {
			return
		}
		n -= k
	}
}

// call is one request of the client.
type call struct {
	Start   time.Time
	Latency time.Duration
	Bytes   int64
	Err     string
}

// recorder keeps the client's calls of the last 15 minutes.
type recorder struct {
	mu    sync.Mutex
	calls []call
}

// callForever downloads chunk bytes from target's /bytes, one call after the other, each with a 2 s timeout,
// pausing 100 ms after a call so that a partitioned peer is retried about twice a second.
func (rec *recorder) callForever(target string, chunk int) {
	client := &http.Client{Timeout: 2 * time.Second}
	url := fmt.Sprintf("%s/bytes?n=%d", target, chunk)
	for {
		c := call{Start: time.Now()}
		resp, err := client.Get(url)
		if err == nil {
			c.Bytes, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("status %s", resp.Status)
			}
		}
		c.Latency = time.Since(c.Start)
		if err != nil {
			c.Err = err.Error()
		}
		rec.add(c)
		time.Sleep(100 * time.Millisecond)
	}
}

func (rec *recorder) add(c call) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	cutoff := time.Now().Add(-15 * time.Minute)
	i := 0
	for i < len(rec.calls) && rec.calls[i].Start.Before(cutoff) {
		i++
	}
	rec.calls = append(rec.calls[i:], c)
}

// Summary sums up the calls that started in a time range.
type Summary struct {
	Calls        int     `json:"calls"`
	Errors       int     `json:"errors"`
	Bytes        int64   `json:"bytes"`
	MaxLatencyMs float64 `json:"maxLatencyMs"`
	// BytesPerSecond is the bytes of the successful calls over their summed latencies: the throughput
	// while the client was receiving, without the pauses between calls.
	BytesPerSecond float64 `json:"bytesPerSecond"`
	LastError      string  `json:"lastError,omitempty"`
}

func (rec *recorder) summary(from, to time.Time) Summary {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var s Summary
	var busy time.Duration
	for _, c := range rec.calls {
		if c.Start.Before(from) || !c.Start.Before(to) {
			continue
		}
		s.Calls++
		s.MaxLatencyMs = max(s.MaxLatencyMs, float64(c.Latency.Microseconds())/1000)
		if c.Err != "" {
			s.Errors++
			s.LastError = c.Err
			continue
		}
		s.Bytes += c.Bytes
		busy += c.Latency
	}
	if busy > 0 {
		s.BytesPerSecond = float64(s.Bytes) / busy.Seconds()
	}
	return s
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
