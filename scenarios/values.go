package scenarios

import (
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// duration checks a positive Go duration; ok is false when it is invalid, or missing and required.
func (c *env) duration(path *field.Path, v string, required bool) (time.Duration, bool) {
	if v == "" {
		if required {
			c.e.add(field.Required(path, "a Go duration such as 30s, 5m or 1h"))
			return 0, false
		}
		return 0, true
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		c.e.add(field.Invalid(path, v, "expected a positive Go duration such as 500ms, 30s or 5m"))
		return 0, false
	}
	return d, true
}

// percent checks a percentage 0 < p <= 100 (a number, optionally followed by %) and returns the number.
func (c *env) percent(path *field.Path, v string, required bool) string {
	if v == "" {
		if required {
			c.e.add(field.Required(path, "a percent greater than 0 and at most 100, e.g. 10"))
		}
		return ""
	}
	t := strings.TrimSpace(strings.TrimSuffix(v, "%"))
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f <= 0 || f > 100 {
		c.e.add(field.Invalid(path, v, "expected a percent greater than 0 and at most 100, e.g. 10"))
		return ""
	}
	return t
}

// wholePercent checks a whole percentage from 1 to 100 (optionally followed by %).
func wholePercent(v string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSuffix(v, "%"))
	return n, err == nil && n >= 1 && n <= 100
}
