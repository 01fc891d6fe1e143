//go:build e2e && bench

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/wiring"
)

// helmScript times what a helm CLI script would do to install the same lab on the same cluster, once the
// lab's destroy has finished: create the plain objects that the program declares (namespaces, LimitRanges,
// Secrets, ConfigMaps, RBAC, the SLO gate), as `kubectl apply` would, then `helm install --wait` every
// release that the program declares, one after another, from the same chart archives (the edited copies
// included) with the same namespace, values and skipped crds/. All of it comes from wiring.Declare, the
// program itself run under mocks, so the script installs what the lab installs and cannot drift from it.
// It returns the time and the number of releases.
func helmScript(ctx context.Context, t *testing.T, c *Cluster, helm string, config auto.ConfigMap, namespaces []string) (time.Duration, int, error) {
	raw := map[string]string{}
	for k, v := range config {
		raw[k] = v.Value
	}
	declared, err := wiring.Declare(raw, ChartsDir())
	if err != nil {
		return 0, 0, err
	}
	var objects []*unstructured.Unstructured
	var releases []wiring.Declared
	for _, d := range declared {
		if d.Type == wiring.ReleaseType {
			releases = append(releases, d)
		} else if m := d.Manifest(); m != nil {
			objects = append(objects, &unstructured.Unstructured{Object: m})
		}
	}
	// Namespaces first, as a script would create them.
	slices.SortStableFunc(objects, func(a, b *unstructured.Unstructured) int {
		return boolRank(a.GetKind() != "Namespace") - boolRank(b.GetKind() != "Namespace")
	})
	slices.SortStableFunc(releases, func(a, b wiring.Declared) int { return helmRank(a) - helmRank(b) })

	// The destroy deletes namespaces in the background; a script starts on a clean cluster.
	if err := wait.PollUntilContextTimeout(ctx, time.Second, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, ns := range namespaces {
			if exists, err := c.NamespaceExists(ctx, ns); err != nil || exists {
				return false, nil
			}
		}
		return true, nil
	}); err != nil {
		return 0, 0, fmt.Errorf("the lab's namespaces are still there after its destroy: %w", err)
	}

	helmRun := func(args ...string) error {
		cmd := exec.CommandContext(ctx, helm, append(args, "--kubeconfig", c.Kubeconfig)...)
		cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+filepath.Join(c.Dir, "helm-cache"),
			"HELM_CONFIG_HOME="+filepath.Join(c.Dir, "helm-config"), "HELM_DATA_HOME="+filepath.Join(c.Dir, "helm-data"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("helm %s: %v\n%s", strings.Join(args[:2], " "), err, tail(string(out), 2000))
		}
		return nil
	}
	installs := make([][]string, len(releases))
	for i, r := range releases {
		args, err := helmInstallArgs(r, c.Dir)
		if err != nil {
			return 0, 0, err
		}
		installs[i] = args
	}

	start := time.Now()
	if err := createObjects(ctx, c, objects); err != nil {
		return 0, 0, err
	}
	for _, args := range installs {
		if err := helmRun(args...); err != nil {
			return 0, 0, err
		}
	}
	d := time.Since(start)
	t.Logf("helm script: %d objects, then %d releases, in %s", len(objects), len(releases), d)
	for i := len(releases) - 1; i >= 0; i-- {
		name, _ := releases[i].Inputs["name"].(string)
		namespace, _ := releases[i].Inputs["namespace"].(string)
		_ = helmRun("uninstall", name, "-n", namespace, "--wait")
	}
	return d, len(releases), nil
}

// helmInstallArgs is the `helm install` of a declared release, with its values written beside.
func helmInstallArgs(r wiring.Declared, dir string) ([]string, error) {
	name, _ := r.Inputs["name"].(string)
	namespace, _ := r.Inputs["namespace"].(string)
	chart, _ := r.Inputs["chart"].(string)
	if name == "" || namespace == "" || chart == "" {
		return nil, fmt.Errorf("release %s: name %q, namespace %q, chart %q", r.Name, name, namespace, chart)
	}
	values, err := yaml.Marshal(r.Inputs["values"])
	if err != nil {
		return nil, err
	}
	valuesFile := filepath.Join(dir, "helm-values-"+name+".yaml")
	if err := os.WriteFile(valuesFile, values, 0o644); err != nil {
		return nil, err
	}
	args := []string{"install", name, chart, "-n", namespace, "--wait", "--timeout", fmt.Sprintf("%ds", components.ReleaseTimeoutSeconds), "-f", valuesFile}
	if skip, _ := r.Inputs["skipCrds"].(bool); skip {
		args = append(args, "--skip-crds")
	}
	return args, nil
}

// helmRank orders the releases as the program chains them: Istio's base (its CRDs), then istiod (the
// injector), then the rest, and the app last, so that its pods would get their sidecars.
func helmRank(r wiring.Declared) int {
	switch name, _ := r.Inputs["name"].(string); name {
	case components.IstioBaseRelease:
		return 0
	case components.IstiodRelease:
		return 1
	case components.OtelDemoRelease, components.OnlineBoutiqueRelease:
		return 3
	}
	return 2
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// createObjects creates each object through the API, finding its resource by discovery, as kubectl does.
func createObjects(ctx context.Context, c *Cluster, objects []*unstructured.Unstructured) error {
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.Client.Discovery()))
	for _, u := range objects {
		gvk := u.GroupVersionKind()
		mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return fmt.Errorf("%s %s: %w", gvk.Kind, u.GetName(), err)
		}
		resource := c.Dynamic.Resource(mapping.Resource)
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			_, err = resource.Namespace(u.GetNamespace()).Create(ctx, u, metav1.CreateOptions{})
		} else {
			_, err = resource.Create(ctx, u, metav1.CreateOptions{})
		}
		if err != nil {
			return fmt.Errorf("create %s %s/%s: %w", gvk.Kind, u.GetNamespace(), u.GetName(), err)
		}
	}
	return nil
}
