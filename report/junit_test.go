package report

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The JUnit schema's elements and attributes as CI parsers read them (Jenkins' junit-10.xsd, GitLab, GitHub's
// reporters): decoding the file into them checks its shape, not our own writer's structs.
type (
	parsedSuites struct {
		XMLName  xml.Name      `xml:"testsuites"`
		Tests    string        `xml:"tests,attr"`
		Failures string        `xml:"failures,attr"`
		Errors   string        `xml:"errors,attr"`
		Skipped  string        `xml:"skipped,attr"`
		Time     string        `xml:"time,attr"`
		Suites   []parsedSuite `xml:"testsuite"`
	}
	parsedSuite struct {
		Name      string       `xml:"name,attr"`
		Tests     string       `xml:"tests,attr"`
		Failures  string       `xml:"failures,attr"`
		Errors    string       `xml:"errors,attr"`
		Skipped   string       `xml:"skipped,attr"`
		Time      string       `xml:"time,attr"`
		Timestamp string       `xml:"timestamp,attr"`
		Cases     []parsedCase `xml:"testcase"`
	}
	parsedCase struct {
		Name      string         `xml:"name,attr"`
		Classname string         `xml:"classname,attr"`
		Time      string         `xml:"time,attr"`
		Failure   *parsedProblem `xml:"failure"`
		Error     *parsedProblem `xml:"error"`
		Skipped   *struct{}      `xml:"skipped"`
		SystemOut string         `xml:"system-out"`
	}
	parsedProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

// parseJUnit decodes a JUnit file and checks what every parser relies on: one root testsuites, counts that
// are integers matching the testcases, times that are numbers, an ISO 8601 timestamp without a zone.
func parseJUnit(t *testing.T, raw []byte) parsedSuite {
	t.Helper()
	if !strings.HasPrefix(string(raw), xml.Header) {
		t.Errorf("no XML declaration:\n%s", raw)
	}
	var doc parsedSuites
	d := xml.NewDecoder(strings.NewReader(string(raw)))
	d.Strict = true
	if err := d.Decode(&doc); err != nil {
		t.Fatalf("not XML with a testsuites root: %v\n%s", err, raw)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("%d testsuites, want 1", len(doc.Suites))
	}
	s := doc.Suites[0]
	count := func(what, attr string, want int) {
		if n, err := strconv.Atoi(attr); err != nil || n != want {
			t.Errorf("%s=%q, want %d", what, attr, want)
		}
	}
	var failures, errors, skipped int
	for _, c := range s.Cases {
		if c.Name == "" || c.Classname == "" {
			t.Errorf("testcase without name or classname: %+v", c)
		}
		if _, err := strconv.ParseFloat(c.Time, 64); err != nil {
			t.Errorf("testcase %s: time %q", c.Name, c.Time)
		}
		if c.Failure != nil {
			failures++
		}
		if c.Error != nil {
			errors++
		}
		if c.Skipped != nil {
			skipped++
		}
	}
	for _, level := range []struct{ what, tests, failures, errors, skipped, time string }{
		{"testsuites", doc.Tests, doc.Failures, doc.Errors, doc.Skipped, doc.Time},
		{"testsuite", s.Tests, s.Failures, s.Errors, s.Skipped, s.Time},
	} {
		count(level.what+" tests", level.tests, len(s.Cases))
		count(level.what+" failures", level.failures, failures)
		count(level.what+" errors", level.errors, errors)
		count(level.what+" skipped", level.skipped, skipped)
		if _, err := strconv.ParseFloat(level.time, 64); err != nil {
			t.Errorf("%s time %q", level.what, level.time)
		}
	}
	if _, err := time.Parse("2006-01-02T15:04:05", s.Timestamp); err != nil {
		t.Errorf("timestamp %q", s.Timestamp)
	}
	return s
}

// One testcase per window: violated fails with the SLOs' reasons, unknown is an error, held and degraded
// pass; each carries the scenario and the window's start, and the terminal's lines as its output.
func TestJUnit(t *testing.T) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	win := func(scenario string, m int, verdict string, slis ...SLIResult) WindowReport {
		return WindowReport{Window: Window{Scenario: scenario, Start: at(m), End: at(m).Add(30 * time.Second), Target: "checkout"},
			Verdict: verdict, SLIs: slis, Observed: []ObservedService{}}
	}
	violated := win("checkout-pod-kill", 0, Violated,
		SLIResult{SLO: "checkout-availability", Verdict: Violated, Reason: "SLI 0.9000 during the fault is below the objective 0.9900"},
		SLIResult{SLO: "checkout-latency", Verdict: Held, Reason: "SLI stayed within 0.0125 of its baseline 1.0000"})
	violated.Observed = []ObservedService{{ServiceChange: ServiceChange{Service: "frontend", DeltaP95Ms: fp(900), DeltaErrorRatio: fp(0.1)}, Size: 18}}
	rep := &Report{Scenario: "", GeneratedAt: at(60), Settings: DefaultSettings(), Windows: []WindowReport{
		violated,
		win("checkout-pod-kill", 10, Held, SLIResult{SLO: "checkout-availability", Verdict: Held}),
		win("ad-failure", 20, Degraded, SLIResult{SLO: "ad-availability", Verdict: Degraded}),
		win("ad-failure", 30, Unknown, SLIResult{SLO: "ad-availability", Verdict: Unknown, Reason: "no baseline: no data in the 300s before the window"}),
	}}
	raw, err := rep.JUnit()
	if err != nil {
		t.Fatal(err)
	}
	s := parseJUnit(t, raw)
	if len(s.Cases) != 4 || s.Failures != "1" || s.Errors != "1" || s.Time != "120.000" || s.Timestamp != "2026-01-02T11:00:00" {
		t.Fatalf("suite %+v\n%s", s, raw)
	}
	c := s.Cases[0]
	if c.Name != "checkout-pod-kill, window 1, 2026-01-02T10:00:00Z" || c.Classname != "chaoslab.report.checkout-pod-kill" || c.Time != "30.000" {
		t.Errorf("testcase %q %q %q", c.Name, c.Classname, c.Time)
	}
	if c.Failure == nil || c.Failure.Type != Violated ||
		c.Failure.Message != "checkout-availability: SLI 0.9000 during the fault is below the objective 0.9900" || strings.Contains(c.Failure.Text, "checkout-latency") {
		t.Errorf("failure %+v", c.Failure)
	}
	for _, want := range []string{"target checkout; observed: frontend p95 +900 ms, errors +10.00 pp", "hit but not targeted: frontend", "checkout-latency: held"} {
		if !strings.Contains(c.SystemOut, want) {
			t.Errorf("system-out lacks %q:\n%s", want, c.SystemOut)
		}
	}
	for i, passes := range []bool{false, true, true, false} {
		if got := s.Cases[i].Failure == nil && s.Cases[i].Error == nil; got != passes {
			t.Errorf("window %d (%s): passes %v, want %v", i+1, rep.Windows[i].Verdict, got, passes)
		}
	}
	if e := s.Cases[3].Error; e == nil || e.Type != Unknown || !strings.Contains(e.Message, "no baseline") {
		t.Errorf("unknown window: error %+v", e)
	}
}

// Nothing judged is never a pass: a report without a window, or a run that could not reach Prometheus, has
// one errored testcase that says why.
func TestJUnitWithoutVerdict(t *testing.T) {
	empty := &Report{Scenario: "checkout-pod-kill", GeneratedAt: t0, Notes: []string{"no fault window found for this scenario in the time range"}}
	raw, err := empty.JUnit()
	if err != nil {
		t.Fatal(err)
	}
	s := parseJUnit(t, raw)
	if len(s.Cases) != 1 || s.Cases[0].Error == nil || s.Cases[0].Error.Message != empty.Notes[0] || s.Cases[0].Name != "checkout-pod-kill: no verdict" {
		t.Errorf("%+v", s)
	}

	dir := t.TempDir()
	junit := filepath.Join(dir, "ci", "junit.xml")
	windows := writeTemp(t, "- {scenario: checkout-pod-kill, start: '2026-01-02T10:00:00Z', end: '2026-01-02T10:01:00Z'}\n")
	var out, errb strings.Builder
	code := Run([]string{"--prometheus", "http://127.0.0.1:1", "--windows", windows, "--out", dir, "--junit", junit}, &out, &errb)
	raw, err = os.ReadFile(junit)
	if code != ExitMissingData || err != nil {
		t.Fatalf("exit %d, junit %v\n%s", code, err, errb.String())
	}
	s = parseJUnit(t, raw)
	if len(s.Cases) != 1 || s.Cases[0].Error == nil || !strings.Contains(s.Cases[0].Error.Message, "Prometheus unreachable at http://127.0.0.1:1") {
		t.Errorf("%+v", s)
	}
}
