package components

import (
	"encoding/json"
	"testing"
)

func loadGeneratorFlag(t *testing.T, doc string) map[string]any {
	t.Helper()
	var d struct {
		Flags map[string]map[string]any `json:"flags"`
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatal(err)
	}
	return d.Flags[LoadGeneratorVUsFlag]
}

// The demo's load generator runs as many users as its flag says, so the configured users are the flag's
// default; a scenario that sets the flag wins, and other flags stay.
func TestLoadGeneratorUsersGoToTheFlag(t *testing.T) {
	doc, err := WithLoadGeneratorUsers("", 12)
	if err != nil {
		t.Fatal(err)
	}
	f := loadGeneratorFlag(t, doc)
	variants, _ := f["variants"].(map[string]any)
	if f["defaultVariant"] != "12" || variants["12"] != float64(12) || variants["50"] != float64(50) || f["state"] != "ENABLED" {
		t.Errorf("flag %v: want default variant 12 = 12 beside the demo's variants", f)
	}
	scenario := `{"flags":{"adFailure":{"state":"ENABLED","defaultVariant":"on","variants":{"on":true,"off":false}},"loadGeneratorVUs":{"state":"ENABLED","defaultVariant":"50","variants":{"50":50}}}}`
	doc, err = WithLoadGeneratorUsers(scenario, 12)
	if err != nil {
		t.Fatal(err)
	}
	if f := loadGeneratorFlag(t, doc); f["defaultVariant"] != "50" {
		t.Errorf("a scenario's loadGeneratorVUs must win: %v", f)
	}
	if !json.Valid([]byte(doc)) || len(doc) < len(`{"flags":{"adFailure":`) {
		t.Errorf("lost the other flags: %s", doc)
	}
	if _, err := WithLoadGeneratorUsers("{not json", 5); err == nil {
		t.Error("a broken document must be an error")
	}
}

// The cap follows the budget: the demo's 512 Mi for its largest variant, 50 users.
func TestLoadGeneratorCapFitsItsBudget(t *testing.T) {
	if shopBudgets["load-generator"].MemoryMi < 512 {
		t.Errorf("load-generator budget %d Mi holds fewer than the %d users allowed (the demo gives 512 Mi for 50)", shopBudgets["load-generator"].MemoryMi, LoadGeneratorMaxUsers)
	}
}
