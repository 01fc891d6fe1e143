//go:build e2e && bench

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

// strikeDeadline bounds the wait for a first injection; the target is 15 s.
const strikeDeadline = time.Minute

// firstStrikes starts Chaos Mesh's controller (after the flip figures, so that they do not pay for it) and,
// three times, switches the flip scenario off and on: each time it measures from the switch-on's up returning
// to the first fault applied, as the chaos objects' records say (the report's window reading; records keep
// whole seconds). A negative time means the fault struck before the up had returned. missed counts switch-ons with no injection within
// strikeDeadline.
func firstStrikes(ctx context.Context, t *testing.T, c *Cluster, s auto.Stack) (strikes []time.Duration, missed int) {
	StartChaosController(ctx, t, c)
	for range 3 {
		setScenarios(ctx, t, s, `{}`)
		if _, _, err := Up(ctx, t, s); err != nil {
			t.Fatalf("switch off: %v", err)
		}
		setScenarios(ctx, t, s, `{"`+flipScenario()+`":{"enabled":true}}`)
		start := time.Now()
		if _, _, err := Up(ctx, t, s); err != nil {
			t.Fatalf("switch on: %v", err)
		}
		returned := time.Now()
		var first time.Time
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, strikeDeadline, true, func(ctx context.Context) (bool, error) {
			ws, err := report.FromCluster(ctx, c.Dynamic, apps.AstronomyShop.Namespace, flipScenario(), time.Now())
			if err != nil {
				return false, nil
			}
			for _, w := range ws {
				// Records keep whole seconds.
				if !w.Start.Before(start.Truncate(time.Second)) && (first.IsZero() || w.Start.Before(first)) {
					first = w.Start
				}
			}
			return !first.IsZero(), nil
		})
		if err != nil {
			missed++
			continue
		}
		strikes = append(strikes, first.Sub(returned))
	}
	return strikes, missed
}
