package components

import (
	"maps"
	"slices"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
)

// The budgets and the catalog name the same services: every service the lab may deploy (all but the
// dropped ones) has a budget, and every budget belongs to such a service.
func TestShopBudgetsMatchTheCatalog(t *testing.T) {
	var deployable []string
	for _, svc := range apps.AstronomyShop.Services {
		if svc.Dropped == "" {
			deployable = append(deployable, svc.Name)
		}
	}
	if budgets := slices.Sorted(maps.Keys(shopBudgets)); !slices.Equal(budgets, deployable) {
		t.Errorf("budgets for %v, but the catalog's deployable services are %v", budgets, deployable)
	}
}

// The chart values switch each service on or off as the deployment says.
func TestOtelDemoValuesFollowTheDeployment(t *testing.T) {
	for _, llm := range []bool{false, true} {
		shop := ShopDeployment(llm)
		comps := OtelDemoValues(&OtelDemoArgs{CollectorHost: "c", LoadGeneratorUsers: 5, LLMComponents: llm})["components"].(map[string]any)
		for _, svc := range apps.AstronomyShop.Services {
			settings, ok := comps[svc.Name].(map[string]any)
			if !ok {
				t.Errorf("llm=%v: no values for %s", llm, svc.Name)
				continue
			}
			if on := settings["enabled"] != false; on != shop.Has(svc.Name) {
				t.Errorf("llm=%v: %s enabled=%v, but the deployment says %v", llm, svc.Name, on, shop.Has(svc.Name))
			}
		}
		if len(comps) != len(apps.AstronomyShop.Services) {
			t.Errorf("llm=%v: values for %d components, the catalog has %d", llm, len(comps), len(apps.AstronomyShop.Services))
		}
	}
}
