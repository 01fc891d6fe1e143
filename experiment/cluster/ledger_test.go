package cluster

import (
	"context"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment"
)

// The run record is one ConfigMap per stack in the app's namespace: the first claim creates it, any later
// one gets it back unchanged, and only a release removes it.
func TestTheRunRecordIsClaimedOnce(t *testing.T) {
	c, client, _ := newFakeCluster(t)
	ctx := context.Background()
	rec := experiment.ClusterRecord{Stack: "org/chaos-mesh-otel/Dev_1", Scenarios: []string{"checkout-pod-kill"}, Host: "a", PID: 1,
		Phase: experiment.PhaseSwitchingOn, Heartbeat: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	if held, err := c.ClaimRun(ctx, rec); err != nil || held != nil {
		t.Fatalf("first claim: %v %v", held, err)
	}
	cm, err := client.CoreV1().ConfigMaps("otel-demo").Get(ctx, "chaoslab-run-org-chaos-mesh-otel-dev-1", metav1.GetOptions{})
	if err != nil || cm.Labels[RecordLabel] != "true" {
		t.Fatalf("the record's ConfigMap: %v %v", cm, err)
	}
	other := rec
	other.Host, other.PID = "b", 2
	held, err := c.ClaimRun(ctx, other)
	if err != nil || held == nil || held.Host != "a" || held.Scenarios[0] != "checkout-pod-kill" {
		t.Fatalf("second claim must get the first run's record: %+v %v", held, err)
	}
	rec.Phase, rec.Heartbeat = experiment.PhaseWatching, rec.Heartbeat.Add(10*time.Second)
	if err := c.UpdateRun(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if got, err := c.ReadRun(ctx, rec.Stack); err != nil || got.Phase != experiment.PhaseWatching || !got.Heartbeat.Equal(rec.Heartbeat) {
		t.Errorf("after the update: %+v %v", got, err)
	}
	if err := c.ReleaseRun(ctx, rec.Stack); err != nil {
		t.Fatal(err)
	}
	if got, err := c.ReadRun(ctx, rec.Stack); err != nil || got != nil {
		t.Errorf("after the release: %+v %v", got, err)
	}
	if err := c.ReleaseRun(ctx, rec.Stack); err != nil {
		t.Errorf("releasing twice: %v", err)
	}
}

// Two runs claiming at once: exactly one wins.
func TestConcurrentClaimsHaveOneWinner(t *testing.T) {
	c, _, _ := newFakeCluster(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			held, err := c.ClaimRun(context.Background(), experiment.ClusterRecord{Stack: "dev", PID: i})
			if err == nil && held == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d claims won, want 1", wins)
	}
}

// Untracked objects of the run are deleted by name; one already being deleted, or gone, is left alone.
func TestDeleteUntracked(t *testing.T) {
	c, _, dyn := newFakeCluster(t)
	ctx := context.Background()
	put := func(res, kind, name string, deleting bool) {
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "chaos-mesh.org/v1alpha1", "kind": kind,
			"metadata": map[string]any{"name": name, "namespace": "otel-demo"}}}
		if deleting {
			now := metav1.Now()
			u.SetDeletionTimestamp(&now)
		}
		if _, err := dyn.Resource(gvr(res)).Namespace("otel-demo").Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	put("schedules", "Schedule", "checkout-pod-kill", false)
	put("workflows", "Workflow", "checkout-pod-kill-first", true)
	deleted, err := c.DeleteUntracked(ctx, []string{"Schedule/checkout-pod-kill", "Workflow/checkout-pod-kill-first", "Workflow/gone", "PodChaos/x"})
	if err != nil || len(deleted) != 1 || deleted[0] != "Schedule/checkout-pod-kill" {
		t.Fatalf("deleted %v, %v", deleted, err)
	}
	if _, err := dyn.Resource(gvr("schedules")).Namespace("otel-demo").Get(ctx, "checkout-pod-kill", metav1.GetOptions{}); err == nil {
		t.Error("the Schedule is still there")
	}
	if _, err := dyn.Resource(gvr("workflows")).Namespace("otel-demo").Get(ctx, "checkout-pod-kill-first", metav1.GetOptions{}); err != nil {
		t.Errorf("the Workflow that was being deleted must be left to its finalizers: %v", err)
	}
}
