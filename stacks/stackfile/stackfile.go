// Package stackfile reads a Pulumi.<stack>.yaml exactly as the Pulumi CLI reads it before it runs the
// program: with the Pulumi SDK's own loader (YAML 1.2, so `yes`, `on` and `off` are strings; a key written
// twice is refused with its lines; `secure:` values recognised; keys without a namespace given the
// project's), then checked against the project's config schema in Pulumi.yaml as `pulumi preview` checks it
// (a declared type, a key declared secret in plain text, a required key missing), with the project's
// defaults applied. Every command and test of the lab that reads a stack file goes through Read, so that
// chaoslab and pulumi preview see the same values. The package depends on nothing of the lab, so that the
// report's --slos can use it too.
package stackfile

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/encoding"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// File is a stack file as the Pulumi CLI hands it to the program, without its secrets provider.
type File struct {
	Path    string // as given
	Stack   string // from the name Pulumi.<stack>.yaml
	Project string // the project's name, from Pulumi.yaml: the namespace of its keys
	// Values are the plain values by full key ("chaos-mesh-otel:halt") as the program receives them: a
	// string as it is, a number or boolean as its text, a structured value as JSON. The project's defaults
	// are applied, as the CLI applies them.
	Values map[string]string
	// Set are the full keys that the file itself sets (defaults not counted), encrypted ones included, sorted.
	Set []string
	// Encrypted are the full keys whose value is secure (encrypted), which only the stack's secrets provider
	// can read, sorted.
	Encrypted []string
	// Structured are the full keys whose value is a map or a list in the file (a string that holds JSON is
	// not one), sorted.
	Structured []string
	// Missing are the project's keys that have no default and that the file does not set: the CLI refuses
	// to run the program without them ("Stack 'dev' is missing configuration value ...").
	Missing []string
	// Problems are what the CLI refuses before the program runs, each at its full key: a value of the wrong
	// type for Pulumi.yaml's schema, a key declared secret given in plain text.
	Problems field.ErrorList
	// ProjectFile is the Pulumi.yaml whose schema the file was read with; empty when it had none beside it or
	// above it, and the lab's own (compiled in) was used.
	ProjectFile string
}

// ContentError is a stack file that cannot be read as a stack file: not YAML 1.2, a duplicate key, a
// malformed secure value. The CLI refuses such a file before anything else, as chaoslab does.
type ContentError struct {
	Path string
	Err  error
}

func (e *ContentError) Error() string {
	return fmt.Sprintf("%s: not a valid Pulumi stack file (read as Pulumi reads it, YAML 1.2): %v", e.Path, e.Err)
}

func (e *ContentError) Unwrap() error { return e.Err }

// ProjectFileNames are the names Pulumi gives a project file.
var ProjectFileNames = []string{"Pulumi.yaml", "Pulumi.yml"}

// FindProject returns the project file that governs a stack file: Pulumi.yaml in the stack file's
// directory or the nearest one above it, as the CLI finds it from the working directory.
func FindProject(stackFile string) (string, error) {
	abs, err := filepath.Abs(stackFile)
	if err != nil {
		return "", err
	}
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		for _, name := range ProjectFileNames {
			if p := filepath.Join(dir, name); fileExists(p) {
				return p, nil
			}
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no Pulumi.yaml beside %s or in a directory above it: the project file declares the "+
				"config schema that Pulumi checks a stack file against; keep the stack file in the project's directory", stackFile)
		}
	}
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// labProjectFile is a copy of the lab's own Pulumi.yaml, compiled in (a test keeps it byte-identical to the
// repository's): the schema for a stack file that has no project file beside it or above it.
//
//go:embed lab-project.yaml
var labProjectFile []byte

// LabProject is the lab's own project definition, as compiled into the program.
func LabProject() (*workspace.Project, error) {
	return workspace.LoadProjectBytes(labProjectFile, "Pulumi.yaml", encoding.YAML)
}

// Read reads a stack file with the project file that governs it (FindProject), or, when it has none, with
// the lab's own (LabProject; ProjectFile then says so). An error that is a *ContentError means the file's
// content is refused; any other error means it could not be read at all.
func Read(path string) (*File, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	var project *workspace.Project
	projectFile, err := FindProject(path)
	switch {
	case err == nil:
		if project, err = workspace.LoadProject(projectFile); err != nil {
			return nil, fmt.Errorf("reading the project file: %w", err)
		}
	default:
		projectFile = ""
		if project, err = LabProject(); err != nil {
			return nil, err
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(project, data, path)
	if f != nil {
		f.ProjectFile = projectFile
	}
	return f, err
}

// Parse reads the contents of a stack file for the project. path names the file in messages and gives the
// stack's name.
func Parse(project *workspace.Project, data []byte, path string) (*File, error) {
	ps, err := loadStack(project, data, path)
	if err != nil {
		return nil, &ContentError{Path: path, Err: err}
	}
	f := &File{Path: path, Stack: StackName(path), Project: project.Name.String(), Values: map[string]string{}}
	for key, value := range ps.Config {
		full := key.String()
		f.Set = append(f.Set, full)
		if value.Secure() {
			f.Encrypted = append(f.Encrypted, full)
			continue
		}
		if value.Object() {
			f.Structured = append(f.Structured, full)
		}
		text, err := value.Value(config.NopDecrypter)
		if err != nil {
			return nil, &ContentError{Path: path, Err: fmt.Errorf("%s: %w", full, err)}
		}
		f.Values[full] = text
	}
	slices.Sort(f.Set)
	slices.Sort(f.Encrypted)
	slices.Sort(f.Structured)
	f.applySchema(project, ps.Config)
	return f, nil
}

// loadStack is the SDK's loader, turned from its panics on odd input into errors.
func loadStack(project *workspace.Project, data []byte, path string) (ps *workspace.ProjectStack, err error) {
	defer func() {
		if p := recover(); p != nil {
			ps, err = nil, fmt.Errorf("%v", p)
		}
	}()
	ps, err = workspace.LoadProjectStackBytes(nil, project, data, path, yamlMarshaler(path))
	if err == nil && ps == nil {
		err = errors.New("empty stack")
	}
	return ps, err
}

// StackName is the stack's name as the file's name gives it: Pulumi.<stack>.yaml.
func StackName(path string) string {
	base := filepath.Base(path)
	base = strings.TrimSuffix(strings.TrimSuffix(base, ".yaml"), ".yml")
	return strings.TrimPrefix(base, "Pulumi.")
}

// applySchema does what the CLI does with the project's config schema before it runs the program: it
// applies the defaults of the keys the file leaves out, lists the required ones that are missing, and
// checks the file's plain values against their declared types and secrecy.
func (f *File) applySchema(project *workspace.Project, stack config.Map) {
	for _, name := range slices.Sorted(maps.Keys(project.Config)) {
		decl := project.Config[name]
		full := name
		if !strings.Contains(name, ":") {
			full = f.Project + ":" + name
		}
		set := slices.Contains(f.Set, full)
		switch {
		case !set && decl.Default == nil && decl.Value == nil:
			if strings.HasPrefix(full, f.Project+":") {
				f.Missing = append(f.Missing, full)
			}
			continue
		case !set:
			f.Values[full] = defaultText(decl)
			continue
		}
		if decl.Secret && !slices.Contains(f.Encrypted, full) {
			f.Problems = append(f.Problems, field.Forbidden(field.NewPath(full), fmt.Sprintf(
				"declared secret in Pulumi.yaml, but given in plain text; Pulumi refuses it (\"must be encrypted as it's secret\"): "+
					"set it with `pulumi config set --secret %s <value>`", full)))
			continue
		}
		if !decl.IsExplicitlyTyped() || slices.Contains(f.Encrypted, full) {
			continue
		}
		if !workspace.ValidateConfigValue(*decl.Type, decl.Items, content(stack, full, f.Values[full])) {
			f.Problems = append(f.Problems, field.Invalid(field.NewPath(full), f.Values[full], typeHint(decl)))
		}
	}
}

// content is a value as the CLI type-checks it: a structured value as its JSON document, anything else as
// its text (YAML's true and 5 arrive as "true" and "5", which the boolean and integer types accept).
func content(stack config.Map, full, text string) any {
	key, err := config.ParseKey(full)
	if err != nil {
		return text
	}
	if v, ok := stack[key]; ok && v.Object() {
		var doc any
		if json.Unmarshal([]byte(text), &doc) == nil {
			return doc
		}
	}
	return text
}

func typeHint(decl workspace.ProjectConfigType) string {
	name := workspace.InferFullTypeName(*decl.Type, decl.Items)
	hint := fmt.Sprintf("must be of type %s, as Pulumi.yaml declares it", name)
	switch name {
	case "boolean":
		hint += " (write true or false: Pulumi reads YAML 1.2, where yes, no, on and off are strings)"
	case "integer":
		hint += " (a whole number, such as 5)"
	}
	return hint
}

// defaultText is a declared default as the CLI hands it to the program: a scalar as its text, anything
// else as JSON.
func defaultText(decl workspace.ProjectConfigType) string {
	v := decl.Default
	if v == nil {
		v = decl.Value
	}
	switch v.(type) {
	case string, int, bool, float64:
		return fmt.Sprintf("%v", v)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(raw)
}

// Keys are every key the program is given, in full, sorted: the plain values and the encrypted ones.
func (f *File) Keys() []string {
	keys := slices.Concat(slices.Collect(maps.Keys(f.Values)), f.Encrypted)
	slices.Sort(keys)
	return slices.Compact(keys)
}

// ProjectKeys are the keys of the project's namespace that the file itself sets, without the namespace.
func (f *File) ProjectKeys() []string {
	var out []string
	for _, full := range f.Set {
		if key, ok := strings.CutPrefix(full, f.Project+":"); ok {
			out = append(out, key)
		}
	}
	return out
}

// Secure says whether the file holds the key (in full) as an encrypted value.
func (f *File) Secure(full string) bool { return slices.Contains(f.Encrypted, full) }
