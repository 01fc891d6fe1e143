package shopload

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Config says how much load to make and where to send it.
type Config struct {
	Collector Collector
	// VUs is the number of the load generator's virtual users.
	VUs int
	// Speed compresses time: each virtual user thinks Speed times less between iterations, so that a run
	// makes Speed × the telemetry of VUs users (1: as the load generator does). Latencies are not scaled.
	Speed float64
	// Pods lists the pods of a service (nil: one pod, sending from the default address); it is read again
	// every PodRefresh, so that a pod that chaos replaced reports from its successor.
	Pods       func(service string) []Pod
	PodRefresh time.Duration
	// MetricInterval is the SDKs' metric export interval (default 60 s, the SDK's default).
	MetricInterval time.Duration
	Seed           uint64
}

// IterationsPerSecond is the rate at which VUs virtual users iterate: each sleeps U(1, 10) s after an
// iteration of (an estimated) 0.2 s of requests. The demo's default of 5 users makes about 0.9 per second.
func IterationsPerSecond(vus int, speed float64) float64 {
	return float64(vus) * speed / (MeanSleep + 200*time.Millisecond).Seconds()
}

// Generator runs the virtual users.
type Generator struct {
	cfg    Config
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.RWMutex
	faults  []Fault
	pods    map[string][]Pod
	clients map[Pod]*client
	next    map[string]int
	stats   Stats
	errs    []error
}

// Start starts the virtual users; Stop ends them and flushes what the SDKs hold.
func Start(ctx context.Context, cfg Config) (*Generator, error) {
	if cfg.VUs <= 0 {
		return nil, fmt.Errorf("shopload: VUs must be positive, got %d", cfg.VUs)
	}
	if cfg.Speed <= 0 {
		cfg.Speed = 1
	}
	if cfg.MetricInterval == 0 {
		cfg.MetricInterval = 60 * time.Second
	}
	if cfg.PodRefresh == 0 {
		cfg.PodRefresh = 5 * time.Second
	}
	g := &Generator{cfg: cfg, pods: map[string][]Pod{}, clients: map[Pod]*client{}, next: map[string]int{}}
	g.ctx, g.cancel = context.WithCancel(context.Background())
	if err := g.refreshPods(ctx); err != nil {
		return nil, errors.Join(err, g.closeClients(ctx))
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		tick := time.NewTicker(cfg.PodRefresh)
		defer tick.Stop()
		for {
			select {
			case <-g.ctx.Done():
				return
			case <-tick.C:
				if err := g.refreshPods(g.ctx); err != nil {
					g.fail(err)
				}
			}
		}
	}()
	for vu := range cfg.VUs {
		g.wg.Add(1)
		go g.user(uint64(vu))
	}
	return g, nil
}

// user is one virtual user: iterations separated by the script's think time, compressed by Speed. Users
// start spread over one think time, as k6's do once they have run a while.
func (g *Generator) user(vu uint64) {
	defer g.wg.Done()
	rng := rand.New(rand.NewPCG(g.cfg.Seed, vu))
	u := &user{}
	b := &builder{rng: rng}
	u.session = b.uuid()
	think := func() time.Duration {
		return time.Duration((1 + 9*rng.Float64()) * float64(time.Second) / g.cfg.Speed)
	}
	wait := time.Duration(rng.Float64() * float64(MeanSleep) / g.cfg.Speed)
	for {
		select {
		case <-g.ctx.Done():
			return
		case <-time.After(wait):
		}
		now := time.Now()
		b.faults = g.activeFaults(now)
		for _, root := range b.iteration(u) {
			emit(g.ctx, g.client, root, now.Add(-root.End))
			g.mu.Lock()
			g.stats.Count(root)
			g.mu.Unlock()
		}
		wait = think()
	}
}

// Inject adds a fault; it applies to the requests that start inside its window.
func (g *Generator) Inject(f Fault) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.faults = append(g.faults, f)
}

func (g *Generator) activeFaults(t time.Time) []Fault {
	g.mu.RLock()
	defer g.mu.RUnlock()
	var out []Fault
	for _, f := range g.faults {
		if f.active(t) {
			out = append(out, f)
		}
	}
	return out
}

// Stats are the counts of the traces made so far.
func (g *Generator) Stats() Stats {
	g.mu.RLock()
	defer g.mu.RUnlock()
	st := g.stats
	st.ByService = map[string]int{}
	for k, v := range g.stats.ByService {
		st.ByService[k] = v
	}
	return st
}

// client picks the next pod of the service (round robin) and returns its SDK.
func (g *Generator) client(service string) *client {
	g.mu.Lock()
	defer g.mu.Unlock()
	pods := g.pods[service]
	if len(pods) == 0 {
		return nil
	}
	p := pods[g.next[service]%len(pods)]
	g.next[service]++
	return g.clients[p]
}

// refreshPods reads the pods of every service, starts the SDK of each new one and shuts down those of pods
// that are gone.
func (g *Generator) refreshPods(ctx context.Context) error {
	current := map[string][]Pod{}
	for name := range Services {
		pods := []Pod{{}}
		if g.cfg.Pods != nil {
			pods = g.cfg.Pods(name)
		}
		current[name] = pods
	}
	g.mu.Lock()
	var gone []*client
	live := map[Pod]bool{}
	var errs []error
	for name, pods := range current {
		for _, p := range pods {
			live[p] = true
			if g.clients[p] != nil {
				continue
			}
			c, err := newClient(ctx, Services[name], p, g.cfg.Collector, g.cfg.MetricInterval)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s pod %s: %w", name, p.Name, err))
				continue
			}
			g.clients[p] = c
		}
		g.pods[name] = slices.Clone(pods)
	}
	for p, c := range g.clients {
		if !live[p] {
			gone = append(gone, c)
			delete(g.clients, p)
		}
	}
	g.mu.Unlock()
	for _, c := range gone {
		errs = append(errs, c.shutdown(ctx))
	}
	return errors.Join(errs...)
}

func (g *Generator) fail(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.errs = append(g.errs, err)
}

// Flush pushes what every SDK holds to the collector now.
func (g *Generator) Flush(ctx context.Context) error {
	g.mu.RLock()
	clients := make([]*client, 0, len(g.clients))
	for _, c := range g.clients {
		clients = append(clients, c)
	}
	g.mu.RUnlock()
	var errs []error
	for _, c := range clients {
		errs = append(errs, c.tp.ForceFlush(ctx), c.mp.ForceFlush(ctx), c.lp.ForceFlush(ctx))
	}
	return errors.Join(errs...)
}

// Stop ends the virtual users, flushes and closes every SDK, and reports the errors seen on the way.
func (g *Generator) Stop(ctx context.Context) error {
	g.cancel()
	g.wg.Wait()
	g.mu.Lock()
	errs := g.errs
	g.mu.Unlock()
	return errors.Join(append(errs, g.closeClients(ctx))...)
}

func (g *Generator) closeClients(ctx context.Context) error {
	g.mu.Lock()
	clients := g.clients
	g.clients = map[Pod]*client{}
	g.mu.Unlock()
	var errs []error
	for _, c := range clients {
		errs = append(errs, c.shutdown(ctx))
	}
	return errors.Join(errs...)
}
