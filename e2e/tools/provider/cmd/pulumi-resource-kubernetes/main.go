// Command pulumi-resource-kubernetes serves the upstream Pulumi kubernetes provider. The upstream command
// embeds a versioned copy of its schema that is generated at build time, which a module consumer cannot do
// inside the read-only module cache; build.sh runs ../schemagen to write the two embedded files here first.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var schema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, schema, terraformMapping)
}
