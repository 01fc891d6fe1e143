package spineconf

import (
	"fmt"
	"strings"
)

// CollectorOut is what differs for the collector outside its pod.
type CollectorOut struct {
	// JaegerOTLP is Jaeger's OTLP gRPC address here (its pod IP:4317).
	JaegerOTLP string
	// MemoryLimitMi is the container's memory limit as rendered: memory_limiter's percentages are of it.
	MemoryLimitMi int
}

// Collector rewrites the collector's rendered config (the relay key of its ConfigMap). Its receivers,
// exporters and telemetry listen on ${env:MY_POD_IP} already, which the process gets as its pod's IP, so
// they stay as rendered.
func Collector(relay string, out CollectorOut) (string, []Change, error) {
	d, err := parse(relay)
	if err != nil {
		return "", nil, err
	}
	jaeger := d.at("exporters", "otlp/jaeger")
	d.set(jaeger, "exporters.otlp/jaeger", "endpoint", "", out.JaegerOTLP,
		"no cluster DNS here: Jaeger's Service name becomes Jaeger's pod IP, the address the Service routes to")

	k8s := d.at("processors", "k8s_attributes")
	d.add(k8s, "processors.k8s_attributes", "auth_type", "kubeConfig",
		"no ServiceAccount token outside a pod: watch the cluster through $KUBECONFIG, as the same client")

	// The limiter reads the cgroup's limit in the pod; outside one it would take the machine's memory.
	ml := d.at("processors", "memory_limiter")
	pct := func(key string) int {
		v, ok := ml[key].(float64)
		if !ok {
			d.errs = append(d.errs, fmt.Sprintf("processors.memory_limiter.%s is not a number", key))
		}
		return int(v)
	}
	limit, spike := pct("limit_percentage"), pct("spike_limit_percentage")
	if out.MemoryLimitMi <= 0 {
		d.errs = append(d.errs, "no memory limit for the collector's container")
	}
	for _, k := range []string{"limit_percentage", "spike_limit_percentage"} {
		d.changes = append(d.changes, Change{Path: "processors.memory_limiter." + k, From: fmt.Sprint(ml[k]), To: "(removed)",
			Why: "a percentage of the cgroup's limit, which no process outside a pod has: the MiB it stands for instead"})
		delete(ml, k)
	}
	d.add(ml, "processors.memory_limiter", "limit_mib", out.MemoryLimitMi*limit/100,
		fmt.Sprintf("limit_percentage %d of the container's %d Mi, as the limiter computes it from the cgroup in the pod", limit, out.MemoryLimitMi))
	d.add(ml, "processors.memory_limiter", "spike_limit_mib", out.MemoryLimitMi*spike/100,
		fmt.Sprintf("spike_limit_percentage %d of %d Mi", spike, out.MemoryLimitMi))
	return d.result()
}

// CollectorEnv is the collector container's environment as rendered, resolved for the process: MY_POD_IP
// and the other downward-API values are what the pod would see (env holds them, resolved by the caller from
// the live pod), and KUBECONFIG is added for the k8sattributes processor.
func CollectorEnv(env map[string]string, kubeconfig string) (map[string]string, []Change, error) {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	if out["MY_POD_IP"] == "" {
		return nil, nil, fmt.Errorf("the collector's container declares no MY_POD_IP, which its config listens on")
	}
	if !strings.HasSuffix(out["GOMEMLIMIT"], "MiB") {
		return nil, nil, fmt.Errorf("the collector's container has GOMEMLIMIT %q, expected the chart's MiB value", out["GOMEMLIMIT"])
	}
	out["KUBECONFIG"] = kubeconfig
	return out, []Change{{Path: "env.KUBECONFIG", From: "(unset)", To: kubeconfig, Why: "auth_type kubeConfig reads it"}}, nil
}
