// Command otelcol-validate is an OpenTelemetry Collector built with exactly the components that the lab's
// collector config uses, for its `validate` subcommand: the collector's own check of a config file. It
// resolves the config the way the collector does (file, env and yaml providers, so ${env:...} expands),
// builds every component's config with its real factory and validates pipelines, connectors and
// extensions. It starts nothing.
//
//	otelcol-validate validate --config=FILE    exit 0 when the config is valid, 1 with the collector's error
//	otelcol-validate components                 the component types that this build knows
package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/open-telemetry/opentelemetry-collector-contrib/connector/spanmetricsconnector"
	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/k8sattributesprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/prometheusreceiver"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

// version names the collector release whose libraries this tool is built from; build.sh stamps it with
// -X main.version.
var version = "0.165.0"

// factories are the lab's components and nothing else: a type that the lab's config names but that is not
// here is an error, as it would be in an image without it.
func factories() (otelcol.Factories, error) {
	var f otelcol.Factories
	var err error
	if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](
		otlpreceiver.NewFactory(),
		prometheusreceiver.NewFactory(),
	); err != nil {
		return f, err
	}
	if f.Processors, err = otelcol.MakeFactoryMap[processor.Factory](
		memorylimiterprocessor.NewFactory(),
		batchprocessor.NewFactory(),
		k8sattributesprocessor.NewFactory(),
	); err != nil {
		return f, err
	}
	if f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](
		otlpexporter.NewFactory(),
		prometheusexporter.NewFactory(),
		debugexporter.NewFactory(),
	); err != nil {
		return f, err
	}
	if f.Connectors, err = otelcol.MakeFactoryMap[connector.Factory](
		spanmetricsconnector.NewFactory(),
	); err != nil {
		return f, err
	}
	if f.Extensions, err = otelcol.MakeFactoryMap[extension.Factory](
		healthcheckextension.NewFactory(),
	); err != nil {
		return f, err
	}
	f.Telemetry = otelconftelemetry.NewFactory()
	return f, nil
}

func settings() otelcol.CollectorSettings {
	return otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{
			Command:     "otelcol-validate",
			Description: "OpenTelemetry Collector with the chaos lab's components, for config validation",
			Version:     version,
		},
		Factories: factories,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{
					fileprovider.NewFactory(),
					envprovider.NewFactory(),
					yamlprovider.NewFactory(),
				},
				DefaultScheme: "env",
			},
		},
	}
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "components" {
		if err := printComponents(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	cmd := otelcol.NewCommand(settings())
	cmd.SilenceUsage = true
	if err := cmd.Execute(); err != nil {
		// cobra has printed "Error: ..." already.
		os.Exit(1)
	}
}

// printComponents lists every type that the build registers, deprecated aliases included, one per line as
// KIND TYPE.
func printComponents() error {
	f, err := factories()
	if err != nil {
		return err
	}
	print := func(kind string, types []component.Type) {
		for _, t := range types {
			fmt.Println(kind, t)
		}
	}
	print("receiver", keys(f.Receivers))
	print("processor", keys(f.Processors))
	print("exporter", keys(f.Exporters))
	print("connector", keys(f.Connectors))
	print("extension", keys(f.Extensions))
	return nil
}

func keys[T any](m map[component.Type]T) []component.Type {
	out := make([]component.Type, 0, len(m))
	for t := range m {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b component.Type) int { return strings.Compare(a.String(), b.String()) })
	return out
}
