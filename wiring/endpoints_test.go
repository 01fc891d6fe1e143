package wiring

import (
	"fmt"
	"testing"
)

func TestExtractAddresses(t *testing.T) {
	cases := map[string][]string{
		"http://otel-collector.observability.svc:4318": {"otel-collector.observability.svc:4318"},
		"kafka:9092":                                             {"kafka:9092"},
		"PLAINTEXT://kafka:9092":                                 {"kafka:9092"},
		"http://grafana.observability.svc/grafana":               {"grafana.observability.svc:80"},
		"postgres://u:p@astronomy-db/db?sslmode=disable":         {"astronomy-db:5432"},
		"Host=astronomy-db;Username=u;Password=p":                {"astronomy-db:0"},
		"until nc -z -v -w30 valkey-cart 6379; do sleep 2; done": {"valkey-cart:6379"},
		"1@kafka:9093":                                           {"kafka:9093"},
		"a:1,b:2":                                                {"a:1", "b:2"},
		"--listen :8080":                                         nil,
		"--config=/conf/relay.yaml":                              nil,
		"endpoint: ${env:MY_POD_IP}:4317":                        nil,
		"12:30":                                                  nil,
	}
	for in, want := range cases {
		var got []string
		for _, a := range extractAddresses(in) {
			if a.host == "" || a.host[0] == '$' {
				continue
			}
			got = append(got, fmt.Sprintf("%s:%d", a.host, a.port))
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("extractAddresses(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "otel-collector", "PORT": "4317"}
	for in, want := range map[string]string{
		"http://$(A):$(PORT)": "http://otel-collector:4317",
		"$$(A)":               "$(A)",
		"$(UNSET):1":          "$(UNSET):1",
	} {
		if got := expand(in, vars); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTarget(t *testing.T) {
	namespaces := map[string]bool{"observability": true, "otel-demo": true}
	for host, want := range map[string]string{
		"kafka":                                  "otel-demo/kafka",
		"jaeger.observability.svc":               "observability/jaeger",
		"jaeger.observability.svc.cluster.local": "observability/jaeger",
		"jaeger.observability":                   "observability/jaeger",
		"localhost":                              "",
		"127.0.0.1":                              "",
		"0.0.0.0":                                "",
		"github.com":                             "",
		"kubernetes.default.svc":                 "",
		"%(domain)s":                             "",
		"$(OTEL_COLLECTOR_NAME)":                 "",
	} {
		name, ns, ok := target(host, "otel-demo", namespaces)
		got := ""
		if ok {
			got = ns + "/" + name
		}
		if got != want {
			t.Errorf("target(%q) = %q, want %q", host, got, want)
		}
	}
}
