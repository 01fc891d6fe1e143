package report

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The JUnit XML that CI systems read (Jenkins, GitLab, GitHub's test reporters): testsuites, one testsuite,
// one testcase per fault window, with failure, error and system-out, and the counts on both levels.
type (
	junitSuites struct {
		XMLName xml.Name `xml:"testsuites"`
		junitCounts
		Suites []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		junitCounts
		Timestamp string      `xml:"timestamp,attr"`
		Cases     []junitCase `xml:"testcase"`
	}
	junitCounts struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Time     string `xml:"time,attr"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitProblem `xml:"failure,omitempty"`
		Error     *junitProblem `xml:"error,omitempty"`
		SystemOut *junitText    `xml:"system-out,omitempty"`
	}
	junitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",cdata"` // CDATA keeps the lines readable (chardata would escape each newline)
	}
	junitText struct {
		Text string `xml:",cdata"`
	}
)

// JUnit is the report as JUnit XML: one testcase per fault window, named after its scenario, number and
// start, timed by the window's length. A violated window is a failure and a window that could not be judged
// (unknown) an error, each with its SLOs' reasons; held and degraded windows pass. A report without a window
// has one errored testcase, so that CI never reads "nothing judged" as "nothing failed".
func (r *Report) JUnit() ([]byte, error) {
	suite := junitSuite{junitCounts: junitCounts{Name: "chaoslab report: " + scenarioLabel(r.Scenario)},
		Timestamp: r.GeneratedAt.UTC().Format("2006-01-02T15:04:05")}
	total := 0.0
	for i, wr := range r.Windows {
		c := windowCase(i, wr, r.Settings.After)
		total += wr.End.Sub(wr.Start).Seconds()
		suite.Cases = append(suite.Cases, c)
	}
	if len(r.Windows) == 0 {
		why := strings.Join(r.Notes, "; ")
		if why == "" {
			why = "no fault window to judge"
		}
		suite.Cases = append(suite.Cases, junitCase{Name: scenarioLabel(r.Scenario) + ": no verdict", Classname: "chaoslab.report",
			Time: seconds(0), Error: &junitProblem{Message: why, Type: Unknown, Text: why}})
	}
	for _, c := range suite.Cases {
		suite.Tests++
		if c.Failure != nil {
			suite.Failures++
		}
		if c.Error != nil {
			suite.Errors++
		}
	}
	suite.Time = seconds(total)
	all := junitSuites{junitCounts: suite.junitCounts, Suites: []junitSuite{suite}}
	b, err := xml.MarshalIndent(all, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(append([]byte(xml.Header), b...), '\n'), nil
}

// windowCase is one window's testcase; its output is what the terminal says of the window.
func windowCase(i int, wr WindowReport, watched time.Duration) junitCase {
	c := junitCase{Name: fmt.Sprintf("%s, window %d, %s", wr.Scenario, i+1, wr.Start.UTC().Format(time.RFC3339)),
		Classname: "chaoslab.report." + wr.Scenario, Time: seconds(wr.End.Sub(wr.Start).Seconds()),
		SystemOut: &junitText{strings.Join(append(windowLines(i, wr, watched), sliLines(wr)...), "\n") + "\n"}}
	switch wr.Verdict {
	case Violated:
		c.Failure = problem(wr, Violated, "an SLO was violated")
	case Unknown:
		c.Error = problem(wr, Unknown, "no SLO to judge")
	}
	return c
}

// problem is a failure or error: the reasons of the SLOs with that verdict, the first as its message.
func problem(wr WindowReport, verdict, otherwise string) *junitProblem {
	var reasons []string
	for _, s := range wr.SLIs {
		if s.Verdict == verdict {
			reasons = append(reasons, s.SLO+": "+s.Reason)
		}
	}
	if len(reasons) == 0 {
		reasons = []string{otherwise}
	}
	return &junitProblem{Message: reasons[0], Type: verdict, Text: strings.Join(reasons, "\n")}
}

func seconds(s float64) string { return fmt.Sprintf("%.3f", s) }

// writeJUnit writes r as JUnit XML to file, creating its directory.
func writeJUnit(file string, r *Report) error {
	b, err := r.JUnit()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	return os.WriteFile(file, b, 0o644)
}
