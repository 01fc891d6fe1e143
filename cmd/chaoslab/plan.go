package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/wiring"
)

// `chaoslab plan FILE`: the blast radius of a stack's enabled scenarios and the wiring checks, offline.
// Exit codes: 0 no findings, 1 findings, 2 usage or a config/charts problem.
func init() {
	register("plan", "preview a stack offline: blast radius of its scenarios and wiring findings (exit 0 clean, 1 findings)", runPlan)
}

// renderLab renders the lab's objects; tests replace it.
var renderLab = wiring.Render

// fromCluster reads a live cluster's objects; tests replace it.
var fromCluster = wiring.FromCluster

// placeholderPassword stands in for grafanaAdminPassword, which is a secret that a stack file holds
// encrypted (or not at all, before `make up`); it changes no object that the checks read.
const placeholderPassword = "chaoslab-plan-placeholder"

func runPlan(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	wd, _ := os.Getwd()
	chartsDir := fs.String("charts-dir", components.OfflineChartsDir(wd), "directory of chart archives <name>-<version>.tgz (default: $CHARTS_DIR, else ../shared/charts beside the repository)")
	kubeconfig := fs.String("kubeconfig", "", "check the objects of a live cluster (kubeconfig path) instead of rendering FILE")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: chaoslab plan [--charts-dir DIR] Pulumi.<stack>.yaml")
		fmt.Fprintln(stderr, "       chaoslab plan --kubeconfig PATH")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx := context.Background()
	var objs *wiring.Objects
	var err error
	switch {
	case *kubeconfig != "" && fs.NArg() == 0:
		objs, err = fromCluster(ctx, *kubeconfig)
		if err != nil {
			fmt.Fprintln(stderr, "chaoslab plan:", err)
			return 2
		}
	case *kubeconfig == "" && fs.NArg() == 1:
		config, err := planConfig(fs.Arg(0))
		if err != nil {
			fmt.Fprintf(stderr, "chaoslab plan: %s: %v\n", fs.Arg(0), err)
			return 2
		}
		if *chartsDir == "" {
			fmt.Fprintln(stderr, "chaoslab plan: no charts directory: pass --charts-dir or set CHARTS_DIR")
			return 2
		}
		objs, err = renderLab(ctx, config, *chartsDir)
		if err != nil {
			var ce *stacks.ConfigError
			if errors.As(err, &ce) {
				for _, p := range ce.Problems {
					fmt.Fprintln(stderr, p)
				}
			} else {
				fmt.Fprintln(stderr, "chaoslab plan:", err)
			}
			return 2
		}
	default:
		fs.Usage()
		return 2
	}

	report := wiring.Check(objs, wiring.Options{RequirePromtool: os.Getenv("CI") == "true"})
	fmt.Fprintf(stdout, "Blast radius (%s objects):\n", objs.Source)
	if len(report.Blast) == 0 {
		fmt.Fprintln(stdout, "  no scenario enabled")
	} else {
		wiring.WriteBlastRadius(stdout, report.Blast)
	}
	fmt.Fprintln(stdout)
	report.WriteFindings(stdout)
	if len(report.Findings) > 0 {
		return 1
	}
	return 0
}

// planConfig reads a Pulumi.<stack>.yaml into raw config values by full key, as Pulumi gives them to the
// program: strings as they are, structured values (scenarios, slos) as JSON.
func planConfig(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	var doc struct {
		Config map[string]json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		return nil, fmt.Errorf("expected a Pulumi stack file with a config: map: %w", err)
	}
	prefix := stacks.ConfigNamespace + ":"
	config := map[string]string{}
	keys := make([]string, 0, len(doc.Config))
	for k := range doc.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		raw := doc.Config[k]
		var secure struct {
			Secure string `json:"secure"`
		}
		if json.Unmarshal(raw, &secure) == nil && secure.Secure != "" {
			continue // an encrypted secret: not readable here
		}
		config[k] = string(unwrapString(raw))
	}
	if _, ok := config[prefix+stacks.KeyGrafanaAdminPassword]; !ok {
		config[prefix+stacks.KeyGrafanaAdminPassword] = placeholderPassword
	}
	return config, nil
}
