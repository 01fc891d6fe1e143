package scenarios

import (
	"slices"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
)

// Fault is the `fault` key of a scenario: what it does to its target.
type Fault string

// The faults of the config, by family.
const (
	NetworkDelay     Fault = "network-delay"
	NetworkLoss      Fault = "network-loss"
	NetworkDuplicate Fault = "network-duplicate"
	NetworkCorrupt   Fault = "network-corrupt"
	NetworkBandwidth Fault = "network-bandwidth"
	NetworkPartition Fault = "network-partition"

	CPUStress    Fault = "cpu-stress"
	MemoryStress Fault = "memory-stress"

	HTTPDelay   Fault = "http-delay"
	HTTPAbort   Fault = "http-abort"
	HTTPReplace Fault = "http-replace"

	DNSError  Fault = "dns-error"
	DNSRandom Fault = "dns-random"

	IOLatency Fault = "io-latency"
	IOFault   Fault = "io-fault"

	TimeSkew Fault = "time-skew"

	PodKill       Fault = "pod-kill"
	PodFailure    Fault = "pod-failure"
	ContainerKill Fault = "container-kill"

	// FlagFault switches one of the app's feature flags; it is flagd config, not a Chaos Mesh object.
	FlagFault Fault = "flag"

	// MeshFault delays or aborts the HTTP or gRPC requests to a service in Istio's mesh; it is an Istio
	// VirtualService, not a Chaos Mesh object.
	MeshFault Fault = "mesh-fault"
)

// faultDef describes one fault of the config: the Chaos Mesh kind it becomes and the keys it takes on top
// of the common ones.
type faultDef struct {
	kind v1alpha1.TemplateType // "" for a flag and a mesh fault
	keys []string
}

var networkKeys = []string{"to", "direction"}

func withNet(keys ...string) []string { return append(keys, networkKeys...) }

var faults = map[Fault]faultDef{
	NetworkDelay:     {v1alpha1.TypeNetworkChaos, withNet("latency", "jitter", "correlation")},
	NetworkLoss:      {v1alpha1.TypeNetworkChaos, withNet("loss", "correlation")},
	NetworkDuplicate: {v1alpha1.TypeNetworkChaos, withNet("duplicate", "correlation")},
	NetworkCorrupt:   {v1alpha1.TypeNetworkChaos, withNet("corrupt", "correlation")},
	NetworkBandwidth: {v1alpha1.TypeNetworkChaos, withNet("rate", "limit", "buffer")},
	NetworkPartition: {v1alpha1.TypeNetworkChaos, withNet()},
	CPUStress:        {v1alpha1.TypeStressChaos, []string{"workers", "load", "container"}},
	MemoryStress:     {v1alpha1.TypeStressChaos, []string{"workers", "size", "container", "allowOOM"}},
	HTTPDelay:        {v1alpha1.TypeHTTPChaos, []string{"port", "path", "method", "delay"}},
	HTTPAbort:        {v1alpha1.TypeHTTPChaos, []string{"port", "path", "method", "delay"}},
	HTTPReplace:      {v1alpha1.TypeHTTPChaos, []string{"port", "path", "method", "delay", "code"}},
	DNSError:         {v1alpha1.TypeDNSChaos, []string{"patterns", "container"}},
	DNSRandom:        {v1alpha1.TypeDNSChaos, []string{"patterns", "container"}},
	IOLatency:        {v1alpha1.TypeIOChaos, []string{"path", "delay", "percent", "volumePath", "container"}},
	IOFault:          {v1alpha1.TypeIOChaos, []string{"path", "errno", "percent", "volumePath", "container"}},
	TimeSkew:         {v1alpha1.TypeTimeChaos, []string{"offset", "container"}},
	PodKill:          {v1alpha1.TypePodChaos, nil},
	PodFailure:       {v1alpha1.TypePodChaos, nil},
	ContainerKill:    {v1alpha1.TypePodChaos, []string{"container"}},
	FlagFault:        {"", []string{"flag", "variant"}},
	MeshFault:        {"", meshKeys},
}

// faultsTaking lists the faults that take a key of their own, sorted.
func faultsTaking(key string) []string {
	var out []string
	for f, def := range faults {
		if slices.Contains(def.keys, key) {
			out = append(out, string(f))
		}
	}
	slices.Sort(out)
	return out
}

// FaultNames returns every fault the config accepts, sorted.
func FaultNames() []string {
	out := make([]string, 0, len(faults))
	for f := range faults {
		out = append(out, string(f))
	}
	slices.Sort(out)
	return out
}
