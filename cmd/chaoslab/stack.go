package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/cli"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/exitcode"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks/stackfile"
)

// loadedStack is a stack file, checked as pulumi preview checks it.
type loadedStack struct {
	path string
	file *stackfile.File
	cfg  *stacks.Config
}

// loadStack reads a stack file with Pulumi's loader and checks it with the CLI's schema checks and the
// program's own parser (stacks.CheckStackFile). Problems go to stderr, each at its key, and the error it
// returns carries the exit code: 1 when the file cannot be read at all, 2 when it is refused. Notices (a
// name changed, a key that make up has yet to generate) go to stderr too, and do not fail.
func loadStack(path string, stderr io.Writer) (*loadedStack, error) {
	file, err := stacks.ReadStackFile(path)
	var content *stackfile.ContentError
	switch {
	case errors.As(err, &content):
		fmt.Fprintln(stderr, err)
		return nil, cli.Exit(exitcode.Failed)
	case err != nil:
		return nil, cli.Fail(exitcode.Usage, fmt.Errorf("%s: %w", path, err))
	}
	if file.ProjectFile == "" {
		fmt.Fprintf(stderr, "notice: no Pulumi.yaml beside %s or above it: checked against the lab's own Pulumi.yaml (compiled into chaoslab), "+
			"as pulumi preview would check it in the repository\n", path)
	}
	if len(file.ProjectKeys()) == 0 {
		fmt.Fprintf(stderr, "notice: %s sets no %s key: every default applies and no scenario is enabled (the README's configuration reference lists the keys)\n",
			path, stacks.ConfigNamespace)
	}
	cfg, notices, err := stacks.CheckStackFile(file)
	if err != nil {
		// The same lines as pulumi preview prints for this config.
		fmt.Fprintf(stderr, "%s: %v\n", path, err)
		return nil, cli.Exit(exitcode.Failed)
	}
	for _, n := range notices {
		fmt.Fprintf(stderr, "notice: %s\n", n)
	}
	return &loadedStack{path: path, file: file, cfg: cfg}, nil
}

// passwordKey is grafanaAdminPassword in full.
var passwordKey = stacks.ConfigNamespace + ":" + stacks.KeyGrafanaAdminPassword

// passwordUnreadable says whether the file holds no password that chaoslab can read: encrypted (as make
// up stores the one it generates), or not there yet. Rendering needs a value; only pulumi preview, which
// decrypts it, can check its length.
func (s *loadedStack) passwordUnreadable() bool {
	_, plain := s.file.Values[passwordKey]
	return !plain
}
