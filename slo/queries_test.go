package slo

import "testing"

func TestQuantileQueries(t *testing.T) {
	p95 := P95Query("checkout", "30s")
	if want := `histogram_quantile(0.95, sum by (le) (rate(traces_span_metrics_duration_milliseconds_bucket{service_name="checkout", span_kind="SPAN_KIND_SERVER"}[30s])))`; p95 != want {
		t.Errorf("P95Query:\n got %s\nwant %s", p95, want)
	}
	if _, err := promql.ParseExpr(p95); err != nil {
		t.Errorf("%s: %v", p95, err)
	}
	perService := QuantileQuery(0.5, `service_name=~".+"`, "service_name", "5m")
	if want := `histogram_quantile(0.5, sum by (service_name, le) (rate(traces_span_metrics_duration_milliseconds_bucket{service_name=~".+"}[5m])))`; perService != want {
		t.Errorf("QuantileQuery:\n got %s\nwant %s", perService, want)
	}
	if _, err := promql.ParseExpr(perService); err != nil {
		t.Errorf("%s: %v", perService, err)
	}
}

// The per-service queries group every service's server spans in one query each, by service_name.
func TestByServiceQueries(t *testing.T) {
	for q, want := range map[string]string{
		P95ByServiceQuery("10s"):         `histogram_quantile(0.95, sum by (service_name, le) (rate(traces_span_metrics_duration_milliseconds_bucket{span_kind="SPAN_KIND_SERVER"}[10s])))`,
		RequestRateByServiceQuery("10s"): `sum by (service_name) (rate(traces_span_metrics_calls_total{span_kind="SPAN_KIND_SERVER"}[10s]))`,
		ErrorRatioByServiceQuery("10s"): `((sum by (service_name) (rate(traces_span_metrics_calls_total{span_kind="SPAN_KIND_SERVER", status_code="STATUS_CODE_ERROR"}[10s])) ` +
			`or 0 * sum by (service_name) (rate(traces_span_metrics_calls_total{span_kind="SPAN_KIND_SERVER"}[10s]))) ` +
			`/ sum by (service_name) (rate(traces_span_metrics_calls_total{span_kind="SPAN_KIND_SERVER"}[10s])))`,
	} {
		if q != want {
			t.Errorf("\n got %s\nwant %s", q, want)
		}
		if _, err := promql.ParseExpr(q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}
