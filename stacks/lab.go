// Package stacks composes the lab from its components and owns the typed stack configuration.
package stacks

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// Lab is the whole Pulumi program. main.go runs it, and tests run it inline through the Automation API.
func Lab(ctx *pulumi.Context) error {
	return nil
}
