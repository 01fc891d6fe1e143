#!/usr/bin/env bash
# Builds the e2e toolchain from the Go module proxy into a cache keyed by the pinned versions, one tool at a
# time (the machine has 2 cores shared with other builds), skipping every binary that is already cached.
#
#   e2e/tools/build.sh [tool...]     tools: kwok etcd kube provider pulumi, and the optional kubectl and helm
#                                    (default: kwok etcd kube provider pulumi chaos-controller)
#   e2e/tools/build.sh otelcol-validate  optional: the collector config validator (wiring tests, OTELCOL_VALIDATE)
#   e2e/tools/build.sh chaos-controller  Chaos Mesh's controller manager, run out of cluster by the e2e harness
#                                    (part of the default set)
#   e2e/tools/build.sh spine         the telemetry spine that TestSpine runs: otelcol-validate (the collector),
#                                    Prometheus v3 and Jaeger v2, built from source (make e2e builds them)
#   e2e/tools/build.sh node          the real node: kubelet and kube-proxy (same module and version as the
#                                    control plane), chaos-daemon (cgo, with TimeChaos's fakeclock objects)
#                                    and kube-state-metrics (part of the default set)
#   e2e/tools/build.sh --print-bin   prints the bin dir of the current key and exits
#
# Environment: CHAOSLAB_TOOLS_CACHE (default $HOME/.cache/chaos-mesh-otel/tools), E2E_BUILD_NICE (default 10).
# Cold build times go to <cache>/<key>/times.txt (seconds per tool).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

KUBE_VERSION=v1.33.13
ETCD_VERSION=v3.5.21
KWOK_VERSION=v0.7.0
PULUMI_VERSION=v3.274.1
PROVIDER_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
PROVIDER_VERSION=4.25.0
HELM_VERSION=v3.19.0
# The collector release of tools/otelcol-validate/go.mod (bump both). It names the binary, not the key, so
# that a bump rebuilds the validator alone.
OTELCOL_VERSION=v0.165.0
# Chaos Mesh's controller: the module proxy serves only master of 2026-09-02, whose controller, config and CRDs
# are byte-identical to v2.8.3 (the lab's chart). Like the validator, it names the binary, not the key.
CHAOS_MESH_VERSION=v0.9.1-0.20260902003049-47411975a8cb
# kube-state-metrics: the release that the lab's prometheus chart bundles (its kube-state-metrics subchart's
# appVersion), with the client-go its go.mod requires. Names the binary, not the key.
KSM_VERSION=v2.19.1
KSM_CLIENT_GO_VERSION=v0.35.4

# The telemetry spine (tools/prometheus and tools/jaeger; bump with their go.mod). Prometheus v3.X.Y is the
# module's v0.3XX.Y; Jaeger v2.N is released as the module's v1.(N+63), and v1.76.0 (= v2.13.0) is the newest
# that the module proxy serves (the lab's chart runs 2.19.0). Like the validator, they name the binaries.
PROMETHEUS_VERSION=v3.13.1
JAEGER_VERSION=v2.13.0

cache_root="${CHAOSLAB_TOOLS_CACHE:-$HOME/.cache/chaos-mesh-otel/tools}"

# The key names the pinned versions and the Go toolchain; bump KEY_REV when a tool module changes in a way
# that must rebuild the binaries.
KEY_REV=1
goversion="$(go env GOVERSION)"
key="r${KEY_REV}-k8s${KUBE_VERSION#v}-etcd${ETCD_VERSION#v}-kwok${KWOK_VERSION#v}-pulumi${PULUMI_VERSION#v}"
key+="-pk8s${PROVIDER_VERSION}-helm${HELM_VERSION#v}-${goversion}"
bin="$cache_root/$key/bin"

if [[ "${1:-}" == "--print-bin" ]]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$bin"
times="$cache_root/$key/times.txt"
nice_n="${E2E_BUILD_NICE:-10}"
export GOFLAGS="-trimpath -buildvcs=false"
export CGO_ENABLED="${CGO_ENABLED:-0}"

log() { echo "[build.sh $(date +%H:%M:%S)] $*" >&2; }

# build NAME DIR PKG [LDFLAGS [TAGS]]: builds PKG inside module DIR to $bin/NAME unless it is there.
build() {
	local name="$1" dir="$2" pkg="$3" ldflags="${4:-}" tags="${5:-}"
	if [[ -x "$bin/$name" ]]; then
		log "$name: cached"
		return 0
	fi
	log "$name: building $pkg"
	local start end
	start=$(date +%s)
	(cd "$here/$dir" && nice -n "$nice_n" go build ${tags:+-tags "$tags"} -ldflags "-s -w $ldflags" -o "$bin/$name.tmp" "$pkg")
	mv "$bin/$name.tmp" "$bin/$name"
	end=$(date +%s)
	echo "$name $((end - start))" >>"$times"
	log "$name: built in $((end - start))s"
}

kube_ldflags() {
	local v="${KUBE_VERSION#v}" flags="" pkg
	local major="${v%%.*}" rest="${v#*.}"
	local minor="${rest%%.*}"
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		flags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
		flags+=" -X $pkg.gitCommit=0000000000000000000000000000000000000000 -X $pkg.gitTreeState=clean"
		flags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
	done
	echo "$flags"
}

build_kwok() {
	build kwok kwok sigs.k8s.io/kwok/cmd/kwok "-X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}"
	build kwokctl kwok sigs.k8s.io/kwok/cmd/kwokctl "-X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}"
}

build_etcd() {
	build etcd etcd .
}

build_kube() {
	local flags
	flags="$(kube_ldflags)"
	build kube-apiserver kube k8s.io/kubernetes/cmd/kube-apiserver "$flags"
	build kube-controller-manager kube k8s.io/kubernetes/cmd/kube-controller-manager "$flags"
	build kube-scheduler kube k8s.io/kubernetes/cmd/kube-scheduler "$flags"
}

build_kubectl() {
	build kubectl kube k8s.io/kubernetes/cmd/kubectl "$(kube_ldflags)"
}

build_provider() {
	if [[ -x "$bin/pulumi-resource-kubernetes" ]]; then
		log "pulumi-resource-kubernetes: cached"
		return 0
	fi
	local src out
	src="$(cd "$here/provider" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)/cmd/pulumi-resource-kubernetes"
	if [[ ! -f "$src/schema.json" ]]; then
		(cd "$here/provider" && go mod download github.com/pulumi/pulumi-kubernetes/provider/v4)
		src="$(cd "$here/provider" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)/cmd/pulumi-resource-kubernetes"
	fi
	out="$here/provider/cmd/pulumi-resource-kubernetes"
	(cd "$here/provider" && go run ./cmd/schemagen "$src" "$out" "$PROVIDER_VERSION")
	build pulumi-resource-kubernetes provider ./cmd/pulumi-resource-kubernetes \
		"-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PROVIDER_VERSION"
}

build_pulumi() {
	build pulumi pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
		"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
}

build_helm() {
	build helm helm helm.sh/helm/v3/cmd/helm "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
}

build_otelcol_validate() {
	build "otelcol-validate-$OTELCOL_VERSION" otelcol-validate . "-X main.version=${OTELCOL_VERSION#v}"
	ln -sfn "otelcol-validate-$OTELCOL_VERSION" "$bin/otelcol-validate"
}

build_chaos_controller() {
	local name="chaos-controller-manager-${CHAOS_MESH_VERSION##*-}"
	build "$name" chaos-mesh github.com/chaos-mesh/chaos-mesh/cmd/chaos-controller-manager
	ln -sfn "$name" "$bin/chaos-controller-manager"
}

# Prometheus with Kubernetes service discovery only (the lab's config uses no other) and without the React UI
# (its assets are not in the module; the API, which the tests use, is complete).
build_prometheus() {
	local v="${PROMETHEUS_VERSION#v}" pkg=github.com/prometheus/common/version
	build "prometheus-$PROMETHEUS_VERSION" prometheus github.com/prometheus/prometheus/cmd/prometheus \
		"-X $pkg.Version=$v -X $pkg.BuildUser=build.sh -X $pkg.BuildDate=19700101-00:00:00" \
		remove_all_sd,enable_kubernetes_sd
	ln -sfn "prometheus-$PROMETHEUS_VERSION" "$bin/prometheus3"
}

build_jaeger() {
	build "jaeger-$JAEGER_VERSION" jaeger github.com/jaegertracing/jaeger/cmd/jaeger \
		"-X github.com/jaegertracing/jaeger/internal/version.latestVersion=$JAEGER_VERSION"
	ln -sfn "jaeger-$JAEGER_VERSION" "$bin/jaeger"
}

# --- The real node (issue 22): kubelet, kube-proxy, chaos-daemon, kube-state-metrics ---

build_kubelet() {
	local flags
	flags="$(kube_ldflags)"
	build kubelet kube k8s.io/kubernetes/cmd/kubelet "$flags"
	build kube-proxy kube k8s.io/kubernetes/cmd/kube-proxy "$flags"
}

# chaos-daemon needs cgo (pkg/ptrace; its !cgo stub does not compile) and embeds TimeChaos's fakeclock objects,
# which Chaos Mesh's Makefile compiles and the module zip lacks: without them the daemon builds but every
# TimeChaos fails ("read file from embedded fs fakeclock/fake_clock_gettime.o"). So it is built from a
# writable copy of the module with the two objects compiled in, through a temporary copy of
# tools/chaos-mesh's go.mod that replaces the module by that copy. Needs gcc and libc6-dev.
build_chaos_daemon() {
	local commit="${CHAOS_MESH_VERSION##*-}"
	local name="chaos-daemon-$commit"
	if [[ -x "$bin/$name" ]]; then
		log "$name: cached"
		ln -sfn "$name" "$bin/chaos-daemon"
		return 0
	fi
	log "$name: building github.com/chaos-mesh/chaos-mesh/cmd/chaos-daemon (cgo)"
	local start end src dst tmp f
	start=$(date +%s)
	(cd "$here/chaos-mesh" && go mod download github.com/chaos-mesh/chaos-mesh)
	src="$(cd "$here/chaos-mesh" && go list -m -f '{{.Dir}}' github.com/chaos-mesh/chaos-mesh)"
	dst="$cache_root/$key/src/chaos-mesh-$commit"
	rm -rf "$dst" && mkdir -p "$(dirname "$dst")"
	cp -r "$src" "$dst" && chmod -R u+w "$dst"
	for f in fake_clock_gettime fake_gettimeofday; do
		cc -c "$dst/pkg/time/fakeclock/$f.c" -fPIE -O2 -o "$dst/pkg/time/fakeclock/$f.o"
	done
	tmp="$(mktemp -d)"
	cp "$here/chaos-mesh/go.mod" "$here/chaos-mesh/go.sum" "$tmp/"
	(cd "$tmp" && go mod edit -replace "github.com/chaos-mesh/chaos-mesh=$dst" &&
		CGO_ENABLED=1 nice -n "$nice_n" go build -ldflags "-s -w" -o "$bin/$name.tmp" github.com/chaos-mesh/chaos-mesh/cmd/chaos-daemon)
	rm -rf "$tmp"
	mv "$bin/$name.tmp" "$bin/$name"
	ln -sfn "$name" "$bin/chaos-daemon"
	end=$(date +%s)
	echo "$name $((end - start))" >>"$times"
	log "$name: built in $((end - start))s"
}

build_kube_state_metrics() {
	build "kube-state-metrics-$KSM_VERSION" kube-state-metrics k8s.io/kube-state-metrics/v2 \
		"-X github.com/prometheus/common/version.Version=$KSM_VERSION -X k8s.io/kube-state-metrics/v2/pkg/app.ClientGoVersion=$KSM_CLIENT_GO_VERSION"
	ln -sfn "kube-state-metrics-$KSM_VERSION" "$bin/kube-state-metrics"
}

build_node() {
	build_kubelet
	build_chaos_daemon
	build_kube_state_metrics
}

tools=("$@")
if [[ ${#tools[@]} -eq 0 ]]; then
	tools=(kwok etcd kube provider pulumi chaos-controller node)
fi
for t in "${tools[@]}"; do
	case "$t" in
	kwok | etcd | kube | kubectl | provider | pulumi | helm) "build_$t" ;;
	otelcol-validate) build_otelcol_validate ;;
	chaos-controller) build_chaos_controller ;;
	prometheus | jaeger) "build_$t" ;;
	spine) build_otelcol_validate && build_prometheus && build_jaeger ;;
	node) build_node ;;
	*)
		echo "unknown tool: $t" >&2
		exit 2
		;;
	esac
done
echo "$bin"
