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
	"strings"
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

// Port is a port of a service: the container's port, and the Service's port in front of it.
type Port struct {
	// Name is the Service port's name. Istio reads the protocol from it (grpc, http, http2, or a prefix
	// such as grpc-web), so it must say what the port speaks for a mesh fault to apply.
	Name     string
	Number   int32 // the container port, which Chaos Mesh's HTTPChaos intercepts
	Protocol Protocol
	// ServicePort is the port that the Kubernetes Service exposes, when it differs from the container port
	// (the Online Boutique's frontend: 80 in front of 8080); 0 when they are the same.
	ServicePort int32
}

// OnService is the port number on the Kubernetes Service: what clients dial, and what an Istio
// VirtualService's destination names.
func (p Port) OnService() int32 {
	if p.ServicePort != 0 {
		return p.ServicePort
	}
	return p.Number
}

// Mesh says whether Istio can inject HTTP faults into the port's requests: it speaks HTTP or gRPC (not a
// metrics endpoint), and its name tells Istio so. flagd's rpc and ofrep ports speak gRPC and HTTP, but Istio
// reads those names as plain TCP and routes no HTTP there.
func (p Port) Mesh() bool { return p.SpeaksHTTP() && IstioRoutesHTTP(IstioProtocol(p.Name, "")) }

// SpeaksHTTP says whether the port carries the app's HTTP or gRPC requests, whatever Istio makes of its name.
func (p Port) SpeaksHTTP() bool { return p.Protocol == HTTP || p.Protocol == GRPC }

// IstioProtocol is the protocol that Istio reads from a Service port: its appProtocol when one is set, else
// its name up to the first "-" (a grpc-web name is grpc-web), in lower case.
func IstioProtocol(name, appProtocol string) string {
	if appProtocol != "" {
		return strings.ToLower(appProtocol)
	}
	name = strings.ToLower(name)
	if strings.HasPrefix(name, "grpc-web") {
		return "grpc-web"
	}
	protocol, _, _ := strings.Cut(name, "-")
	return protocol
}

// IstioSidecar is the name of the container that Istio's injector adds to a meshed pod.
const IstioSidecar = "istio-proxy"

// IstioHTTPProtocols are the protocols on which Istio's sidecars route HTTP, and so apply a VirtualService's
// HTTP fault. Istio treats any other port as plain TCP.
var IstioHTTPProtocols = []string{"http", "http2", "grpc", "grpc-web", "h2c"}

// IstioRoutesHTTP says whether Istio routes a port of that protocol (see IstioProtocol) as HTTP.
func IstioRoutesHTTP(protocol string) bool { return slices.Contains(IstioHTTPProtocols, protocol) }

// Group names a set of optional services that a stack deploys only when asked to.
type Group string

// Service is one component of an app.
type Service struct {
	Name string
	// Ports are the ports of its Kubernetes Service; empty for workers that serve nothing, which have no Service.
	Ports    []Port
	Stateful bool // holds data: faulting every pod of it at once needs an explicit allowAll
	// Volume is a writable volume mounted in its container, usable by IOChaos; "" when none.
	Volume string
	// Group, when set, makes the service optional: it is deployed only when its group is switched on.
	Group Group
	// Dropped, when set, says why the lab never deploys this service of the chart.
	Dropped string
	// Container is the name of the service's main container; "" when it is the service's name (as the
	// Astronomy Shop's chart names them).
	Container string
	// Calls are the services of the app that it sends requests to, sorted: the app's call graph, read from
	// the addresses the chart gives each service.
	Calls []string
}

// ContainerName is the name of the service's main container, which container-kill and stress target.
func (s Service) ContainerName() string {
	if s.Container != "" {
		return s.Container
	}
	return s.Name
}

// HasService says whether a Kubernetes Service fronts it.
func (s Service) HasService() bool { return len(s.Ports) > 0 }

// MeshPorts returns the ports that Istio can inject HTTP faults into: HTTP and gRPC, not metrics or TCP.
func (s Service) MeshPorts() []Port {
	var out []Port
	for _, p := range s.Ports {
		if p.Mesh() {
			out = append(out, p)
		}
	}
	return out
}

// Meshed says whether the service runs with an Istio sidecar when the lab runs Istio. A data store whose
// every port speaks raw TCP gets none: no mesh fault applies to TCP, and a sidecar would only cost memory.
// Istio's injector is told to skip exactly these (see Deployment.Unmeshed).
func (s Service) Meshed() bool {
	for _, p := range s.Ports {
		if p.Protocol != TCP {
			return true
		}
	}
	return len(s.Ports) == 0
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
	// Title is the app's name in prose, for messages.
	Title string
	// SLOServices are the services whose server spans make the default SLOs (availability and latency):
	// the entry and the busiest hops that emit traces.
	SLOServices []string
	// FromShop maps each Astronomy Shop service to the service of this app that plays its part; presets,
	// written in the shop's names, resolve through it. nil for the Astronomy Shop itself.
	FromShop map[string]string
	// ReadOnlyRoot says that every container of the app has a read-only root filesystem, so that IOChaos
	// can only act on the writable volumes of the catalog.
	ReadOnlyRoot bool
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

// Translate returns the service of this app that plays the part of another app's service: the Astronomy
// Shop's checkout is the Online Boutique's checkoutservice, and back. ok is false when the name is one of
// this app's own services or has no counterpart here.
func (a App) Translate(name string) (string, bool) {
	if _, own := a.Service(name); own {
		return "", false
	}
	if a.FromShop != nil {
		s, ok := a.FromShop[name]
		return s, ok
	}
	// This is the shop: find the shop's service that another app's service stands for.
	var found []string
	for _, other := range All() {
		for shop, theirs := range other.FromShop {
			if _, ok := a.Service(shop); ok && theirs == name {
				found = append(found, shop)
			}
		}
	}
	if len(found) == 0 {
		return "", false
	}
	slices.Sort(found)
	return found[0], true
}

// Callers lists the services of the app that call service, sorted.
func (a App) Callers(service string) []string {
	var out []string
	for _, s := range a.Services {
		if slices.Contains(s.Calls, service) {
			out = append(out, s.Name)
		}
	}
	return out
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

// Unmeshed lists the deployed services that get no Istio sidecar (see Service.Meshed), sorted: what Istio's
// injector must skip.
func (d Deployment) Unmeshed() []string {
	var out []string
	for _, s := range d.Services() {
		if !s.Meshed() {
			out = append(out, s.Name)
		}
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

// All lists the apps that the lab can deploy as its app under test, the default first.
func All() []App { return []App{AstronomyShop, OnlineBoutique} }

// Names lists the config names of the apps, the default first: the choices of chaos-mesh-otel:app.
func Names() []string {
	var out []string
	for _, a := range All() {
		out = append(out, a.Name)
	}
	return out
}

// InNamespace returns the app that runs in the namespace.
func InNamespace(ns string) (App, bool) {
	for _, a := range All() {
		if a.Namespace == ns {
			return a, true
		}
	}
	return App{}, false
}

// ByName returns the app that the config names.
func ByName(name string) (App, bool) {
	for _, a := range All() {
		if a.Name == name {
			return a, true
		}
	}
	return App{}, false
}
