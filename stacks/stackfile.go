package stacks

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks/stackfile"
)

// ReadStackFile reads a Pulumi.<stack>.yaml with Pulumi's own loader and the project's config schema
// (package stackfile), as the CLI reads it before it runs the program.
func ReadStackFile(path string) (*stackfile.File, error) { return stackfile.Read(path) }

// FileSource is a stack file's config for ParseConfig: every key is listed, encrypted keys count as set,
// and so does a required key that `make up` generates and that is not there yet (see Pending).
func FileSource(f *stackfile.File) Source {
	src := FromValues(f.Values)
	src.Keys = f.Keys()
	for _, full := range f.Encrypted {
		if key, ok := strings.CutPrefix(full, ConfigNamespace+":"); ok {
			src.Encrypted = append(src.Encrypted, key)
		}
	}
	for _, full := range f.Missing {
		if key, ok := strings.CutPrefix(full, ConfigNamespace+":"); ok && slices.Contains(generatedKeys, key) {
			src.Pending = append(src.Pending, key)
		}
	}
	return src
}

// generatedKeys are the required keys that `make up` creates in the stack file before its first preview:
// a stack file without them is a fresh clone's, not a wrong one.
var generatedKeys = []string{KeyGrafanaAdminPassword}

// Notice is something a user should know about a valid config: a name that was changed, a key that make
// up has yet to generate. chaoslab prints them, and the program logs them at preview.
type Notice struct {
	Key     string // the full key, such as chaos-mesh-otel:scenarios.My_Scenario
	Message string
}

func (n Notice) String() string { return n.Key + ": " + n.Message }

// CheckStackFile checks a stack file as `pulumi preview` would: the CLI's own checks against Pulumi.yaml's
// schema (types, secrets, required keys), then the program's (ParseConfig), every problem at once. A
// missing key that make up generates is a notice, not a problem. On success it returns the config and the
// notices; else a *ConfigError.
func CheckStackFile(f *stackfile.File) (*Config, []Notice, error) {
	src := FileSource(f)
	cfg, err := ParseConfig(src)
	var errs field.ErrorList
	errs = append(errs, f.Problems...)
	for _, full := range f.Missing {
		if key, _ := strings.CutPrefix(full, ConfigNamespace+":"); !slices.Contains(src.Pending, key) {
			errs = append(errs, field.Required(field.NewPath(full), "Pulumi.yaml declares it without a default: set it in the stack file"))
		}
	}
	if ce, ok := err.(*ConfigError); ok {
		for _, fe := range ce.Errors {
			// The CLI's type check already names this key; the program's own message would repeat it.
			if !slices.ContainsFunc(f.Problems, func(p *field.Error) bool { return p.Field == fe.Field }) {
				errs = append(errs, fe)
			}
		}
	} else if err != nil {
		return nil, nil, err
	}
	if len(errs) > 0 {
		return nil, nil, &ConfigError{Errors: errs}
	}
	var notices []Notice
	for _, key := range src.Pending {
		notices = append(notices, Notice{Key: ConfigNamespace + ":" + key, Message: fmt.Sprintf(
			"not set yet: `make up` generates it (a secret) before its first pulumi preview, which requires it; "+
				"or set your own with `pulumi config set --secret %s:%s <value>`", ConfigNamespace, key)})
	}
	return cfg, append(notices, cfg.Notices...), nil
}
