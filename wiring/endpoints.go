package wiring

import (
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// address is one in-cluster address found in an object.
type address struct {
	object string // Kind namespace/name of the object that holds it
	field  string // where in the object
	value  string // the text it was found in (expanded)
	ns     string // the namespace a bare name resolves in
	host   string
	port   int // 0: no port known (a host alone)
}

// ignoredHosts are in-cluster names outside the lab's objects: the API server.
var ignoredHosts = map[string]bool{"kubernetes.default.svc": true, "kubernetes.default.svc.cluster.local": true, "kubernetes.default": true}

// defaultPorts are the ports of URL schemes that may be written without one.
var defaultPorts = map[string]int{"http": 80, "https": 443, "postgres": 5432, "postgresql": 5432, "redis": 6379}

var (
	urlPattern      = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*)://(?:[^@/\s"']*@)?([^:/\s?#"'<>,;]*)(?::(\d+))?`)
	hostPortPattern = regexp.MustCompile(`(?:^|[\s"'=,;(\[@])([a-zA-Z][a-zA-Z0-9-]*(?:\.[a-zA-Z0-9-]+)*):(\d{1,5})(?:$|[\s"',;)\]/])`)
	// `nc -z host port` in the demo's wait-for init containers.
	ncPattern = regexp.MustCompile(`\bnc\s+(?:-\S+\s+)*([a-zA-Z][a-zA-Z0-9.-]*)\s+(\d{1,5})\b`)
	// Host=name in .NET and libpq connection strings.
	hostKeyPattern = regexp.MustCompile(`(?i)(?:^|;)\s*host=([a-zA-Z][a-zA-Z0-9.-]*)`)
	dnsName        = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
)

// extractAddresses finds the addresses in a text: URLs, host:port, `nc host port`, Host=name.
func extractAddresses(text string) []struct {
	host string
	port int
} {
	type hp = struct {
		host string
		port int
	}
	var out []hp
	for _, m := range urlPattern.FindAllStringSubmatch(text, -1) {
		port := defaultPorts[strings.ToLower(m[1])]
		if m[3] != "" {
			port, _ = strconv.Atoi(m[3])
		}
		out = append(out, hp{m[2], port})
	}
	// host:port outside URLs: blank the URLs out first.
	rest := urlPattern.ReplaceAllString(text, " ")
	// The pattern consumes its delimiters; run it twice on overlapping matches such as "a:1,b:2".
	for _, s := range []string{rest, strings.NewReplacer(",", ", ", ";", "; ").Replace(rest)} {
		for _, m := range hostPortPattern.FindAllStringSubmatch(s, -1) {
			port, _ := strconv.Atoi(m[2])
			out = append(out, hp{m[1], port})
		}
	}
	for _, m := range ncPattern.FindAllStringSubmatch(text, -1) {
		port, _ := strconv.Atoi(m[2])
		out = append(out, hp{m[1], port})
	}
	for _, m := range hostKeyPattern.FindAllStringSubmatch(text, -1) {
		out = append(out, hp{m[1], 0})
	}
	// de-duplicate
	seen := map[hp]bool{}
	var uniq []hp
	for _, a := range out {
		if !seen[a] {
			seen[a] = true
			uniq = append(uniq, a)
		}
	}
	return uniq
}

// expand resolves $(VAR) references the way the kubelet does: from the variables defined before, with $$
// as an escaped $. References that it cannot resolve are left as they are.
func expand(s string, vars map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) {
			if s[i+1] == '$' {
				b.WriteByte('$')
				i++
				continue
			}
			if s[i+1] == '(' {
				if end := strings.IndexByte(s[i+2:], ')'); end >= 0 {
					name := s[i+2 : i+2+end]
					if v, ok := vars[name]; ok {
						b.WriteString(v)
						i += 2 + end
						continue
					}
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// containerAddresses collects the addresses of one container: in env values (expanded), in args and
// command, and host/port variable pairs such as FLAGD_HOST + FLAGD_PORT.
func containerAddresses(w *workload, c corev1.Container, kind string) []address {
	base := fmt.Sprintf("%s.spec.%s[%s]", w.path, kind, c.Name)
	vars := map[string]string{}
	var addrs []address
	add := func(field, text string) {
		for _, a := range extractAddresses(text) {
			addrs = append(addrs, address{object: w.ref(), field: field, value: text, ns: w.obj.GetNamespace(), host: a.host, port: a.port})
		}
	}
	hosts := map[string]string{} // prefix → host, from <prefix>_HOST
	type portVar struct{ name, value string }
	var ports []portVar
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			continue
		}
		v := expand(e.Value, vars)
		vars[e.Name] = v
		add(fmt.Sprintf("%s.env[%s]", base, e.Name), v)
		if prefix, ok := strings.CutSuffix(e.Name, "_HOST"); ok && dnsName.MatchString(v) {
			hosts[prefix] = v
		}
		if hasToken(e.Name, "PORT") {
			if _, err := strconv.Atoi(v); err == nil {
				ports = append(ports, portVar{e.Name, v})
			}
		}
	}
	for i, a := range c.Command {
		add(fmt.Sprintf("%s.command[%d]", base, i), expand(a, vars))
	}
	for i, a := range c.Args {
		add(fmt.Sprintf("%s.args[%d]", base, i), expand(a, vars))
	}
	// Pair every port variable with the host variable of the longest common prefix.
	paired := map[string]bool{}
	for _, p := range ports {
		best := ""
		for prefix := range hosts {
			if strings.HasPrefix(p.name, prefix+"_") && len(prefix) > len(best) {
				best = prefix
			}
		}
		if best == "" {
			continue
		}
		port, _ := strconv.Atoi(p.value)
		paired[best] = true
		addrs = append(addrs, address{object: w.ref(), field: fmt.Sprintf("%s.env[%s_HOST,%s]", base, best, p.name),
			value: hosts[best] + ":" + p.value, ns: w.obj.GetNamespace(), host: hosts[best], port: port})
	}
	for prefix, host := range hosts {
		if !paired[prefix] {
			addrs = append(addrs, address{object: w.ref(), field: fmt.Sprintf("%s.env[%s_HOST]", base, prefix),
				value: host, ns: w.obj.GetNamespace(), host: host})
		}
	}
	return addrs
}

func hasToken(name, token string) bool {
	for _, t := range strings.Split(name, "_") {
		if t == token {
			return true
		}
	}
	return false
}

// collectAddresses finds every address in the objects: containers of pod templates, ConfigMap data, and
// the string fields of chaos objects (a game day's status check URL).
func collectAddresses(objs *Objects) []address {
	var addrs []address
	for _, w := range objs.workloads() {
		for _, c := range w.template.Spec.InitContainers {
			addrs = append(addrs, containerAddresses(w, c, "initContainers")...)
		}
		for _, c := range w.template.Spec.Containers {
			addrs = append(addrs, containerAddresses(w, c, "containers")...)
		}
	}
	for _, cm := range objs.OfKind("ConfigMap") {
		data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, a := range extractAddresses(data[k]) {
				addrs = append(addrs, address{object: ref(cm), field: fmt.Sprintf("data[%s]", k), value: lineOf(data[k], a.host), ns: cm.GetNamespace(), host: a.host, port: a.port})
			}
		}
	}
	for _, u := range objs.Items {
		if !strings.HasPrefix(u.GetAPIVersion(), "chaos-mesh.org/") {
			continue
		}
		walkStrings(u.Object["spec"], "spec", func(path, s string) {
			for _, m := range urlPattern.FindAllStringSubmatch(s, -1) {
				port := defaultPorts[strings.ToLower(m[1])]
				if m[3] != "" {
					port, _ = strconv.Atoi(m[3])
				}
				addrs = append(addrs, address{object: ref(u), field: path, value: s, ns: u.GetNamespace(), host: m[2], port: port})
			}
		})
	}
	return addrs
}

// lineOf returns the line of text that mentions host, for the finding's context.
func lineOf(text, host string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, host) {
			return strings.TrimSpace(l)
		}
	}
	return host
}

func walkStrings(v any, path string, fn func(path, s string)) {
	switch t := v.(type) {
	case string:
		fn(path, t)
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkStrings(t[k], path+"."+k, fn)
		}
	case []any:
		for i, e := range t {
			walkStrings(e, fmt.Sprintf("%s[%d]", path, i), fn)
		}
	}
}

// target resolves a host to a Service name and namespace. ok is false for what is not an in-cluster
// Service address: loopback, any-address, IPs, placeholders, external names.
func target(host, ns string, namespaces map[string]bool) (name, namespace string, ok bool) {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	switch {
	case h == "" || h == "localhost" || h == "*" || h == "0.0.0.0" || h == "::":
		return "", "", false
	case net.ParseIP(strings.Trim(h, "[]")) != nil:
		return "", "", false
	case !dnsName.MatchString(h): // ${env:...}, $(UNSET), %(domain)s ...
		return "", "", false
	case ignoredHosts[h]:
		return "", "", false
	}
	labels := strings.Split(h, ".")
	switch {
	case len(labels) == 1:
		return h, ns, true
	case strings.HasSuffix(h, ".svc") && len(labels) == 3:
		return labels[0], labels[1], true
	case strings.HasSuffix(h, ".svc.cluster.local") && len(labels) == 5:
		return labels[0], labels[1], true
	case len(labels) == 2 && namespaces[labels[1]]:
		return labels[0], labels[1], true
	}
	return "", "", false // an external name
}

// CheckEndpointsOf proves that every in-cluster address resolves: a Service of that name in that namespace,
// exposing the port, whose selector matches at least one pod template, whose containers expose the target
// port.
func CheckEndpointsOf(objs *Objects) Partial {
	var p Partial
	namespaces := map[string]bool{}
	for _, n := range objs.OfKind("Namespace") {
		namespaces[n.GetName()] = true
	}
	for _, u := range objs.Items {
		if u.GetNamespace() != "" {
			namespaces[u.GetNamespace()] = true
		}
	}
	services := map[string]*service{}
	for _, s := range objs.services() {
		services[s.obj.GetNamespace()+"/"+s.obj.GetName()] = s
	}
	workloads := objs.workloads()
	seen := map[string]bool{}
	for _, a := range collectAddresses(objs) {
		name, ns, ok := target(a.host, a.ns, namespaces)
		if !ok {
			continue
		}
		key := fmt.Sprintf("%s|%s|%s/%s:%d", a.object, a.field, ns, name, a.port)
		if seen[key] {
			continue
		}
		seen[key] = true
		peer := fmt.Sprintf("Service %s/%s", ns, name)
		if a.port != 0 {
			peer += fmt.Sprintf(" exposing port %d", a.port)
		}
		svc := services[ns+"/"+name]
		if svc == nil {
			// The demo's frontend-proxy lists every service of the app as an Envoy upstream, also those the lab
			// may leave out; Envoy starts without them. When the Service exists, it is checked like any other.
			if apps.AstronomyShop.Optional(name) {
				p.note("endpoints: %s %s refers to %s, an optional demo component that the lab does not run (ignored)", a.object, a.field, name)
				continue
			}
			p.find(CheckEndpoints, a.object, a.field, peer, fmt.Sprintf("%q: no such Service", a.value))
			continue
		}
		if svc.spec.Type == corev1.ServiceTypeExternalName {
			continue
		}
		var sp *corev1.ServicePort
		if a.port != 0 {
			var have []string
			for i := range svc.spec.Ports {
				have = append(have, strconv.Itoa(int(svc.spec.Ports[i].Port)))
				if int(svc.spec.Ports[i].Port) == a.port {
					sp = &svc.spec.Ports[i]
				}
			}
			if sp == nil {
				p.find(CheckEndpoints, a.object, a.field, peer, fmt.Sprintf("%q: the Service exposes %s", a.value, joinSorted(have)))
				continue
			}
		}
		var backing []*workload
		for _, w := range workloads {
			if w.obj.GetNamespace() == ns && selects(svc.spec.Selector, w.template.Labels) {
				backing = append(backing, w)
			}
		}
		if len(backing) == 0 {
			p.find(CheckEndpoints, a.object, a.field, fmt.Sprintf("a pod template in %s matching the selector %s of %s", ns, formatSelector(svc.spec.Selector), peer),
				fmt.Sprintf("%q", a.value))
			continue
		}
		if sp != nil && !servesPort(backing, sp) {
			p.find(CheckEndpoints, a.object, a.field, fmt.Sprintf("container port %s behind %s", portText(targetPortOf(sp)), peer),
				fmt.Sprintf("%q: no container of %s has it", a.value, refs(backing)))
		}
	}
	return p
}

func targetPortOf(sp *corev1.ServicePort) intstr.IntOrString {
	if sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal != "" {
		return sp.TargetPort
	}
	if sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal != 0 {
		return sp.TargetPort
	}
	return intstr.FromInt32(sp.Port)
}

// servesPort says whether one of the workloads has a container port that the Service port targets: by
// name for a named targetPort, by number otherwise.
func servesPort(ws []*workload, sp *corev1.ServicePort) bool {
	tp := targetPortOf(sp)
	for _, w := range ws {
		for _, c := range w.template.Spec.Containers {
			for _, cp := range c.Ports {
				if tp.Type == intstr.String && cp.Name == tp.StrVal {
					return true
				}
				if tp.Type == intstr.Int && cp.ContainerPort == tp.IntVal {
					return true
				}
			}
		}
	}
	return false
}

func refs(ws []*workload) string {
	var out []string
	for _, w := range ws {
		out = append(out, w.ref())
	}
	return joinSorted(out)
}

func portText(p intstr.IntOrString) string {
	if p.Type == intstr.String {
		return p.StrVal
	}
	return strconv.Itoa(int(p.IntVal))
}
