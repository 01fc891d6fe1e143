package wiring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/pulumimock"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

// KubeVersion is the Kubernetes version that charts are rendered for.
const KubeVersion = "v1.33.0"

// ReleaseType is the type token of the Helm releases that the lab declares.
const ReleaseType = "kubernetes:helm.sh/v3:Release"

// Declared is one resource that the program registered, as the Pulumi engine would receive it.
type Declared struct {
	Type   string         // type token, such as kubernetes:core/v1:ConfigMap
	Name   string         // logical name
	URN    string         // the URN the engine gives it
	Inputs map[string]any // inputs, secrets unwrapped, unknowns as nil
	// Aliases are the URNs of a previous run that it takes over.
	Aliases []string
}

// Declare runs the whole program (stacks.Lab: stacks.ParseConfig then stacks.Compose) under Pulumi's mocks, with no
// engine and no cluster, and returns every custom resource that it registers. config holds raw values by
// full key (chaos-mesh-otel:scenarios ...), as Pulumi would give them; chartsDir, when set, replaces the
// chartsDir key so that releases point at local archives.
func Declare(config map[string]string, chartsDir string) ([]Declared, error) {
	cfgMap := map[string]string{}
	for k, v := range config {
		cfgMap[k] = v
	}
	if chartsDir != "" {
		abs, err := filepath.Abs(chartsDir)
		if err != nil {
			return nil, err
		}
		cfgMap[stacks.ConfigNamespace+":"+stacks.KeyChartsDir] = abs
	}
	// Validate first, so that a bad config comes back as the program's own ConfigError.
	if _, err := stacks.ParseConfig(stacks.FromValues(cfgMap)); err != nil {
		return nil, err
	}
	m := pulumimock.New(stacks.ConfigNamespace, "wiring")
	// stacks.Lab is the program itself: it parses the same config (from RunInfo) and composes the lab.
	if err := m.Run(stacks.Lab, func(info *pulumi.RunInfo) { info.Config = cfgMap }); err != nil {
		return nil, fmt.Errorf("running the program under mocks: %w", err)
	}
	var declared []Declared
	for _, r := range m.Resources() {
		if r.Custom && !strings.HasPrefix(r.Type, "pulumi:providers:") {
			declared = append(declared, Declared{Type: r.Type, Name: r.Name, URN: r.URN, Inputs: r.PlainInputs(), Aliases: r.Aliases})
		}
	}
	sort.SliceStable(declared, func(i, j int) bool {
		if declared[i].Type != declared[j].Type {
			return declared[i].Type < declared[j].Type
		}
		return declared[i].Name < declared[j].Name
	})
	return declared, nil
}

// Render collects the objects that the lab really declares, with no cluster: it runs the program under
// mocks (Declare), turns every plain Kubernetes resource into an object from its inputs, and renders every
// Helm release with the Helm library, as `helm template` would, for Kubernetes KubeVersion.
//
// Why not the Kubernetes provider's render mode (renderYamlToDirectory)? It writes the manifests of plain
// resources, but it does not support helm.sh/v3 Release resources, which are most of the lab; so releases
// are rendered here from their own inputs (chart archive, name, namespace, values).
func Render(ctx context.Context, config map[string]string, chartsDir string) (*Objects, error) {
	if chartsDir == "" {
		return nil, errors.New("render: a charts directory is needed (archives <name>-<version>.tgz)")
	}
	declared, err := Declare(config, chartsDir)
	if err != nil {
		return nil, err
	}
	return FromDeclared(ctx, declared)
}

// FromDeclared builds the object set from declared resources, rendering their Helm releases.
func FromDeclared(ctx context.Context, declared []Declared) (*Objects, error) {
	objs := &Objects{Source: "rendered"}
	var releases []Declared
	for _, d := range declared {
		switch {
		case d.Type == ReleaseType:
			releases = append(releases, d)
		case strings.HasPrefix(d.Type, "kubernetes:"):
			m := d.Manifest()
			if m == nil {
				continue
			}
			if err := objs.Add(m); err != nil {
				return nil, fmt.Errorf("%s %s: %w", d.Type, d.Name, err)
			}
		}
	}
	type result struct {
		items []map[string]any
		err   error
	}
	results := make([]result, len(releases))
	var wg sync.WaitGroup
	for i, d := range releases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			items, err := renderRelease(ctx, d.Inputs)
			if err != nil {
				err = fmt.Errorf("release %s: %w", d.Name, err)
			}
			results[i] = result{items, err}
		}()
	}
	wg.Wait()
	for _, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		for _, m := range r.items {
			if err := objs.Add(m); err != nil {
				return nil, err
			}
		}
	}
	objs.Sort()
	return objs, nil
}

// Manifest turns a plain Kubernetes resource's inputs into its manifest; nil for what is not an object
// (providers, helm/yaml helpers).
func (d Declared) Manifest() map[string]any {
	// kubernetes:<group>/<version>:<Kind>; core is the empty group.
	parts := strings.Split(d.Type, ":")
	if len(parts) != 3 {
		return nil
	}
	gv := parts[1]
	if strings.HasPrefix(gv, "helm.sh/") || strings.HasPrefix(gv, "yaml") || strings.HasPrefix(gv, "kustomize") {
		return nil
	}
	if strings.HasSuffix(parts[2], "Patch") {
		return nil // a Patch changes fields of an object declared elsewhere (halt's abort annotation)
	}
	m := map[string]any{}
	for k, v := range d.Inputs {
		m[k] = v
	}
	if _, ok := m["apiVersion"].(string); !ok {
		m["apiVersion"] = strings.TrimPrefix(gv, "core/")
	}
	if _, ok := m["kind"].(string); !ok {
		m["kind"] = parts[2]
	}
	if _, ok := m["metadata"].(map[string]any); !ok {
		m["metadata"] = map[string]any{"name": d.Name}
	}
	return m
}

// clusterScoped are the kinds that charts render with no namespace, on purpose.
var clusterScoped = map[string]bool{
	"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true, "CustomResourceDefinition": true,
	"MutatingWebhookConfiguration": true, "ValidatingWebhookConfiguration": true, "PriorityClass": true,
	"StorageClass": true, "PersistentVolume": true, "APIService": true, "Node": true,
}

// renderRelease renders one helm.sh/v3 Release from its inputs (chart path, name, namespace, values).
func renderRelease(ctx context.Context, inputs map[string]any) ([]map[string]any, error) {
	chartPath, _ := inputs["chart"].(string)
	name, _ := inputs["name"].(string)
	namespace, _ := inputs["namespace"].(string)
	values, _ := inputs["values"].(map[string]any)
	if chartPath == "" || name == "" || namespace == "" {
		return nil, fmt.Errorf("chart, name and namespace are required, got %q, %q, %q", chartPath, name, namespace)
	}
	if _, err := os.Stat(chartPath); err != nil {
		return nil, fmt.Errorf("chart %s: %w (set chartsDir to a directory of chart archives)", chartPath, err)
	}
	chrt, err := loader.Load(chartPath)
	if err != nil {
		return nil, err
	}
	kv, err := chartutil.ParseKubeVersion(KubeVersion)
	if err != nil {
		return nil, err
	}
	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.DryRun = true
	install.ClientOnly = true
	install.Replace = true
	// As the provider installs it: crds/ only without skipCrds (a chart that owns its CRDs renders them).
	skipCRDs, _ := inputs["skipCrds"].(bool)
	install.IncludeCRDs = !skipCRDs
	install.KubeVersion = kv
	install.ReleaseName = name
	install.Namespace = namespace
	if values == nil {
		values = map[string]any{}
	}
	rel, err := install.RunWithContext(ctx, chrt, values)
	if err != nil {
		return nil, err
	}
	docs := []string{rel.Manifest}
	for _, h := range rel.Hooks {
		if isTestHook(h) {
			continue
		}
		docs = append(docs, h.Manifest)
	}
	var out []map[string]any
	for _, doc := range docs {
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(doc)), 4096)
		for {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, err
			}
			if len(m) == 0 {
				continue
			}
			if items, ok := m["items"].([]any); ok && strings.HasSuffix(fmt.Sprint(m["kind"]), "List") {
				for _, it := range items {
					if im, ok := it.(map[string]any); ok {
						out = append(out, im)
					}
				}
				continue
			}
			out = append(out, m)
		}
	}
	for _, m := range out {
		meta, _ := m["metadata"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
			m["metadata"] = meta
		}
		if ns, _ := meta["namespace"].(string); ns == "" && !clusterScoped[fmt.Sprint(m["kind"])] {
			meta["namespace"] = namespace
		}
	}
	return out, nil
}

func isTestHook(h *release.Hook) bool {
	for _, e := range h.Events {
		if e == release.HookTest {
			return true
		}
	}
	return false
}
