package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/cli"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "print chaoslab's version, the commit it was built from and the chart versions the lab pins",
		Example: "  chaoslab version",
		Args:    cli.Args(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			writeVersion(cmd.OutOrStdout())
			return nil
		},
	}
}

// build is what the Go toolchain recorded about this binary: the module's version, and the commit, its
// time and whether the tree had changes, when it was built from a git checkout.
func build() (version, commit, when string, modified bool) {
	version = "(unknown)"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version, "", "", false
	}
	version = info.Main.Version
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	return version, commit, when, modified
}

// versionLine is the one line of `chaoslab --version`.
func versionLine() string {
	version, commit, _, modified := build()
	line := version
	if commit != "" {
		line += " (commit " + commit[:min(12, len(commit))]
		if modified {
			line += ", modified"
		}
		line += ")"
	}
	return line + ", " + runtime.Version()
}

// writeVersion is `chaoslab version`: the build, then the pinned charts, which say what a lab of this
// version installs.
func writeVersion(w io.Writer) {
	version, commit, when, modified := build()
	fmt.Fprintf(w, "chaoslab %s\n", version)
	if commit != "" {
		fmt.Fprintf(w, "  commit  %s (%s)", commit, when)
		if modified {
			fmt.Fprint(w, ", built from a modified tree")
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  go      %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintln(w, "charts the lab pins:")
	for _, c := range components.AllCharts {
		fmt.Fprintf(w, "  %-24s %s\n", c.Name, c.Version)
	}
}
