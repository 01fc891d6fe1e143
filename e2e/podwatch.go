//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/report"
)

// PodLife is what the watch saw of one pod: when it was created, first Ready, and deleted.
type PodLife struct {
	Name, UID, Component, Owner string
	Created, Ready, Deleted     time.Time
}

// PodWatch records, as they happen, the lives of the pods of a namespace: the independent evidence of what a
// pod-kill did, against which Chaos Mesh's own records and the report's windows are compared.
type PodWatch struct {
	mu   sync.Mutex
	pods map[string]*PodLife // by UID
}

// WatchPods watches ns until the test ends.
func WatchPods(tb testing.TB, c *Cluster, ns string) *PodWatch {
	tb.Helper()
	w := &PodWatch{pods: map[string]*PodLife{}}
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	factory := informers.NewSharedInformerFactoryWithOptions(c.Client, 0, informers.WithNamespace(ns))
	inf := factory.Core().V1().Pods().Informer()
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { w.seen(obj, false) },
		UpdateFunc: func(_, obj any) { w.seen(obj, false) },
		DeleteFunc: func(obj any) {
			if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = t.Obj
			}
			w.seen(obj, true)
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		tb.Fatalf("pod watch in %s did not sync", ns)
	}
	return w
}

func (w *PodWatch) seen(obj any, deleted bool) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	life := w.pods[string(p.UID)]
	if life == nil {
		life = &PodLife{Name: p.Name, UID: string(p.UID), Component: p.Labels[report.ComponentLabel], Created: p.CreationTimestamp.Time}
		if ref := metav1.GetControllerOf(p); ref != nil {
			life.Owner = ref.Kind + "/" + ref.Name
		}
		w.pods[life.UID] = life
	}
	if life.Ready.IsZero() && podReady(p) {
		life.Ready = now
	}
	if deleted && life.Deleted.IsZero() {
		life.Deleted = now
	}
}

// Deleted lists the pods of a component deleted after since, in order.
func (w *PodWatch) Deleted(component string, since time.Time) []PodLife {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []PodLife
	for _, p := range w.pods {
		if p.Component == component && !p.Deleted.IsZero() && p.Deleted.After(since) {
			out = append(out, *p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Deleted.Before(out[j].Deleted) })
	return out
}

// Replacement finds the pod that the same owner created after killed was deleted and that became Ready.
func (w *PodWatch) Replacement(killed PodLife) (PodLife, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.pods {
		// Creation timestamps have whole seconds: a replacement may carry the second of the deletion.
		if p.UID != killed.UID && p.Owner == killed.Owner && !p.Created.Before(killed.Deleted.Truncate(time.Second)) && !p.Ready.IsZero() {
			return *p, nil
		}
	}
	return PodLife{}, fmt.Errorf("no Ready replacement of %s (owner %s) created after %s", killed.Name, killed.Owner, killed.Deleted.Format(time.RFC3339Nano))
}

// ComponentOf is the component label of a pod the watch has seen, by name; "" when it has seen none of that name.
func (w *PodWatch) ComponentOf(name string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.pods {
		if p.Name == name {
			return p.Component
		}
	}
	return ""
}
