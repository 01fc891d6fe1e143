// Package labstack is the stack side of `chaoslab run` (experiment.Engine): the lab's Pulumi stack, driven
// through the Automation API with the lab's program (stacks.Lab) inline, so that neither `pulumi up` on the
// directory nor the Go language host is needed. It also wires the real run together (Command).
package labstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// engine implements experiment.Engine on an Automation API stack.
type engine struct {
	stack auto.Stack
	ws    *workspace
	name  string
	file  string // Pulumi.<stack>.yaml
}

var _ experiment.Engine = (*engine)(nil)

// Open opens the stack of the Pulumi project in dir (its Pulumi.yaml is used as it is, never rewritten) with
// program inline. The process moves into dir: a program reads relative paths (chartsDir, the SLO gate's
// build context) from its working directory, which `pulumi up` would make the project directory too.
func Open(ctx context.Context, dir, stackName string, program pulumi.RunFunc) (experiment.Engine, error) {
	if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err != nil {
		// Without one the Automation API would write a default Pulumi.yaml into dir.
		return nil, fmt.Errorf("no Pulumi.yaml in %s", dir)
	}
	if err := os.Chdir(dir); err != nil {
		return nil, err
	}
	cmd, err := newCommand()
	if err != nil {
		return nil, err
	}
	lws, err := auto.NewLocalWorkspace(ctx, auto.WorkDir(dir), auto.Program(program), auto.Pulumi(cmd))
	if err != nil {
		return nil, err
	}
	local, ok := lws.(*auto.LocalWorkspace)
	if !ok {
		return nil, fmt.Errorf("unexpected workspace %T", lws)
	}
	ws := &workspace{LocalWorkspace: local}
	stack, err := auto.SelectStack(ctx, stackName, ws)
	if err != nil {
		return nil, err
	}
	return &engine{stack: stack, ws: ws, name: stackName, file: configFile(dir, stackName)}, nil
}

// workspace is a LocalWorkspace whose SelectStack only checks that the stack exists: `pulumi stack select`
// would change the user's selected stack, and every command of a run names its stack anyway.
type workspace struct {
	*auto.LocalWorkspace
	summary *auto.StackSummary
}

func (w *workspace) SelectStack(ctx context.Context, name string) error {
	list, err := w.ListStacks(ctx)
	if err != nil {
		return err
	}
	var names []string
	for i, s := range list {
		if s.Name == name || strings.HasSuffix(s.Name, "/"+name) {
			w.summary = &list[i]
			return nil
		}
		names = append(names, s.Name)
	}
	return fmt.Errorf("no stack %s in this project's backend (stacks: %s); bring the lab up first (make up STACK=%s)",
		name, strings.Join(names, ", "), name)
}

// configFile is the stack's settings file in dir, as Pulumi names it (the last part of the stack name).
func configFile(dir, stack string) string {
	short := stack[strings.LastIndex(stack, "/")+1:]
	for _, ext := range []string{".yaml", ".yml", ".json"} {
		p := filepath.Join(dir, "Pulumi."+short+ext)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return filepath.Join(dir, "Pulumi."+short+".yaml")
}

// Inspect reads the stack's last operation and size.
func (e *engine) Inspect(ctx context.Context) (experiment.StackInfo, error) {
	info := experiment.StackInfo{Name: e.name, ConfigFile: e.file}
	if err := e.ws.SelectStack(ctx, e.name); err != nil { // lists the stacks again: a fresh resource count
		return info, err
	}
	if e.ws.summary != nil && e.ws.summary.ResourceCount != nil {
		info.Resources = *e.ws.summary.ResourceCount
	}
	history, err := e.stack.History(ctx, 1, 1)
	if err != nil {
		return info, fmt.Errorf("reading the history of stack %s: %w", e.name, err)
	}
	if len(history) > 0 {
		last := history[0]
		info.LastKind, info.LastResult = last.Kind, last.Result
		if last.EndTime != nil {
			info.LastEnd, _ = time.Parse(time.RFC3339, *last.EndTime)
		}
	}
	return info, nil
}

// Config returns the stack's config of the project's namespace, decrypted, as the program reads it.
func (e *engine) Config(ctx context.Context) (map[string]string, error) {
	all, err := e.stack.GetAllConfig(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for key, v := range all {
		if name, ok := strings.CutPrefix(key, stacks.ConfigNamespace+":"); ok {
			out[name] = v.Value
		}
	}
	return out, nil
}

// Update runs `pulumi up`, reporting each resource that it changed or failed to change.
func (e *engine) Update(ctx context.Context, log io.Writer, changed func(experiment.Change)) (experiment.UpdateResult, error) {
	ch := make(chan events.EngineEvent, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range ch {
			if c, ok := changeOf(ev); ok {
				changed(c)
			}
		}
	}()
	res, err := e.stack.Up(ctx, optup.ProgressStreams(log), optup.ErrorProgressStreams(log), optup.EventStreams(ch),
		optup.Color("never"), optup.SuppressOutputs())
	select {
	case <-done: // the engine closes the stream when the update ends
	case <-time.After(5 * time.Second):
	}
	if err != nil {
		return experiment.UpdateResult{}, errors.New(updateError(err))
	}
	out := experiment.UpdateResult{Changes: map[string]int{}}
	if res.Summary.ResourceChanges != nil {
		out.Changes = *res.Summary.ResourceChanges
	}
	return out, nil
}

// Unlock runs `pulumi cancel`, which removes the stack's lock.
func (e *engine) Unlock(ctx context.Context) error { return e.stack.Cancel(ctx) }

// changeOf turns an engine event about a finished or failed step into a Change.
func changeOf(ev events.EngineEvent) (experiment.Change, bool) {
	var meta *struct{ op, urn, typ string }
	switch {
	case ev.ResOutputsEvent != nil:
		m := ev.ResOutputsEvent.Metadata
		meta = &struct{ op, urn, typ string }{string(m.Op), m.URN, m.Type}
	case ev.ResOpFailedEvent != nil:
		m := ev.ResOpFailedEvent.Metadata
		meta = &struct{ op, urn, typ string }{"failed to " + string(m.Op), m.URN, m.Type}
	default:
		return experiment.Change{}, false
	}
	switch meta.op {
	case "same", "read", "refresh":
		return experiment.Change{}, false
	}
	name := meta.urn
	if urn, err := resource.ParseURN(meta.urn); err == nil {
		name = urn.Name()
	}
	return experiment.Change{Op: meta.op, Type: meta.typ, Name: name}, true
}

// updateError keeps what an update's error says about the cause: the Automation API's error carries the
// whole output, whose diagnostics are the useful part.
func updateError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "Diagnostics:"); i >= 0 {
		msg = strings.TrimSpace(msg[i:])
	}
	const max = 2000
	if len(msg) > max {
		msg = msg[:max] + " ..."
	}
	return msg
}
