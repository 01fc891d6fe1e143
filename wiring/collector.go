package wiring

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/components"
)

// CollectorConfigKey is the key of the collector chart's ConfigMap that holds the config.
const CollectorConfigKey = "relay"

// knownComponentTypes are the component types of the collector config that the lab uses, by kind. A type
// outside this list is a finding: it is either a typo or a component that the image may not have. The
// image is the contrib distribution; k8sattributes is listed under both names that its versions accept.
var knownComponentTypes = map[string]map[string]bool{
	"receivers":  {"otlp": true, "prometheus": true},
	"processors": {"batch": true, "memory_limiter": true, "k8sattributes": true, "k8s_attributes": true},
	"exporters":  {"otlp": true, "otlp_grpc": true, "otlphttp": true, "otlp_http": true, "prometheus": true, "debug": true},
	"connectors": {"spanmetrics": true},
	"extensions": {"health_check": true, "healthcheckv2": true},
}

// collectorConfig finds and parses the collector's config. It is nil when the collector is not there.
func collectorConfig(objs *Objects) (*unstructured.Unstructured, map[string]any, error) {
	cm := objs.Get("ConfigMap", components.ObservabilityNamespace, components.CollectorService)
	if cm == nil {
		return nil, nil, nil
	}
	raw, _, _ := unstructured.NestedString(cm.Object, "data", CollectorConfigKey)
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(raw), &cfg); err != nil {
		return cm, nil, err
	}
	return cm, cfg, nil
}

// componentType is the type of a component ID: otlp/jaeger → otlp.
func componentType(id string) string {
	t, _, _ := strings.Cut(id, "/")
	return t
}

// CheckCollectorOf is a structural check of the rendered collector config: every component that a pipeline
// names is defined, every connector is an exporter of one pipeline and a receiver of another, every
// defined component is of a known type, every service extension is defined. Loading the config with the
// collector's own libraries needs a collector built with the lab's components: otelcol_validate_test.go does
// that with e2e/tools/otelcol-validate, which `make e2e` builds.
func CheckCollectorOf(objs *Objects) Partial {
	var p Partial
	cm, cfg, err := collectorConfig(objs)
	object := fmt.Sprintf("ConfigMap %s/%s", components.ObservabilityNamespace, components.CollectorService)
	field := "data[" + CollectorConfigKey + "]"
	if cm == nil {
		p.find(CheckCollector, object, "", "the collector's ConfigMap", "")
		return p
	}
	if err != nil || cfg == nil {
		p.find(CheckCollector, object, field, "a YAML config", fmt.Sprint(err))
		return p
	}
	defined := map[string]map[string]bool{}
	for kind, types := range knownComponentTypes {
		defined[kind] = map[string]bool{}
		section, _ := cfg[kind].(map[string]any)
		for _, id := range sortedKeys(section) {
			defined[kind][id] = true
			if !types[componentType(id)] {
				p.find(CheckCollector, object, fmt.Sprintf("%s.%s.%s", field, kind, id),
					fmt.Sprintf("a known %s type (%s)", strings.TrimSuffix(kind, "s"), joinSorted(sortedKeys(types))), "unknown component type "+componentType(id))
			}
		}
	}
	service, _ := cfg["service"].(map[string]any)
	pipelines, _ := service["pipelines"].(map[string]any)
	if len(pipelines) == 0 {
		p.find(CheckCollector, object, field+".service.pipelines", "at least one pipeline", "")
	}
	connectorAs := map[string]map[string][]string{} // connector → receivers|exporters → pipelines
	for _, name := range sortedKeys(pipelines) {
		pl, _ := pipelines[name].(map[string]any)
		for _, role := range []string{"receivers", "processors", "exporters"} {
			ids := stringList(pl[role])
			if role != "processors" && len(ids) == 0 {
				p.find(CheckCollector, object, fmt.Sprintf("%s.service.pipelines.%s.%s", field, name, role), "at least one "+strings.TrimSuffix(role, "s"), "")
			}
			for _, id := range ids {
				if role != "processors" && defined["connectors"][id] {
					if connectorAs[id] == nil {
						connectorAs[id] = map[string][]string{}
					}
					connectorAs[id][role] = append(connectorAs[id][role], name)
					continue
				}
				if !defined[role][id] {
					p.find(CheckCollector, object, fmt.Sprintf("%s.service.pipelines.%s.%s", field, name, role),
						fmt.Sprintf("a definition of %s under %s", id, role), "")
				}
			}
		}
	}
	for _, id := range sortedKeys(defined["connectors"]) {
		uses := connectorAs[id]
		if len(uses["exporters"]) == 0 || len(uses["receivers"]) == 0 {
			p.find(CheckCollector, object, field+".connectors."+id,
				"a pipeline that exports to the connector and another that receives from it",
				fmt.Sprintf("exporter in [%s], receiver in [%s]", strings.Join(uses["exporters"], ","), strings.Join(uses["receivers"], ",")))
		}
	}
	for _, id := range stringList(service["extensions"]) {
		if !defined["extensions"][id] {
			p.find(CheckCollector, object, field+".service.extensions", "a definition of extension "+id, "")
		}
	}
	return p
}

// pipelinesWith lists the pipelines (of the given role) that name a component.
func pipelinesWith(cfg map[string]any, role, id string) []string {
	service, _ := cfg["service"].(map[string]any)
	pipelines, _ := service["pipelines"].(map[string]any)
	var out []string
	for _, name := range sortedKeys(pipelines) {
		pl, _ := pipelines[name].(map[string]any)
		for _, x := range stringList(pl[role]) {
			if x == id {
				out = append(out, name)
			}
		}
	}
	return out
}

func stringList(v any) []string {
	items, _ := v.([]any)
	out := make([]string, 0, len(items))
	for _, it := range items {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func yamlMarshal(v any) (string, error) {
	out, err := yaml.Marshal(v)
	return string(out), err
}
