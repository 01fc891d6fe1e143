// Command chaos-mesh-otel is the Pulumi program that declares the whole chaos lab.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/stacks"
)

func main() {
	pulumi.Run(stacks.Lab)
}
