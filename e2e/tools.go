//go:build e2e

// Package e2e proves the lab on a real control plane: kube-apiserver, etcd, controller-manager and scheduler
// started by kwokctl on loopback with one kwok node, the real Pulumi engine and kubernetes provider driven
// through the Automation API, and the real charts. Build tag `e2e`; see README.md.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
)

// The binaries that e2e/tools/build.sh puts into the cache's bin dir: those the cluster needs, and the engine.
var (
	ClusterTools = []string{"kwokctl", "kwok", "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"}
	EngineTools  = []string{"pulumi", "pulumi-resource-kubernetes"}
)

// e2eDir is the directory of this package's sources.
func e2eDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// RepoRoot is the repository root (the Pulumi workspace).
func RepoRoot() string { return filepath.Dir(e2eDir()) }

// ToolsBin returns the directory holding the built toolchain: $E2E_TOOLS_BIN, or the bin dir that
// e2e/tools/build.sh --print-bin names. The named tools (default: all) must be present there.
func ToolsBin(names ...string) (string, error) {
	if len(names) == 0 {
		names = append(append([]string{}, ClusterTools...), EngineTools...)
	}
	dir := os.Getenv("E2E_TOOLS_BIN")
	if dir == "" {
		out, err := exec.Command("bash", filepath.Join(e2eDir(), "tools", "build.sh"), "--print-bin").Output()
		if err != nil {
			return "", fmt.Errorf("e2e/tools/build.sh --print-bin: %w", err)
		}
		dir = strings.TrimSpace(string(out))
	}
	var missing []string
	for _, name := range names {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode()&0o111 == 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("toolchain incomplete in %s (missing %s): run `make e2e-tools`", dir, strings.Join(missing, ", "))
	}
	return dir, nil
}

// ChartsDir is $CHARTS_DIR or ../shared/charts beside the repository.
func ChartsDir() string { return components.OfflineChartsDir(RepoRoot()) }

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
