package experiment

import (
	"fmt"
	"strings"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
)

// A run holds every scenario to strike: Chaos Mesh must report an injection within a deadline, else the
// experiment ends early with exit 5 (a fault that did not land) and Chaos Mesh's own reason. A run whose fault
// never landed must not pass as "nothing was hurt".

// strikeMargin is how long after its first run a scenario may take to inject by default. Chaos Mesh injects
// within seconds of a run; a minute leaves room for a busy controller and for the pod-failure image's pull.
const strikeMargin = time.Minute

// strikeDeadline is how long after the switch-on a scenario must have struck: --strike-within when given,
// else its first run plus strikeMargin. ok is false for the scenarios that Chaos Mesh does not run (flags and
// mesh faults take effect with the update itself).
func strikeDeadline(s Scenario, within time.Duration, now time.Time) (time.Duration, bool) {
	if s.Kind != KindSchedule && s.Kind != KindWorkflow {
		return 0, false
	}
	if within > 0 {
		return within, true
	}
	return firstRun(s, now) + strikeMargin, true
}

// firstRun is how long after its switch-on a scenario's first run comes: at once for a Workflow, and for a
// Schedule with its kick-off; one schedule's wait for a Schedule without one.
func firstRun(s Scenario, now time.Time) time.Duration {
	if s.Kind != KindSchedule || s.KickOff != "" || s.Schedule == "" {
		return 0
	}
	if every, ok := strings.CutPrefix(strings.TrimSpace(s.Schedule), "@every"); ok {
		if d, err := time.ParseDuration(strings.TrimSpace(every)); err == nil {
			return d
		}
	}
	sched, err := v1alpha1.StandardCronParser.Parse(s.Schedule)
	if err != nil {
		return 0
	}
	return sched.Next(now).Sub(now)
}

// missedStrikes are the scenarios that have not struck by now although their deadline, counted from on,
// has passed, each with what Chaos Mesh said about it.
func missedStrikes(strikes []strike, within time.Duration, on, now time.Time) []string {
	var out []string
	for _, st := range strikes {
		deadline, ok := strikeDeadline(st.Scenario, within, on)
		if !ok || !st.Struck.IsZero() || now.Sub(on) < deadline {
			continue
		}
		out = append(out, fmt.Sprintf("%s did not strike within %s of its switch-on: %s", st.Scenario.Name, deadline, chaosMeshSays(st)))
	}
	return out
}

// nextStrikeDeadline is the earliest deadline after now of a scenario that has not struck; zero when none.
func nextStrikeDeadline(strikes []strike, within time.Duration, on, now time.Time) time.Time {
	var next time.Time
	for _, st := range strikes {
		deadline, ok := strikeDeadline(st.Scenario, within, on)
		if !ok || !st.Struck.IsZero() {
			continue
		}
		if at := on.Add(deadline); at.After(now) && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next
}

// failedInjections are the scenarios whose injection Chaos Mesh reported as failed, with its words.
func failedInjections(strikes []strike) []string {
	var out []string
	for _, st := range strikes {
		if st.FailedInjections > 0 {
			out = append(out, fmt.Sprintf("%s: Chaos Mesh failed to inject it %d time(s): %s", st.Scenario.Name, st.FailedInjections, chaosMeshSays(st)))
		}
	}
	return out
}

// chaosMeshSays is what Chaos Mesh's records, conditions and events said about a scenario.
func chaosMeshSays(st strike) string {
	if len(st.Failures) == 0 {
		return "Chaos Mesh reported no injection and no failure (is its controller running? kubectl -n chaos-mesh get pods)"
	}
	return strings.Join(st.Failures, "; ")
}
