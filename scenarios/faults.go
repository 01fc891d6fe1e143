package scenarios

import (
	"sort"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
)

// faultDef describes one fault kind of the config: which Chaos Mesh kind it becomes and which keys it takes
// on top of the common ones.
type faultDef struct {
	kind v1alpha1.TemplateType // Chaos Mesh kind, "" for flag
	keys []string
}

var networkKeys = []string{"to", "direction"}

func withNet(keys ...string) []string { return append(keys, networkKeys...) }

var faults = map[string]faultDef{
	"network-delay":     {v1alpha1.TypeNetworkChaos, withNet("latency", "jitter", "correlation")},
	"network-loss":      {v1alpha1.TypeNetworkChaos, withNet("loss", "correlation")},
	"network-duplicate": {v1alpha1.TypeNetworkChaos, withNet("duplicate", "correlation")},
	"network-corrupt":   {v1alpha1.TypeNetworkChaos, withNet("corrupt", "correlation")},
	"network-bandwidth": {v1alpha1.TypeNetworkChaos, withNet("rate", "limit", "buffer")},
	"network-partition": {v1alpha1.TypeNetworkChaos, withNet()},
	"cpu-stress":        {v1alpha1.TypeStressChaos, []string{"workers", "load", "container"}},
	"memory-stress":     {v1alpha1.TypeStressChaos, []string{"workers", "size", "container"}},
	"http-delay":        {v1alpha1.TypeHTTPChaos, []string{"port", "path", "method", "delay"}},
	"http-abort":        {v1alpha1.TypeHTTPChaos, []string{"port", "path", "method", "delay"}},
	"http-replace":      {v1alpha1.TypeHTTPChaos, []string{"port", "path", "method", "delay", "code"}},
	"dns-error":         {v1alpha1.TypeDNSChaos, []string{"patterns", "container"}},
	"dns-random":        {v1alpha1.TypeDNSChaos, []string{"patterns", "container"}},
	"io-latency":        {v1alpha1.TypeIOChaos, []string{"path", "delay", "percent", "volumePath", "container"}},
	"io-fault":          {v1alpha1.TypeIOChaos, []string{"path", "errno", "percent", "volumePath", "container"}},
	"time-skew":         {v1alpha1.TypeTimeChaos, []string{"offset", "container"}},
	"pod-kill":          {v1alpha1.TypePodChaos, nil},
	"pod-failure":       {v1alpha1.TypePodChaos, nil},
	"container-kill":    {v1alpha1.TypePodChaos, []string{"container"}},
	"flag":              {"", []string{"flag", "variant"}},
}

// FaultNames returns every fault kind the config accepts, sorted.
func FaultNames() []string {
	out := make([]string, 0, len(faults))
	for n := range faults {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
