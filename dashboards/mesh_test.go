package dashboards

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chaos-mesh-otel/chaos-mesh-otel/apps"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/slo"
)

// istioOptions are the dashboards of the Online Boutique with Istio, the combination that mesh faults are for.
func istioOptions() Options {
	return Options{PrometheusUID: "prom-test", JaegerUID: "jaeger-test", App: apps.OnlineBoutique,
		SLOs: slo.DefaultsFor(apps.OnlineBoutique), Istio: true}
}

// The Istio variant of the shop overview has its own golden file; the other dashboards do not change with Istio.
func TestGoldenIstio(t *testing.T) {
	withIstio, err := All(istioOptions())
	if err != nil {
		t.Fatal(err)
	}
	noIstio := istioOptions()
	noIstio.Istio = false
	without, err := All(noIstio)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range withIstio {
		if d.UID != ShopOverviewUID {
			if !bytes.Equal(d.JSON, without[i].JSON) {
				t.Errorf("%s changes with Istio", d.UID)
			}
			continue
		}
		if bytes.Equal(d.JSON, without[i].JSON) {
			t.Errorf("%s does not change with Istio", d.UID)
		}
		path := filepath.Join("testdata", "istio", d.FileName())
		checkGolden(t, path, d)
	}
}

// meshQueries are the queries of the shop overview's panels after its "Mesh (Istio)" row.
func meshQueries(t *testing.T, opts Options) []sourcedQuery {
	t.Helper()
	d, err := ShopOverview(opts)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Panels []struct {
			Type, Title string
			Targets     []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var out []sourcedQuery
	inRow := false
	for _, p := range m.Panels {
		if p.Type == "row" {
			inRow = p.Title == "Mesh (Istio)"
			continue
		}
		for _, tg := range p.Targets {
			if inRow {
				out = append(out, sourcedQuery{p.Title, tg.Expr})
			}
		}
	}
	return out
}

func TestMeshRowOnlyWithIstio(t *testing.T) {
	for _, app := range []apps.App{apps.AstronomyShop, apps.OnlineBoutique} {
		opts := Options{App: app}
		if got := meshQueries(t, opts); len(got) != 0 {
			t.Errorf("%s without Istio has mesh queries %v", app.Name, got)
		}
		opts.Istio = true
		got := meshQueries(t, opts)
		if len(got) != 4 {
			t.Fatalf("%s with Istio: %d mesh queries, want rate, aborted, delayed and p95", app.Name, len(got))
		}
		for _, sq := range got {
			if err := checkQuery(sq.expr, true); err != nil {
				t.Errorf("%s %s: %v\n  %s", app.Name, sq.where, err, sq.expr)
			}
			// Without Istio the catalog has no Istio metrics: the query checker would refuse these queries.
			if err := checkQuery(sq.expr, false); err == nil || !strings.Contains(err.Error(), "not in the catalog") {
				t.Errorf("%s %s: checked against the catalog without Istio: %v", app.Name, sq.where, err)
			}
			for _, want := range []string{`reporter="source"`, `destination_service_namespace="` + app.Namespace + `"`, "destination_service_name"} {
				if !strings.Contains(sq.expr, want) {
					t.Errorf("%s %s: %s lacks %s", app.Name, sq.where, sq.expr, want)
				}
			}
		}
		joined := got[0].expr + got[1].expr + got[2].expr + got[3].expr
		for _, want := range []string{IstioRequests, IstioDurationBucket, "response_code", "grpc_response_status", faultFlags("FI"), faultFlags("DI"), "histogram_quantile(0.95"} {
			if !strings.Contains(joined, want) {
				t.Errorf("%s: the mesh queries lack %s", app.Name, want)
			}
		}
	}
}

// faultFlags matches a flag in Envoy's comma separated response flags, and no other flag that contains it.
func TestFaultFlagsMatchesWholeFlags(t *testing.T) {
	expr := faultFlags("FI")
	pattern := regexp.MustCompile(`^` + strings.TrimSuffix(strings.TrimPrefix(expr, `response_flags=~"`), `"`) + `$`)
	for flags, want := range map[string]bool{"FI": true, "UF,FI": true, "FI,URX": true, "DI,FI,UO": true,
		"-": false, "": false, "DI": false, "UF": false, "FIX": false, "XFI": false} {
		if got := pattern.MatchString(flags); got != want {
			t.Errorf("response_flags %q matched %v, want %v", flags, got, want)
		}
	}
}

func TestShopOverviewNamesTheApp(t *testing.T) {
	for _, app := range []apps.App{apps.AstronomyShop, apps.OnlineBoutique} {
		d, err := ShopOverview(Options{App: app})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(*d.Description, app.Title) {
			t.Errorf("%s: description %q does not name %s", app.Name, *d.Description, app.Title)
		}
		other := apps.OnlineBoutique.Title
		if app.Name == apps.OnlineBoutique.Name {
			other = apps.AstronomyShop.Title
		}
		if strings.Contains(*d.Description, other) || strings.Contains(*d.Description, "OpenTelemetry Demo") && app.Name != apps.AstronomyShop.Name {
			t.Errorf("%s: description %q names another app", app.Name, *d.Description)
		}
	}
}
