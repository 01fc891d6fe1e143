// Command slo-gate answers whether an SLO's steady state holds, from Prometheus, so that a Chaos Mesh HTTP
// StatusCheck can gate an experiment on PromQL.
//
//	GET /slo/<name>  200 held, 503 violated, 500 unknown, 404 no such SLO; JSON body says why
//	GET /slo         the SLO names
//	GET /healthz     liveness (does not touch Prometheus)
//	GET /metrics     the gate's own metrics
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("slo-gate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", envOr("LISTEN_ADDR", ":8080"), "address to serve on (env LISTEN_ADDR)")
	promURL := fs.String("prometheus", envOr("PROMETHEUS_URL", "http://prometheus-server.observability.svc:80"), "Prometheus base URL (env PROMETHEUS_URL)")
	slosFile := fs.String("slos", os.Getenv("SLO_FILE"), "JSON file with the SLOs (the chaos-mesh-otel:slos shape); else env SLO_CONFIG; else the defaults")
	window := fs.String("window", envOr("SLO_WINDOW", "1m"), "PromQL range of the SLI (env SLO_WINDOW)")
	timeout := fs.Duration("timeout", 800*time.Millisecond, "deadline of one evaluation; keep it below the StatusCheck timeoutSeconds")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if _, err := model.ParseDuration(*window); err != nil {
		fmt.Fprintf(stderr, "slo-gate: --window %q: %v\n", *window, err)
		return 2
	}
	if *timeout <= 0 {
		fmt.Fprintln(stderr, "slo-gate: --timeout must be positive")
		return 2
	}
	slos, source, err := LoadSLOs(*slosFile, os.ReadFile, os.Getenv("SLO_CONFIG"))
	if err != nil {
		fmt.Fprintf(stderr, "slo-gate: SLOs: %v\n", err)
		return 2
	}
	client, err := api.NewClient(api.Config{Address: *promURL, Client: &http.Client{Timeout: *timeout + 200*time.Millisecond}})
	if err != nil {
		fmt.Fprintf(stderr, "slo-gate: --prometheus: %v\n", err)
		return 2
	}
	gate := NewGate(v1.NewAPI(client), slos, *window, *timeout)
	srv := &http.Server{
		Addr:              *listen,
		Handler:           gate.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      *timeout + 5*time.Second,
		IdleTimeout:       60 * time.Second,
	}
	logger := log.New(stderr, "slo-gate: ", log.LstdFlags)
	logger.Printf("serving %d SLOs (%s) on %s against %s, window %s, timeout %s", len(slos), source, *listen, *promURL, *window, *timeout)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			logger.Print(err)
			return 1
		}
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}
	return 0
}
