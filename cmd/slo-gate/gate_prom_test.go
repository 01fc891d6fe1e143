package main

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/report/promtest"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// TestGateAgainstRealPrometheus scrapes a synthetic checkout (p95 80 ms → 1100 ms with 10% errors for 10 s,
// then back) every second and polls the gate the way Chaos Mesh's StatusCheck would.
func TestGateAgainstRealPrometheus(t *testing.T) {
	promtest.Binary(t)
	const faultAt, faultFor, tail = 11 * time.Second, 10 * time.Second, 10 * time.Second
	exp := promtest.NewExporter(t, "otel-demo", map[string][]promtest.Step{
		"checkout": {
			{At: 0, Phase: promtest.Steady(50)},
			{At: faultAt, Phase: promtest.Degraded(50, 0.10)},
			{At: faultAt + faultFor, Phase: promtest.Steady(50)},
		},
		"product-catalog": {{At: 0, Phase: promtest.Phase{RPS: 0, Latency: map[float64]float64{50: 1}}}}, // no traffic
	})
	prom := promtest.Start(t, time.Second, exp.Addr)
	c, err := api.NewClient(api.Config{Address: prom.URL})
	if err != nil {
		t.Fatal(err)
	}
	const window = 4 * time.Second
	slos := append(slo.Defaults(), slo.SLO{Name: "ghost-availability", Service: "ghost", Kind: slo.Availability, Objective: 0.99})
	srv := httptest.NewServer(NewGate(v1.NewAPI(c), slos, "4s", 800*time.Millisecond).Handler())
	defer srv.Close()

	type obs struct {
		at   time.Duration
		slo  string
		code int
		body string
	}
	var seen []obs
	poll := func(name string) {
		resp, err := srv.Client().Get(srv.URL + "/slo/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		buf := make([]byte, 4096)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		resp.Body.Close()
		seen = append(seen, obs{time.Since(exp.Start), name, resp.StatusCode, b.String()})
	}
	for time.Since(exp.Start) < faultAt+faultFor+tail {
		poll("checkout-availability")
		poll("checkout-latency")
		time.Sleep(500 * time.Millisecond)
	}
	poll("product-catalog-availability")
	poll("ghost-availability")

	// Margins: the SLI's 4 s range plus a scrape and a poll either side of each switch.
	margin := window + 2*time.Second
	// Until Prometheus holds two scrapes the answer is unknown (500); "before" starts at the first held answer.
	ready := faultAt
	for _, o := range seen {
		if o.code == 200 {
			ready = o.at
			break
		}
		if o.code != 500 {
			t.Errorf("first answers must be unknown or held, got %d at %s", o.code, o.at)
		}
	}
	t.Logf("first held answer after %.1fs", ready.Seconds())
	counts := map[string]map[string]int{}
	for _, o := range seen[:len(seen)-2] {
		var phase string
		switch {
		case o.at >= ready && o.at < faultAt:
			phase = "before"
		case o.at > faultAt+2*time.Second && o.at < faultAt+faultFor:
			phase = "during"
		case o.at > faultAt+faultFor+margin:
			phase = "after"
		default:
			continue
		}
		key := o.slo + "/" + phase
		if counts[key] == nil {
			counts[key] = map[string]int{}
		}
		counts[key][fmt.Sprint(o.code)]++
	}
	for _, s := range []string{"checkout-availability", "checkout-latency"} {
		for phase, want := range map[string]string{"before": "200", "during": "503", "after": "200"} {
			c := counts[s+"/"+phase]
			total := 0
			for _, n := range c {
				total += n
			}
			if total < 3 || c[want] != total {
				t.Errorf("%s %s the fault: codes %v, want all %s", s, phase, c, want)
			}
		}
	}
	if got := seen[len(seen)-2]; got.code != 500 || !strings.Contains(got.body, "NaN") {
		t.Errorf("no traffic: %d %s", got.code, got.body)
	}
	if got := seen[len(seen)-1]; got.code != 500 || !strings.Contains(got.body, "empty result") {
		t.Errorf("no series: %d %s", got.code, got.body)
	}
	if t.Failed() {
		for _, o := range seen {
			t.Logf("%6.1fs %-24s %d %s", o.at.Seconds(), o.slo, o.code, strings.TrimSpace(o.body))
		}
	}
	// First and last flip, for the record.
	for _, s := range []string{"checkout-availability", "checkout-latency"} {
		var first503, back200 time.Duration
		for _, o := range seen {
			if o.slo != s {
				continue
			}
			if o.code == 503 && first503 == 0 {
				first503 = o.at
			}
			if o.code == 200 && first503 != 0 && back200 == 0 {
				back200 = o.at
			}
		}
		t.Logf("%s: fault %s..%s; gate 503 from %.1fs, 200 again from %.1fs", s, faultAt, faultAt+faultFor, first503.Seconds(), back200.Seconds())
	}
}
