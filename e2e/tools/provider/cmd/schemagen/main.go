// Command schemagen writes the embedded schema (with its version set) and the compacted terraform mapping
// that the provider command embeds.
//
//	schemagen <upstream cmd dir> <out dir> <version>
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: schemagen SRC_DIR OUT_DIR VERSION")
		os.Exit(2)
	}
	src, out, version := os.Args[1], os.Args[2], os.Args[3]
	if err := run(src, out, version); err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}

func run(src, out, version string) error {
	raw, err := os.ReadFile(filepath.Join(src, "schema.json"))
	if err != nil {
		return err
	}
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("schema.json: %w", err)
	}
	v, _ := json.Marshal(version)
	spec["version"] = v
	schema, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "schema-embed.json"), schema, 0o644); err != nil {
		return err
	}
	tf, err := os.ReadFile(filepath.Join(src, "terraform-mapping.json"))
	if err != nil {
		return err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, tf); err != nil {
		return fmt.Errorf("terraform-mapping.json: %w", err)
	}
	return os.WriteFile(filepath.Join(out, "terraform-mapping-embed.json"), compact.Bytes(), 0o644)
}
