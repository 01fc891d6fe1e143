package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Lookup reads one config key of the project's namespace, named without the namespace ("halt"); ok is false
// when the key is not set.
type Lookup func(key string) (value string, ok bool)

// Source is a stack's config as ParseConfig reads it, with what the runtime can tell about it.
type Source struct {
	// Get reads the raw value of a key, as Pulumi gives it to a program: a string as it is, a structured
	// value (scenarios, slos) as JSON.
	Get Lookup
	// Keys are every config key that the stack sets, named in full ("chaos-mesh-otel:halt",
	// "kubernetes:context"), when KeysListed. ParseConfig refuses a key of the project's namespace that the
	// program does not read.
	Keys []string
	// KeysListed says that Keys is the stack's whole list. The Pulumi Go SDK gives a program no way to list
	// its config: under the Go language host the list comes from the PULUMI_CONFIG environment variable,
	// and an Automation API inline program gets it only from its caller (LabWithConfigKeys).
	KeysListed bool
	// Encrypted are keys of the project's namespace (named without it) that the stack sets to a secure value
	// that cannot be decrypted here, as when chaoslab reads a stack file. They count as set.
	Encrypted []string
	// Pending are required keys of the project's namespace (named without it) that are not set yet because
	// `make up` generates them before its first preview (grafanaAdminPassword): chaoslab counts them as
	// set and says so, pulumi preview requires them.
	Pending []string
}

// FromValues is the Source of a whole config given as raw values by full key, the way Pulumi hands them to
// a program (RunInfo.Config): every key is listed.
func FromValues(values map[string]string) Source {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return Source{
		Get: func(key string) (string, bool) {
			v, ok := values[ConfigNamespace+":"+key]
			return v, ok
		},
		Keys:       keys,
		KeysListed: true,
	}
}

// contextSource is the Source of a running program. keys lists the stack's config keys when the runtime
// can tell; see Source.KeysListed.
func contextSource(ctx *pulumi.Context, keys func() ([]string, bool, error)) (Source, error) {
	src := Source{Get: func(key string) (string, bool) { return ctx.GetConfig(ConfigNamespace + ":" + key) }}
	var err error
	src.Keys, src.KeysListed, err = keys()
	return src, err
}

// languageHostKeys lists the stack's config keys from PULUMI_CONFIG, where the Go language host passes the
// whole config to the program it starts (pulumi preview, pulumi up). It is unset for an Automation API
// inline program, which then lists nothing.
func languageHostKeys() ([]string, bool, error) {
	raw := os.Getenv(pulumi.EnvConfig)
	if raw == "" {
		return nil, false, nil
	}
	var config map[string]any
	if err := json.Unmarshal([]byte(raw), &config); err != nil {
		return nil, false, fmt.Errorf("reading the config keys from %s: %w", pulumi.EnvConfig, err)
	}
	keys := make([]string, 0, len(config))
	for k := range config {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, true, nil
}

// projectKeys are the keys of the project's namespace that the program reads.
var projectKeys = []string{
	KeyKubeconfig, KeyContext, KeyChartsDir, KeyChaosRuntime, KeyChaosSocketPath, KeyLoadGeneratorUsers,
	KeyLoadGeneratorBrowser, KeyLLMComponents, KeyGrafanaAdminPassword, KeyHalt, KeyScenarios, KeySLOs,
	KeySLOGate, KeySLOGateImage, KeySLOGateRegistry, KeySLOGateURL, KeyDockerHost, KeyApp, KeyIstio,
}

// unknownKeys returns the keys of the project's namespace among keys (full keys) that the program does not
// read, named without the namespace, in order.
func unknownKeys(keys []string) []string {
	var out []string
	for _, full := range keys {
		ns, key, found := strings.Cut(full, ":")
		if found && ns == ConfigNamespace && !slices.Contains(projectKeys, key) {
			out = append(out, key)
		}
	}
	return out
}
