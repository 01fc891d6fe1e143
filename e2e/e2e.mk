# End-to-end targets; the root Makefile does `include e2e/e2e.mk`.
#   make e2e-tools  build the toolchain (kwok, etcd, kube control plane, pulumi CLI, kubernetes provider)
#                   into $(CHAOSLAB_TOOLS_CACHE) (default ~/.cache/chaos-mesh-otel/tools), cached by version
#   make e2e        the end-to-end tests (harness, engine, whole lab) on a simulated cluster, after the
#                   collector config check (wiring tests with the real collector libraries, otelcol-validate)
#   make bench      the figures of the shop and of the Boutique with Istio (wall times, floor, footprint,
#                   and a helm CLI script of the same lab; builds helm into the tool cache), the spine's
#                   measured footprint under the shop's load (TestSpineBench, writes e2e/results/telemetry.json),
#                   and faults on the real node's containers (TestBenchDataPlane: strike, recovery, CPU reached)
#   make e2e-tools-spine  the telemetry spine that TestSpine runs: the collector, Prometheus v3, Jaeger v2
E2E_GO_TEST_FLAGS ?= -count=1 -timeout 75m -v
E2E_RUN ?= .

.PHONY: e2e-tools e2e-tools-helm e2e bench e2e-otelcol-validate e2e-tools-spine

e2e-tools:
	bash e2e/tools/build.sh

e2e-tools-helm:
	bash e2e/tools/build.sh helm

e2e-tools-spine:
	bash e2e/tools/build.sh spine

e2e-otelcol-validate:
	bash e2e/tools/build.sh otelcol-validate
	bin="$$(bash e2e/tools/build.sh --print-bin)"; E2E_TOOLS_BIN="$$bin" OTELCOL_VALIDATE="$$bin/otelcol-validate" \
		go test -count=1 -run OtelcolValidate -v ./wiring/

e2e: e2e-tools e2e-otelcol-validate e2e-tools-spine
	E2E_TOOLS_BIN="$$(bash e2e/tools/build.sh --print-bin)" go test -tags e2e -run '$(E2E_RUN)' $(E2E_GO_TEST_FLAGS) ./e2e/

bench: e2e-tools e2e-tools-helm e2e-tools-spine
	E2E_TOOLS_BIN="$$(bash e2e/tools/build.sh --print-bin)" go test -tags 'e2e bench' -run '^Test(Bench(BoutiqueIstio|DataPlane)?|SpineBench)$$' $(E2E_GO_TEST_FLAGS) ./e2e/
