package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestSummaryCountsTheCallsOfTheRange(t *testing.T) {
	t0 := time.Now()
	rec := &recorder{}
	rec.add(call{Start: t0, Latency: time.Second, Bytes: 1000})
	rec.add(call{Start: t0.Add(time.Second), Latency: 2 * time.Second, Err: "timeout"})
	rec.add(call{Start: t0.Add(3 * time.Second), Latency: time.Second, Bytes: 3000})
	rec.add(call{Start: t0.Add(10 * time.Second), Latency: time.Second, Bytes: 5000})
	s := rec.summary(t0, t0.Add(10*time.Second))
	want := Summary{Calls: 3, Errors: 1, Bytes: 4000, MaxLatencyMs: 2000, BytesPerSecond: 2000, LastError: "timeout"}
	if s != want {
		t.Errorf("got %+v, want %+v", s, want)
	}
}

func TestServeBytes(t *testing.T) {
	rr := httptest.NewRecorder()
	serveBytes(rr, httptest.NewRequest(http.MethodGet, "/bytes?n=40000", nil))
	if rr.Code != http.StatusOK || rr.Body.Len() != 40000 || rr.Header().Get("Content-Length") != "40000" {
		t.Errorf("status %d, %d bytes, length %q", rr.Code, rr.Body.Len(), rr.Header().Get("Content-Length"))
	}
	rr = httptest.NewRecorder()
	serveBytes(rr, httptest.NewRequest(http.MethodGet, "/bytes?n=x", nil))
	if rr.Code != http.StatusBadRequest {
		t.Errorf("n=x: status %d", rr.Code)
	}
}
