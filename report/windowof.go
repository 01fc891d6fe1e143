package report

import (
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// WindowOf is the fault window of one chaos object as it was last seen: its records' first successful Apply
// to their last successful Recover (see FromCluster). ok is false when the object belongs to another scenario
// or never applied. With scenario "" every object matches. A watcher that saw the object before it was
// deleted (a Schedule keeps only its last historyLimit children) uses this instead of FromCluster.
func WindowOf(obj *unstructured.Unstructured, scenario string, now time.Time) (w Window, ok bool, err error) {
	return windowOf(obj, scenario, now)
}
