//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
)

// ConfigNamespace is the project's config namespace (the `name` in Pulumi.yaml).
const ConfigNamespace = "chaos-mesh-otel"

// Key is a fully qualified config key of the project.
func Key(k string) string { return ConfigNamespace + ":" + k }

// LabConfig is the base stack config every e2e stack gets.
func LabConfig(c *Cluster) auto.ConfigMap {
	return auto.ConfigMap{
		Key("kubeconfig"):           {Value: c.Kubeconfig},
		Key("chartsDir"):            {Value: ChartsDir()},
		Key("grafanaAdminPassword"): {Value: "e2e-admin-password", Secret: true},
		// No Docker daemon here: run the SLO gate from its image reference (kwok never pulls it).
		Key("sloGate"): {Value: "image"},
	}
}

// Output is an engine run's captured output, kept so that a failure can show its tail.
type Output struct{ bytes.Buffer }

// Tail returns the last n bytes.
func (o *Output) Tail(n int) string {
	b := o.Bytes()
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Up runs `pulumi up` and returns its wall time.
func Up(ctx context.Context, tb testing.TB, s auto.Stack, opts ...optup.Option) (auto.UpResult, time.Duration, error) {
	var out Output
	start := time.Now()
	res, err := s.Up(ctx, append(opts, optup.ProgressStreams(&out), optup.ErrorProgressStreams(&out), optup.Color("never"))...)
	d := time.Since(start)
	if err != nil {
		tb.Logf("up failed after %s; output tail:\n%s", d.Round(time.Millisecond), out.Tail(8000))
	}
	return res, d, err
}

// Preview runs `pulumi preview`; its output is returned whole (assertions read the error text in it).
func Preview(ctx context.Context, s auto.Stack, opts ...optpreview.Option) (auto.PreviewResult, time.Duration, string, error) {
	var out Output
	start := time.Now()
	res, err := s.Preview(ctx, append(opts, optpreview.ProgressStreams(&out), optpreview.ErrorProgressStreams(&out), optpreview.Color("never"))...)
	return res, time.Since(start), out.String(), err
}

// Destroy runs `pulumi destroy` and returns its wall time.
func Destroy(ctx context.Context, tb testing.TB, s auto.Stack) (time.Duration, error) {
	var out Output
	start := time.Now()
	_, err := s.Destroy(ctx, optdestroy.ProgressStreams(&out), optdestroy.ErrorProgressStreams(&out), optdestroy.Color("never"))
	d := time.Since(start)
	if err != nil {
		tb.Logf("destroy failed after %s; output tail:\n%s", d.Round(time.Millisecond), out.Tail(8000))
	}
	return d, err
}

// Changes sums the non-same operations of a change summary.
func Changes(summary map[string]int) (int, string) {
	n := 0
	var parts []string
	for op, count := range summary {
		if op == "same" || count == 0 {
			continue
		}
		n += count
		parts = append(parts, fmt.Sprintf("%s=%d", op, count))
	}
	return n, strings.Join(parts, " ")
}

// ChangeSummaryOf converts a preview's summary to plain strings.
func ChangeSummaryOf[K ~string](m map[K]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}
