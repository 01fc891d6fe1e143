package cluster

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment"
)

// lostEvery limits how often a broken watch is reported: client-go retries it with a backoff by itself.
const lostEvery = 30 * time.Second

// Watch follows every Chaos Mesh object of the shop namespace, and the events of that namespace, with
// informers (a list, then a watch that client-go re-establishes when it breaks). It returns once the
// informers have listed what exists; sink then gets each change until ctx ends. Events older than the watch
// are left out: they belong to earlier objects of the same names.
func (c *Cluster) Watch(ctx context.Context, sink func(experiment.Observation)) error {
	resources, err := c.servedChaosResources()
	if err != nil {
		return err
	}
	started := c.now()
	lost := &lostReporter{sink: sink, now: c.now}
	dyn := dynamicinformer.NewFilteredDynamicSharedInformerFactory(c.dynamic, 0, c.lab.ShopNamespace, nil)
	var synced []cache.InformerSynced
	for _, res := range resources {
		inf := dyn.ForResource(gvr(res)).Informer()
		if err := inf.SetWatchErrorHandler(lost.handle(res)); err != nil {
			return err
		}
		kind := chaosKinds[res]
		if _, err := inf.AddEventHandler(objectHandler(kind, sink, c.now)); err != nil {
			return err
		}
		synced = append(synced, inf.HasSynced)
	}
	typed := informers.NewSharedInformerFactoryWithOptions(c.client, 0, informers.WithNamespace(c.lab.ShopNamespace))
	events := typed.Core().V1().Events().Informer()
	if err := events.SetWatchErrorHandler(lost.handle("events")); err != nil {
		return err
	}
	if _, err := events.AddEventHandler(eventHandler(started, sink, c.now)); err != nil {
		return err
	}
	synced = append(synced, events.HasSynced)

	dyn.Start(ctx.Done())
	typed.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return fmt.Errorf("listing the chaos objects of %s: %w", c.lab.ShopNamespace, context.Cause(ctx))
	}
	return nil
}

// objectHandler turns informer notifications into observations; a deleted object is reported with the last
// state the informer had of it.
func objectHandler(kind string, sink func(experiment.Observation), now func() time.Time) cache.ResourceEventHandler {
	send := func(typ experiment.ObservationType, obj any) {
		if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tomb.Obj
		}
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return
		}
		u = u.DeepCopy()
		if u.GetKind() == "" {
			u.SetKind(kind)
		}
		sink(experiment.Observation{Time: now(), Type: typ, Object: u})
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { send(experiment.Added, obj) },
		UpdateFunc: func(_, obj any) { send(experiment.Updated, obj) },
		DeleteFunc: func(obj any) { send(experiment.Deleted, obj) },
	}
}

func eventHandler(since time.Time, sink func(experiment.Observation), now func() time.Time) cache.ResourceEventHandler {
	send := func(obj any) {
		ev, ok := obj.(*corev1.Event)
		if !ok || lastSeen(ev).Before(since.Add(-time.Second)) {
			return
		}
		sink(experiment.Observation{Time: lastSeen(ev), Type: experiment.Event, Event: ev.DeepCopy()})
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    send,
		UpdateFunc: func(_, obj any) { send(obj) },
	}
}

// lastSeen is when an event last happened, whichever of its time fields is set.
func lastSeen(ev *corev1.Event) time.Time {
	switch {
	case !ev.LastTimestamp.IsZero():
		return ev.LastTimestamp.Time
	case !ev.EventTime.IsZero():
		return ev.EventTime.Time
	case !ev.FirstTimestamp.IsZero():
		return ev.FirstTimestamp.Time
	default:
		return ev.CreationTimestamp.Time
	}
}

// lostReporter forwards watch errors as Lost observations, at most one per lostEvery.
type lostReporter struct {
	mu   sync.Mutex
	last time.Time
	sink func(experiment.Observation)
	now  func() time.Time
}

func (l *lostReporter) handle(what string) cache.WatchErrorHandler {
	return func(_ *cache.Reflector, err error) {
		l.mu.Lock()
		now := l.now()
		if now.Sub(l.last) < lostEvery {
			l.mu.Unlock()
			return
		}
		l.last = now
		l.mu.Unlock()
		l.sink(experiment.Observation{Time: now, Type: experiment.Lost, Problem: fmt.Errorf("watching %s: %w", what, err)})
	}
}
