package experiment

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress prints the run's timeline: one line per step, with the time (UTC) it happened at. The watch
// and the state machine print from different goroutines, so lines are written whole under a lock.
type progress struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// timeFormat is short because every line has one; the run's first line gives the date.
const timeFormat = "15:04:05"

// at prints a line stamped with t.
func (p *progress) at(t time.Time, format string, a ...any) {
	line := t.UTC().Format(timeFormat) + "  " + fmt.Sprintf(format, a...) + "\n"
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = io.WriteString(p.w, line)
}

// say prints a line stamped with the current time.
func (p *progress) say(format string, a ...any) { p.at(p.now(), format, a...) }

// interrupter turns SIGINT and SIGTERM into what the current phase of the run does with them: a phase that
// may stop gets its context cancelled; a phase that must finish (an update, the switch-off) only prints why
// it goes on.
type interrupter struct {
	mu     sync.Mutex
	count  int
	cancel context.CancelFunc // of the current phase, nil when it must finish
	note   string             // what the current phase does on an interrupt
	out    *progress
	done   chan struct{}
}

func newInterrupter(signals <-chan os.Signal, out *progress) *interrupter {
	i := &interrupter{out: out, done: make(chan struct{})}
	if signals == nil {
		return i
	}
	go func() {
		for {
			select {
			case sig := <-signals:
				i.interrupt(sig)
			case <-i.done:
				return
			}
		}
	}()
	return i
}

func (i *interrupter) interrupt(sig os.Signal) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.count++
	i.out.say("%s: %s", signalName(sig), i.note)
	if i.cancel != nil {
		i.cancel()
	}
}

func signalName(sig os.Signal) string {
	if sig == os.Interrupt {
		return "interrupt"
	}
	return sig.String()
}

// stoppable enters a phase that an interrupt ends: the returned context is cancelled by the next one. done
// leaves the phase. (The machine itself decides what an interrupt before the phase means for it.)
func (i *interrupter) stoppable(parent context.Context, note string) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	i.mu.Lock()
	i.cancel, i.note = cancel, note
	i.mu.Unlock()
	return ctx, func() {
		i.mu.Lock()
		i.cancel = nil
		i.mu.Unlock()
		cancel()
	}
}

// unstoppable enters a phase that goes on after an interrupt; note tells the user why.
func (i *interrupter) unstoppable(note string) {
	i.mu.Lock()
	i.cancel, i.note = nil, note
	i.mu.Unlock()
}

// interrupted reports whether an interrupt has come.
func (i *interrupter) interrupted() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.count > 0
}

func (i *interrupter) stop() { close(i.done) }
