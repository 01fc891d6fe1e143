package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// maxDuration bounds a fault's duration. Chaos Mesh sets no limit, but a lab's fault window lasts minutes
// and the report judges it against a few minutes of baseline: a day is far beyond any real use, and a value
// like 876000h is a typo that would hold a one-shot fault for a century.
const maxDuration = 24 * time.Hour

// defaultDuration is the duration of a fault whose config leaves it out, "" when it is required. Pod and
// container kills are instantaneous: their duration only bounds the workflow step, or the spawned object of
// a Schedule, so it is 30s, or the schedule's interval when that is shorter.
func defaultDuration(fault Fault, interval time.Duration) string {
	if fault != PodKill && fault != ContainerKill {
		return ""
	}
	if d := 30 * time.Second; interval == 0 || interval >= d {
		return "30s"
	}
	return interval.String()
}

// schedule checks a schedule (cron or @every) and returns its shortest interval, 0 without a schedule.
func (c *env) schedule(s *scenario) (time.Duration, bool) {
	if s.Schedule == "" {
		return 0, true
	}
	p := s.path("schedule")
	every := strings.HasPrefix(s.Schedule, "@every")
	if every && s.isGameDay {
		c.e.add(field.Invalid(p, s.Schedule, "a game day accepts only a cron expression (e.g. \"0 3 * * *\"): @every is broken for Schedules of type Workflow (chaos-mesh#4624)"))
		return 0, false
	}
	sched, err := v1alpha1.StandardCronParser.Parse(s.Schedule)
	if err != nil {
		c.e.add(field.Invalid(p, s.Schedule, fmt.Sprintf("expected a cron expression (\"*/10 * * * *\") or @every <duration> (\"@every 10m\"): %v", err)))
		return 0, false
	}
	if every {
		d, err := time.ParseDuration(strings.TrimSpace(strings.TrimPrefix(s.Schedule, "@every")))
		if err != nil || d < time.Second {
			c.e.add(field.Invalid(p, s.Schedule, "expected @every <duration> of at least 1s, such as @every 10m"))
			return 0, false
		}
		return d, true
	}
	if problem := cronStepProblem(s.Schedule); problem != "" {
		c.e.add(field.Invalid(p, s.Schedule, problem))
		return 0, false
	}
	if sched.Next(time.Now()).IsZero() {
		c.e.add(field.Invalid(p, s.Schedule, "never fires (no date matches it, such as 31 February); expected a schedule that does"))
		return 0, false
	}
	return shortestInterval(sched.Next), true
}

// cronFields are the fields of a cron expression in order, seconds first; the seconds field is optional.
var cronFields = []struct {
	name   string
	lo, hi int
}{{"second", 0, 59}, {"minute", 0, 59}, {"hour", 0, 23}, {"day-of-month", 1, 31}, {"month", 1, 12}, {"day-of-week", 0, 6}}

// cronStepProblem finds a step larger than the range it steps through, such as */61 in the minutes. Chaos
// Mesh's cron parser accepts it, but it can match only the range's first value: */61 fires at minute 0, once
// an hour, not every 61 minutes. It returns "" when every step fits.
func cronStepProblem(expr string) string {
	fields := strings.Fields(expr)
	if len(fields) > 0 && (strings.HasPrefix(fields[0], "TZ=") || strings.HasPrefix(fields[0], "CRON_TZ=")) {
		fields = fields[1:]
	}
	first := len(cronFields) - len(fields) // 0 with seconds, 1 without
	if len(fields) == 0 || strings.HasPrefix(fields[0], "@") || first < 0 {
		return ""
	}
	for i, f := range fields {
		field := cronFields[first+i]
		for _, part := range strings.Split(f, ",") {
			rng, stepText, hasStep := strings.Cut(part, "/")
			step, err := strconv.Atoi(stepText)
			if !hasStep || err != nil {
				continue
			}
			lo, hi := field.lo, field.hi
			if a, b, isRange := strings.Cut(rng, "-"); isRange {
				lo, _ = strconv.Atoi(a)
				hi, _ = strconv.Atoi(b)
			} else if rng != "*" && rng != "?" {
				lo, _ = strconv.Atoi(rng)
			}
			if span := hi - lo + 1; step > span {
				return fmt.Sprintf("the step /%d of the %s field (%s) is larger than its range %d-%d, so it fires only at %s %d; expected a step of at most %d, or @every <duration>",
					step, field.name, f, lo, hi, field.name, lo, span)
			}
		}
	}
	return ""
}

// shortestInterval is the smallest gap between consecutive activations over a sample of a year.
func shortestInterval(next func(time.Time) time.Time) time.Duration {
	t := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	end := t.AddDate(1, 0, 0)
	prev := next(t)
	var best time.Duration
	for i := 0; i < 2000 && !prev.IsZero() && prev.Before(end); i++ {
		n := next(prev)
		if n.IsZero() {
			break
		}
		if gap := n.Sub(prev); best == 0 || gap < best {
			best = gap
		}
		prev = n
	}
	return best
}
