package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/suggest"
)

// root is the path of the config key that Build reads; every error's path starts with it.
var root = field.NewPath("scenarios")

// errs collects the problems of a config, each a field.Error whose path names the key.
type errs struct{ list field.ErrorList }

func (e *errs) add(err *field.Error) { e.list = append(e.list, err) }

// count is how many problems are known; comparing counts tells whether a step found one.
func (e *errs) count() int { return len(e.list) }

// under says whether a problem is known at path or below it.
func (e *errs) under(path *field.Path) bool {
	p := path.String()
	return slices.ContainsFunc(e.list, func(fe *field.Error) bool {
		return fe.Field == p || strings.HasPrefix(fe.Field, p+".") || strings.HasPrefix(fe.Field, p+"[")
	})
}

// sorted returns the problems ordered by path, each once.
func (e *errs) sorted() field.ErrorList {
	list := slices.Clone(e.list)
	slices.SortStableFunc(list, func(a, b *field.Error) int { return strings.Compare(a.Field, b.Field) })
	return slices.CompactFunc(list, func(a, b *field.Error) bool { return a.Error() == b.Error() })
}

// notSupported is field.NotSupported with a "did you mean" for a likely typo.
func notSupported(path *field.Path, value string, valid []string) *field.Error {
	err := field.NotSupported(path, value, valid)
	if s := suggest.Closest(value, valid); s != "" {
		err.Detail = fmt.Sprintf("did you mean %q? %s", s, err.Detail)
	}
	return err
}

// unknownKey is a key that the object at its path does not take; what names the object ("fault pod-kill").
// A key of other faults says which; any other gets a "did you mean" for a likely typo.
func unknownKey(path *field.Path, what, key string, allowed []string) *field.Error {
	hint := ""
	if owners := faultsTaking(key); len(owners) > 0 {
		hint = fmt.Sprintf(" (it is a key of %s)", strings.Join(owners, ", "))
	} else if s := suggest.Closest(key, allowed); s != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	}
	return field.Forbidden(path, fmt.Sprintf("unknown key for %s%s; expected one of: %s", what, hint, strings.Join(allowed, ", ")))
}
