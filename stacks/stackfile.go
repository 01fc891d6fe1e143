package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// StackFile is a Pulumi.<stack>.yaml read the way Pulumi reads it for a program, without its secrets
// provider: chaoslab checks and renders a stack from it with no cluster and no Pulumi CLI.
type StackFile struct {
	// Values are the raw values by full key, as Pulumi gives them to the program: a string as it is, a
	// number or boolean as its text, a structured value (scenarios, slos) as JSON.
	Values map[string]string
	// Encrypted are the full keys set to a secure value, which only the stack's secrets provider can read.
	Encrypted []string
}

// ReadStackFile reads a Pulumi.<stack>.yaml.
func ReadStackFile(path string) (*StackFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseStackFile(data)
}

// ParseStackFile reads the contents of a Pulumi.<stack>.yaml.
func ParseStackFile(data []byte) (*StackFile, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	var doc struct {
		Config map[string]json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		return nil, fmt.Errorf("expected a Pulumi stack file, with a map of keys under config: %w", err)
	}
	f := &StackFile{Values: map[string]string{}}
	for key, raw := range doc.Config {
		if !strings.Contains(key, ":") {
			return nil, fmt.Errorf("config key %q has no namespace: a stack file names keys in full, such as %s:%s (is this the project file, Pulumi.yaml?)", key, ConfigNamespace, KeyHalt)
		}
		var secure struct {
			Secure *string `json:"secure"`
		}
		if json.Unmarshal(raw, &secure) == nil && secure.Secure != nil {
			f.Encrypted = append(f.Encrypted, key)
			continue
		}
		f.Values[key] = rawValue(raw)
	}
	slices.Sort(f.Encrypted)
	return f, nil
}

// rawValue is a config value as Pulumi passes it to a program: a JSON string unquoted (which also accepts
// scenarios written as a JSON document in a string), null as empty, anything else as its JSON text.
func rawValue(raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

// ProjectKeys are the keys of the project's namespace that the file sets, encrypted or not, in order.
func (f *StackFile) ProjectKeys() []string {
	var out []string
	for _, full := range append(f.keys(), f.Encrypted...) {
		if key, ok := strings.CutPrefix(full, ConfigNamespace+":"); ok {
			out = append(out, key)
		}
	}
	slices.Sort(out)
	return out
}

func (f *StackFile) keys() []string {
	keys := make([]string, 0, len(f.Values))
	for k := range f.Values {
		keys = append(keys, k)
	}
	return keys
}

// Source is the file's config for ParseConfig: every key is listed, and encrypted keys count as set.
func (f *StackFile) Source() Source {
	src := FromValues(f.Values)
	src.Keys = append(src.Keys, f.Encrypted...)
	slices.Sort(src.Keys)
	for _, full := range f.Encrypted {
		if key, ok := strings.CutPrefix(full, ConfigNamespace+":"); ok {
			src.Encrypted = append(src.Encrypted, key)
		}
	}
	return src
}
