package components

import (
	"fmt"
	"strings"
)

// The Online Boutique's chart has no value for extra environment. It gives its services the collector's
// address (COLLECTOR_SERVICE_ADDR, with OTEL_SERVICE_NAME) only when opentelemetryCollector.create is on, and
// the same flag deploys the chart's own collector, which exports to Google Cloud and would need its
// credentials. CollectorlessArchive removes that one template, so that the flag, with the lab's collector as
// its name, wires every tracing service to the lab's collector and deploys nothing else.

// boutiqueCollectorTemplate is the chart's template of its own OpenTelemetry Collector.
const boutiqueCollectorTemplate = "templates/opentelemetry-collector.yaml"

// CollectorlessArchive returns a copy of the Online Boutique's chart archive without its own collector. The
// copy is written once under cacheDir.
func CollectorlessArchive(archive, cacheDir string) (string, error) {
	editKey := strings.Join([]string{"collectorless/1", boutiqueCollectorTemplate}, "\x00")
	return rewriteArchive(archive, cacheDir, "collectorless", editKey, func(_ string, entries []tarEntry) ([]tarEntry, error) {
		for i, e := range entries {
			if e.relative == boutiqueCollectorTemplate {
				return append(entries[:i:i], entries[i+1:]...), nil
			}
		}
		return nil, fmt.Errorf("want the Online Boutique's chart with %s", boutiqueCollectorTemplate)
	})
}
