//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/e2e/ociimage"
)

// The images that the real node runs, built here from local sources and the host's Debian packages, and
// imported into its containerd: there is no registry to pull from.
const (
	// SandboxImage is the pause image of every pod sandbox: containerd's sandbox_image, and kubelet 1.33's
	// default, so that nothing asks for another one.
	SandboxImage = "registry.k8s.io/pause:3.10"
	// PodFailurePauseImage is what Chaos Mesh swaps a pod-failure target's images for: the controller's
	// POD_FAILURE_PAUSE_IMAGE, which the chart sets to its default (the data-plane test checks that they agree).
	PodFailurePauseImage = "gcr.io/google-containers/pause:latest"
	// WorkloadImage runs e2e/images/workload, the stand-in for a shop service.
	WorkloadImage = "chaoslab.local/workload:e2e"
	// ChaosDaemonImage is Chaos Mesh's daemon, built from the controller's module (the tag is its commit).
	ChaosDaemonImage = "chaoslab.local/chaos-daemon:" + chaosMeshCommit
	chaosMeshCommit  = "47411975a8cb"
)

// imagePath is the PATH of the chaos-daemon image, as upstream's Debian-based image has it.
const imagePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// daemonTools are the host's Debian programs that chaos-daemon runs in a target's namespaces (pkg/bpm,
// pkg/chaosdaemon): tc for bandwidth and for the qdisc flush of every network fault, ip to list the pod's
// interfaces, ipset and iptables for partitions, stress-ng for CPU stress, choom for a stressor's
// oom_score_adj, nsenter for its cgroup v2 path. iptables is the legacy backend, as upstream's image selects
// with update-alternatives.
var daemonTools = []string{"tc", "ip", "ipset", "stress-ng", "choom", "nsenter", "xtables-legacy-multi"}

// xtablesPlugins is where iptables finds its matches and targets (-m set needs libxt_set.so).
const xtablesPlugins = "/usr/lib/x86_64-linux-gnu/xtables"

// nodeImages builds the node's images into dir and returns each archive's path by image name.
func nodeImages(ctx context.Context, bin, dir string) (map[string]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	built := map[string]string{}
	for _, prog := range []string{"workload", "nsexec", "memstress"} {
		out := filepath.Join(dir, prog)
		if err := goBuildStatic(ctx, "./e2e/images/"+prog, out); err != nil {
			return nil, err
		}
		built[prog] = out
	}
	kube, err := toolModuleDir(ctx, "kube", "k8s.io/kubernetes")
	if err != nil {
		return nil, err
	}
	chaosMesh, err := toolModuleDir(ctx, "chaos-mesh", "github.com/chaos-mesh/chaos-mesh")
	if err != nil {
		return nil, err
	}
	// Kubernetes' pause as its build/pause/Makefile compiles it; Chaos Mesh's pause (hack/pause.c) stops
	// itself so that chaos-daemon can move a stressor into the target's cgroups before it runs.
	for name, src := range map[string][]string{
		"pause":            {"-Os", "-Wall", "-Werror", "-static", "-DVERSION=v3.10-chaoslab", filepath.Join(kube, "build/pause/linux/pause.c")},
		"chaos-mesh-pause": {"-O2", "-static", filepath.Join(chaosMesh, "hack/pause.c")},
	} {
		out := filepath.Join(dir, name)
		cmd := exec.CommandContext(ctx, "gcc", append(src, "-o", out)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("gcc %s: %w\n%s", name, err, b)
		}
		built[name] = out
	}

	images := map[string]ociimage.Image{
		SandboxImage: {
			Names:      []string{SandboxImage, PodFailurePauseImage},
			Entrypoint: []string{"/pause"},
			Files:      []ociimage.File{fileOf(built["pause"], "/pause")},
		},
		WorkloadImage: {
			Names:      []string{WorkloadImage},
			Entrypoint: []string{"/workload"},
			Files:      []ociimage.File{fileOf(built["workload"], "/workload")},
		},
	}
	daemon, err := daemonImage(ctx, filepath.Join(bin, "chaos-daemon"), built)
	if err != nil {
		return nil, err
	}
	images[ChaosDaemonImage] = daemon

	archives := map[string]string{}
	for name, img := range images {
		var buf bytes.Buffer
		for i := range img.Files {
			if img.Files[i].Data == nil && img.Files[i].Link == "" && !img.Files[i].Dir {
				return nil, fmt.Errorf("image %s: %s has no content", name, img.Files[i].Path)
			}
		}
		if _, err := ociimage.Write(&buf, img); err != nil {
			return nil, fmt.Errorf("image %s: %w", name, err)
		}
		path := filepath.Join(dir, strings.NewReplacer("/", "_", ":", "_").Replace(name)+".tar")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return nil, err
		}
		archives[name] = path
	}
	return archives, nil
}

// daemonImage is chaos-daemon with what it runs: Chaos Mesh's pause, the stand-ins for nsexec and memStress
// (upstream's are a Rust program and a module the proxy does not serve), and the host's Debian programs with
// every library they load. Files keep their paths, symbolic links included, with /bin, /sbin, /lib and
// /lib64 linked into /usr as on Debian 12.
func daemonImage(ctx context.Context, daemonBin string, built map[string]string) (ociimage.Image, error) {
	img := &hostFiles{Image: ociimage.Image{
		Names:      []string{ChaosDaemonImage},
		Entrypoint: []string{"/usr/local/bin/chaos-daemon"},
		Env:        []string{imagePath},
		Files: []ociimage.File{
			fileOf(daemonBin, "/usr/local/bin/chaos-daemon"),
			fileOf(built["chaos-mesh-pause"], "/usr/local/bin/pause"),
			fileOf(built["nsexec"], "/usr/local/bin/nsexec"),
			fileOf(built["memstress"], "/usr/local/bin/memStress"),
			{Path: "/bin", Link: "usr/bin"}, {Path: "/sbin", Link: "usr/sbin"},
			{Path: "/lib", Link: "usr/lib"}, {Path: "/lib64", Link: "usr/lib64"},
			// iptables takes a lock under /run; stress-ng writes its temporary files under /tmp.
			{Path: "/run", Dir: true, Mode: 0o755}, {Path: "/tmp", Dir: true, Mode: 0o1777},
			fileOf("/etc/protocols", "/etc/protocols"), fileOf("/etc/services", "/etc/services"),
		},
	}}
	// The dynamic ones: chaos-daemon is cgo, the Debian programs and iptables' plugins.
	dynamic := []string{daemonBin}
	for _, tool := range daemonTools {
		p, err := exec.LookPath(tool)
		if err != nil {
			return img.Image, fmt.Errorf("%s (for the chaos-daemon image): %w", tool, err)
		}
		if err := img.add(p); err != nil {
			return img.Image, err
		}
		dynamic = append(dynamic, p)
	}
	// iptables, iptables-save and iptables-restore are the legacy multi-binary under their names.
	for _, name := range []string{"iptables", "iptables-save", "iptables-restore", "ip6tables", "ip6tables-save", "ip6tables-restore"} {
		img.Files = append(img.Files, ociimage.File{Path: "/usr/sbin/" + name, Link: "xtables-legacy-multi"})
	}
	plugins, err := filepath.Glob(filepath.Join(xtablesPlugins, "*.so"))
	if err != nil || len(plugins) == 0 {
		return img.Image, fmt.Errorf("no iptables plugins in %s (%v)", xtablesPlugins, err)
	}
	for _, p := range plugins {
		if err := img.add(p); err != nil {
			return img.Image, err
		}
	}
	dynamic = append(dynamic, plugins...)
	libs, err := sharedLibraries(ctx, dynamic)
	if err != nil {
		return img.Image, err
	}
	for _, lib := range libs {
		if err := img.add(lib); err != nil {
			return img.Image, err
		}
	}
	return img.Image, nil
}

// hostFiles assembles an image from the host's files.
type hostFiles struct {
	ociimage.Image
	have map[string]bool
}

// add puts a host path into the image under the same path: a symbolic link as a link (and what it points
// to), a file with its content and mode. Paths through the merged-usr links (/lib64/ld-linux-x86-64.so.2)
// are added under /usr, which the image's own links lead to.
func (h *hostFiles) add(p string) error {
	if h.have == nil {
		h.have = map[string]bool{}
		for _, f := range h.Files {
			h.have[filepath.Clean(f.Path)] = true
		}
	}
	for range 16 {
		p = usrMerged(filepath.Clean(p))
		if h.have[p] {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		h.have[p] = true
		if fi.Mode()&os.ModeSymlink == 0 {
			f := fileOf(p, p)
			if f.Data == nil {
				return fmt.Errorf("cannot read %s for the chaos-daemon image", p)
			}
			h.Files = append(h.Files, f)
			return nil
		}
		target, err := os.Readlink(p)
		if err != nil {
			return err
		}
		h.Files = append(h.Files, ociimage.File{Path: p, Link: target})
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		p = target
	}
	return fmt.Errorf("%s: too many symbolic links", p)
}

// usrMerged is the path under /usr that /bin, /sbin, /lib and /lib64 lead to on Debian 12.
func usrMerged(p string) string {
	for _, top := range []string{"/bin/", "/sbin/", "/lib/", "/lib64/"} {
		if strings.HasPrefix(p, top) {
			return "/usr" + p
		}
	}
	return p
}

// lddLine matches "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)".
var lddLine = regexp.MustCompile(`(?:=>\s*)?(/\S+)\s+\(0x[0-9a-f]+\)`)

// sharedLibraries lists every library that the programs load, by the path ldd resolves it to.
func sharedLibraries(ctx context.Context, programs []string) ([]string, error) {
	seen := map[string]bool{}
	for _, p := range programs {
		out, err := exec.CommandContext(ctx, "ldd", p).Output()
		if err != nil {
			// A static program: "not a dynamic executable", exit status 1.
			continue
		}
		for _, m := range lddLine.FindAllStringSubmatch(string(out), -1) {
			seen[m[1]] = true
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// fileOf is a host file (its content and permissions) at path in the image. A file that cannot be read
// leaves the entry empty, which nodeImages refuses with its path.
func fileOf(host, path string) ociimage.File {
	f := ociimage.File{Path: path}
	fi, err := os.Stat(host)
	if err != nil {
		return f
	}
	if f.Data, err = os.ReadFile(host); err != nil {
		f.Data = nil
	}
	f.Mode = fi.Mode().Perm()
	return f
}

// goBuildStatic builds a package of this module as a static Linux binary.
func goBuildStatic(ctx context.Context, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = RepoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// toolModuleDir is the source directory of a module that a tool module under e2e/tools requires (in the
// module cache, downloaded by e2e/tools/build.sh).
func toolModuleDir(ctx context.Context, tool, module string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", module)
	cmd.Dir = filepath.Join(e2eDir(), "tools", tool)
	out, err := cmd.Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		return "", fmt.Errorf("the source of %s (e2e/tools/%s): %v; run make e2e-tools", module, tool, err)
	}
	return dir, nil
}

// importImages loads the archives into containerd's k8s.io namespace, where the kubelet's CRI finds them.
func importImages(ctx context.Context, socket string, archives map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(archives)) {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		out, err := exec.CommandContext(ctx, "ctr", "--address", socket, "-n", "k8s.io", "images", "import", archives[name]).CombinedOutput()
		cancel()
		if err != nil {
			return fmt.Errorf("ctr images import %s: %w\n%s", name, err, out)
		}
	}
	return nil
}
