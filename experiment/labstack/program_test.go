package labstack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/pulumimock"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/internal/testproject"
)

// A run's update refuses a key that the program does not read, as pulumi preview does: the inline program
// takes the key list from the stack file.
func TestProgramRefusesUnknownKeysOfTheStackFile(t *testing.T) {
	dir := testproject.Dir(t)
	file := filepath.Join(dir, "Pulumi.dev.yaml")
	config := map[string]string{"chaos-mesh-otel:grafanaAdminPassword": "long-enough", "chaos-mesh-otel:hlat": "true"}
	if err := os.WriteFile(file, []byte("config:\n  chaos-mesh-otel:grafanaAdminPassword: long-enough\n  chaos-mesh-otel:hlat: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withConfig := func(info *pulumi.RunInfo) { info.Config = config }
	err := pulumimock.New("chaos-mesh-otel", "dev").Run(Program(file), withConfig)
	if err == nil || !strings.Contains(err.Error(), `chaos-mesh-otel:hlat: Forbidden: unknown key (did you mean "halt"?)`) {
		t.Errorf("unknown key in the stack file: %v", err)
	}

	err = pulumimock.New("chaos-mesh-otel", "dev").Run(Program(filepath.Join(dir, "Pulumi.gone.yaml")), withConfig)
	if err == nil || !strings.Contains(err.Error(), "Pulumi.gone.yaml") {
		t.Errorf("an unreadable stack file must stop the update, naming the file: %v", err)
	}
}
