// Package apps holds the facts about the app under test that the rest of the lab reads: its namespace,
// its services and what each one speaks, the pod label that selects a service, its entry service, its
// feature flags, and which services a stack deploys. It is pure data, with no Pulumi imports, so that the
// program, the scenarios, the dashboards, the report and chaoslab share one definition of each fact.
//
// An App is a value passed explicitly: a second app under test is a second value, not a change of code.
package apps

import (
	"slices"
	"sort"
)

// The label that every object the lab creates carries, so that one selector finds all of them.
const (
	PartOfLabel = "app.kubernetes.io/part-of"
	PartOfValue = "chaos-mesh-otel"
)

// PartOf is the lab's label as a map, ready for an object's metadata.
func PartOf() map[string]string { return map[string]string{PartOfLabel: PartOfValue} }

// Protocol is what a port speaks. HTTP faults need a plain-HTTP port: HTTPChaos cannot see inside gRPC.
type Protocol string

const (
	HTTP Protocol = "HTTP"
	GRPC Protocol = "gRPC"
	TCP  Protocol = "TCP" // anything else: Kafka, PostgreSQL, Valkey, OpAMP, OTLP
	// Metrics is a Prometheus scrape endpoint: HTTP on the wire, but not a hop of the app worth faulting.
	Metrics Protocol = "metrics"
)

// Port is a container port of a service.
type Port struct {
	Name     string
	Number   int32
	Protocol Protocol
}

// Group names a set of optional services that a stack deploys only when asked to.
type Group string

// Service is one component of an app.
type Service struct {
	Name     string
	Ports    []Port // empty for workers that serve nothing
	Stateful bool   // holds data: faulting every pod of it at once needs an explicit allowAll
	// Volume is a writable volume mounted in its container, usable by IOChaos; "" when none.
	Volume string
	// Group, when set, makes the service optional: it is deployed only when its group is switched on.
	Group Group
	// Dropped, when set, says why the lab never deploys this service of the chart.
	Dropped string
}

// HTTPPorts returns the service's plain-HTTP ports.
func (s Service) HTTPPorts() []Port {
	var out []Port
	for _, p := range s.Ports {
		if p.Protocol == HTTP {
			out = append(out, p)
		}
	}
	return out
}

// Flag is one of an app's feature flags, served by flagd.
type Flag struct {
	Name     string
	Service  string         // the service whose behaviour it changes
	Default  string         // default variant
	Variants map[string]any // variant name → value, as flagd declares them
}

// VariantNames returns the flag's variants, sorted.
func (f Flag) VariantNames() []string { return sortedKeys(f.Variants) }

// App is an app under test.
type App struct {
	// Name is how the stack config names the app.
	Name string
	// Namespace is where the app runs, and so where the lab's chaos objects live.
	Namespace string
	// SelectorLabel is the pod label whose value is the service's name: it selects a service's pods.
	SelectorLabel string
	// Entry is the service that users' requests enter through, and EntryPort its HTTP port.
	Entry     string
	EntryPort int32
	// Services is the catalog of the app's services, deployed or not, sorted by name.
	Services []Service
	// Flags are the app's feature flags, sorted by name; none when the app has no flagd.
	Flags []Flag
	// Groups says, for each optional group, what it is and how a stack switches it on (for error messages).
	Groups map[Group]string
}

// Service returns the catalog entry of a service.
func (a App) Service(name string) (Service, bool) {
	for _, s := range a.Services {
		if s.Name == name {
			return s, true
		}
	}
	return Service{}, false
}

// ServiceNames lists every service of the catalog, deployed or not, sorted.
func (a App) ServiceNames() []string {
	names := make([]string, len(a.Services))
	for i, s := range a.Services {
		names[i] = s.Name
	}
	return names
}

// Optional says whether the catalog has the service but a stack may run without it: it belongs to an
// optional group, or the lab never deploys it.
func (a App) Optional(service string) bool {
	s, ok := a.Service(service)
	return ok && (s.Group != "" || s.Dropped != "")
}

// Selector is the label selector of a service's pods.
func (a App) Selector(service string) map[string]string {
	return map[string]string{a.SelectorLabel: service}
}

// Flag returns one of the app's feature flags.
func (a App) Flag(name string) (Flag, bool) {
	for _, f := range a.Flags {
		if f.Name == name {
			return f, true
		}
	}
	return Flag{}, false
}

// FlagNames lists the app's feature flags, sorted.
func (a App) FlagNames() []string {
	names := make([]string, len(a.Flags))
	for i, f := range a.Flags {
		names[i] = f.Name
	}
	return names
}

// Deploy says which services a stack deploys: every service that is not dropped and, of the optional
// ones, those whose group is switched on.
func (a App) Deploy(on ...Group) Deployment {
	return Deployment{App: a, on: slices.Clone(on)}
}

// Deployment is the app as one stack deploys it.
type Deployment struct {
	App App
	on  []Group
}

// GroupOn says whether an optional group is switched on.
func (d Deployment) GroupOn(g Group) bool { return slices.Contains(d.on, g) }

// Has says whether the service is deployed.
func (d Deployment) Has(service string) bool {
	s, ok := d.App.Service(service)
	return ok && d.deploys(s)
}

func (d Deployment) deploys(s Service) bool {
	return s.Dropped == "" && (s.Group == "" || d.GroupOn(s.Group))
}

// Services lists the deployed services, sorted by name.
func (d Deployment) Services() []Service {
	var out []Service
	for _, s := range d.App.Services {
		if d.deploys(s) {
			out = append(out, s)
		}
	}
	return out
}

// ServiceNames lists the deployed services' names, sorted.
func (d Deployment) ServiceNames() []string {
	var out []string
	for _, s := range d.Services() {
		out = append(out, s.Name)
	}
	return out
}

// WhyNot says why a service of the catalog is not deployed; "" when it is deployed or not in the catalog.
func (d Deployment) WhyNot(service string) string {
	s, ok := d.App.Service(service)
	switch {
	case !ok || d.deploys(s):
		return ""
	case s.Dropped != "":
		return "the lab never deploys it: " + s.Dropped
	case d.App.Groups[s.Group] != "":
		return d.App.Groups[s.Group]
	default:
		return "its optional group " + string(s.Group) + " is switched off"
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
