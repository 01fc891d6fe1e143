package scenarios

import (
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// compileFlag checks a flag scenario: one of the app's feature flags and one of its variants, on a service
// that this stack deploys when the scenario is enabled. It says whether the scenario is valid.
func (c *env) compileFlag(s *scenario) bool {
	before := c.e.count()
	names := c.app.FlagNames()
	f, ok := c.app.Flag(s.Flag)
	switch {
	case len(names) == 0:
		c.e.add(field.Invalid(s.path("fault"), string(s.Fault), c.app.Name+" has no feature flags; expected a Chaos Mesh fault"))
	case s.Flag == "":
		c.e.add(field.Required(s.path("flag"), "one of the app's flagd flags: "+strings.Join(names, ", ")))
	case !ok:
		c.e.add(notSupported(s.path("flag"), s.Flag, names))
	case s.Variant == "":
		c.e.add(field.Required(s.path("variant"), fmt.Sprintf("a variant of %s: %s", s.Flag, strings.Join(f.VariantNames(), ", "))))
	default:
		if _, known := f.Variants[s.Variant]; !known {
			err := field.NotSupported(s.path("variant"), s.Variant, f.VariantNames())
			err.Detail = fmt.Sprintf("not a variant of flag %s; %s", s.Flag, err.Detail)
			c.e.add(err)
		}
	}
	if why := c.notDeployed(f.Service); s.Enabled && ok && why != "" {
		c.e.add(field.Invalid(s.path("flag"), s.Flag, fmt.Sprintf("the flag acts on %s, %s", f.Service, why)))
	}
	return c.e.count() == before
}

// flagDocument renders the flagd overrides: each flag keeps its variants and gets the chosen default.
func flagDocument(app apps.App, on map[string]*scenario) []byte {
	type flagDef struct {
		State          string         `json:"state"`
		DefaultVariant string         `json:"defaultVariant"`
		Variants       map[string]any `json:"variants"`
	}
	doc := struct {
		Flags map[string]flagDef `json:"flags"`
	}{Flags: map[string]flagDef{}}
	for name, s := range on {
		f, _ := app.Flag(name)
		doc.Flags[name] = flagDef{State: "ENABLED", DefaultVariant: s.Variant, Variants: f.Variants}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return []byte(`{"flags":{}}`)
	}
	return b
}

// flagService is the service that a flag of the app acts on.
func flagService(app apps.App, flag string) string {
	f, _ := app.Flag(flag)
	return f.Service
}
