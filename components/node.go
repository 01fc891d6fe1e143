package components

import "github.com/chaos-mesh-otel/chaos-mesh-otel/apps"

// A one-node cluster such as the quick start's Minikube runs the lab's containers beside its own processes:
// the OS, the kubelet and the container runtime, and the Kubernetes control plane as pods. The node that
// `make up` starts must hold both (docs/footprint.md, "How big a node").
const (
	// systemReservedBaseMi and systemReservedPercent are what Google Distributed Cloud reserves on every node
	// for the OS and the core Kubernetes components that run as processes: 330 MiB + 5 % of its memory.
	systemReservedBaseMi  = 330
	systemReservedPercent = 5
	// evictionMi is the kubelet's default hard eviction threshold, memory.available < 100Mi: the kubelet
	// starts evicting pods when less is free.
	evictionMi = 100
	// ControlPlaneMi is the control plane's memory on the node: kube-apiserver, etcd, kube-controller-manager
	// and kube-scheduler with the lab's objects loaded, as `make bench` measured them (931 MiB together on
	// 2026-12-06; e2e/results/telemetry.json, controlPlane, which a test holds it to), plus CoreDNS's 170 Mi
	// limit (kubeadm's manifest); rounded up to 64 Mi.
	ControlPlaneMi = 1152
	// NodeCPUMilli are the quick start's 4 CPUs, which every combination's requests must fit.
	NodeCPUMilli = 4000
	// minNodeMi is the smallest node `make up` starts, the quick start's 8 GiB.
	minNodeMi = 8 * 1024
)

// NodeReserveMi is what a node of nodeMi keeps for itself.
func NodeReserveMi(nodeMi int) int {
	return systemReservedBaseMi + nodeMi*systemReservedPercent/100 + evictionMi + ControlPlaneMi
}

// NodeMemoryMi is the node that a lab whose containers are limited to limitsMi in all needs: the smallest
// whole number of GiB, at least 8, whose memory holds those limits and its own reserve. The Makefile's
// MINIKUBE_MEMORY must be at least this for every combination (TestEveryCombinationFitsOneNode).
func NodeMemoryMi(limitsMi int) int {
	node := minNodeMi
	for limitsMi+NodeReserveMi(node) > node {
		node += 1024
	}
	return node
}

// DeploymentNodeMi is the node that the app as deployed needs, with Istio or without.
func DeploymentNodeMi(d apps.Deployment, istio bool) int {
	return NodeMemoryMi(Totals(FootprintOf(d, istio, true)).MemoryMi)
}
