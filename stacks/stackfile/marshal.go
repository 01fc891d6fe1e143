package stackfile

import "github.com/pulumi/pulumi/sdk/v3/go/common/encoding"

// yamlMarshaler is the marshaler the SDK picks for a stack file by its extension (YAML for .yaml and .yml,
// and for a name without one), as workspace.LoadProjectStack does.
func yamlMarshaler(path string) encoding.Marshaler {
	if m, _ := encoding.Detect(path); m != nil {
		return m
	}
	return encoding.YAML
}
