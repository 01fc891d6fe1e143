package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// loadedStack is a stack file, checked as the program checks its config at pulumi preview.
type loadedStack struct {
	path string
	file *stacks.StackFile
	cfg  *stacks.Config
}

// loadStack reads a stack file and checks it with stacks.ParseConfig, the program's own parser, over the
// file's values. It prints what is wrong to stderr; ok is false then, and code is the exit code to end with:
// 1 when the file cannot be read, 2 when the config is invalid.
func loadStack(name, path string, stderr io.Writer) (st *loadedStack, code int, ok bool) {
	file, err := stacks.ReadStackFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "chaoslab %s: %s: %v\n", name, path, err)
		return nil, exitUsage, false
	}
	if len(file.ProjectKeys()) == 0 {
		fmt.Fprintf(stderr, "notice: %s sets no %s key: every default applies and no scenario is enabled (the README's configuration reference lists the keys)\n",
			path, stacks.ConfigNamespace)
	}
	cfg, err := stacks.ParseConfig(file.Source())
	if err != nil {
		// The same lines as pulumi preview prints for this config.
		fmt.Fprintf(stderr, "%s: %v\n", path, err)
		return nil, exitFailed, false
	}
	return &loadedStack{path: path, file: file, cfg: cfg}, exitOK, true
}

// passwordEncrypted says whether the file holds grafanaAdminPassword as a secure value: chaoslab counts it as
// set, and only pulumi preview, which decrypts it, can check its length.
func (s *loadedStack) passwordEncrypted() bool {
	return slices.Contains(s.file.Source().Encrypted, stacks.KeyGrafanaAdminPassword)
}

// oneFile reads the single stack file argument of validate and render, or says what is wrong.
func oneFile(name string, args []string, help func(io.Writer), stdout, stderr io.Writer) (path string, code int, ok bool) {
	switch {
	case wantsHelp(args):
		help(stdout)
		return "", exitOK, false
	case len(args) != 1:
		fmt.Fprintf(stderr, "chaoslab %s: expected one stack file, got %d arguments\n\n", name, len(args))
		help(stderr)
		return "", exitUsage, false
	case len(args[0]) > 1 && args[0][0] == '-':
		fmt.Fprintf(stderr, "chaoslab %s: unknown flag %s\n\n", name, args[0])
		help(stderr)
		return "", exitUsage, false
	}
	return args[0], exitOK, true
}
