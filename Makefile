# Chaos-Mesh-OTel. Two commands do all the set-up on a fresh machine:
#   make up     bring the lab up on Minikube (starts Minikube if none is running)
#   make test   run the unit tests (no cluster needed)
SHELL := /bin/bash
STACK ?= dev
MINIKUBE_PROFILE ?= minikube
# Minikube's memory is the node that the stack's combination needs: its containers' limits beside the node's
# own processes (components.DeploymentNodeMi, checked against these two figures by go test ./components;
# docs/footprint.md, "How big a node"). Istio's sidecars need the larger one; make up asks Pulumi for the
# stack's istio key (pulumi config get: Pulumi's own reading of the stack file) and picks one.
MINIKUBE_MEMORY_ISTIO_OFF ?= 9g
MINIKUBE_MEMORY_ISTIO_ON ?= 11g
# MINIKUBE_MEMORY (one size whatever the stack) and MINIKUBE_FLAGS (every flag) override the choice.
MINIKUBE_FLAGS ?= --driver=docker --container-runtime=docker --cpus=4 --memory=$$memory
PULUMI_STATE_DIR ?= $(HOME)/.pulumi-chaos-lab
CHARTS_DIR ?= $(abspath $(CURDIR)/../shared/charts)
export CHARTS_DIR
export PULUMI_SKIP_UPDATE_CHECK ?= true

.PHONY: up preview down test test-workflows fuzz validate render plan dashboards chaoslab tools-check tools-check-down

## up: start Minikube if needed, log in to a local state backend, select or create the stack, pulumi up
up: tools-check
	@mkdir -p $(PULUMI_STATE_DIR)
	@echo "==> local Pulumi state in $(PULUMI_STATE_DIR)"
	@pulumi login --cloud-url file://$(PULUMI_STATE_DIR) >/dev/null
	@pulumi stack select $(STACK) 2>/dev/null || pulumi stack init $(STACK)
	@memory="$(MINIKUBE_MEMORY)"; \
	if [ -z "$$memory" ]; then \
		if [ "$$(pulumi config get chaos-mesh-otel:istio --stack $(STACK) 2>/dev/null)" = true ]; then memory=$(MINIKUBE_MEMORY_ISTIO_ON); else memory=$(MINIKUBE_MEMORY_ISTIO_OFF); fi; \
	fi; \
	minikube -p $(MINIKUBE_PROFILE) status >/dev/null 2>&1 || { echo "==> starting Minikube ($(MINIKUBE_FLAGS))"; minikube -p $(MINIKUBE_PROFILE) start $(MINIKUBE_FLAGS); }
	@pulumi config get chaos-mesh-otel:grafanaAdminPassword >/dev/null 2>&1 || { echo "==> generating a Grafana admin password (pulumi config get chaos-mesh-otel:grafanaAdminPassword shows it)"; pulumi config set --secret chaos-mesh-otel:grafanaAdminPassword "$$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"; }
	@echo "==> building the SLO gate image on Minikube's Docker daemon and running pulumi up"
	@eval "$$(minikube -p $(MINIKUBE_PROFILE) docker-env)" && pulumi up --yes --stack $(STACK)
	@pulumi stack output --stack $(STACK) portForward

preview: tools-check-down
	@pulumi preview --stack $(STACK)

## down: remove everything the lab created
down: tools-check-down
	@pulumi destroy --yes --stack $(STACK)

## tools-check: every prerequisite of make up, all missing ones listed at once (README, Prerequisites)
tools-check:
	@missing=""; \
	for tool in minikube pulumi kubectl go docker; do command -v $$tool >/dev/null || missing="$$missing\n  $$tool: not on PATH"; done; \
	if command -v docker >/dev/null && ! docker info >/dev/null 2>&1; then \
		missing="$$missing\n  a running Docker daemon: docker info fails (Minikube's docker driver and the SLO gate's image build need one; start Docker, or give MINIKUBE_FLAGS another driver)"; fi; \
	if [ -n "$$missing" ]; then printf "make up needs, and this machine lacks:$$missing\nSee the README, Prerequisites.\n" >&2; exit 1; fi

## tools-check-down: what make down and make preview need (the Pulumi CLI, logged in to the lab's state)
tools-check-down:
	@command -v pulumi >/dev/null || { printf "make down needs the Pulumi CLI (pulumi), which is not on PATH: install it (README, Prerequisites); the lab's state is in $(PULUMI_STATE_DIR)\n" >&2; exit 1; }

## test: every unit and component test, offline. Checks that need a tool that is not installed (promtool, a
## Prometheus server, the collector config validator, shellcheck) are skipped and listed at the end with how to
## run them. The workflow lint (ci/workflows, its own module) runs in the same summary.
test:
	@set -o pipefail; dir="$$(mktemp -d)" || exit 1; trap 'rm -rf "$$dir"' EXIT; \
	go build -o "$$dir/testsummary" ./internal/testsummary && \
	{ go test -json ./...; (cd ci/workflows && go test -json ./...); } | "$$dir/testsummary"

## test-workflows: lint .github/workflows with actionlint (its own module, so that its dependencies stay
## out of the lab's build) and check what the chaos pipeline runs; make test runs it too
test-workflows:
	cd ci/workflows && go test ./...

## chaoslab: build the CLI into bin/chaoslab (the chaos pipeline runs it); go's cache makes a rebuild cheap
chaoslab:
	go build -buildvcs=auto -ldflags="-s -w" -o bin/chaoslab ./cmd/chaoslab

## fuzz: the scenario config parser and the stack-file reader, a minute each
fuzz:
	go test ./scenarios/ -run '^$$' -fuzz FuzzBuild -fuzztime 60s
	go test ./stacks/ -run '^$$' -fuzz FuzzStackFile -fuzztime 60s

validate: chaoslab
	bin/chaoslab validate Pulumi.$(STACK).yaml

render: chaoslab
	bin/chaoslab render Pulumi.$(STACK).yaml

plan: chaoslab
	bin/chaoslab plan Pulumi.$(STACK).yaml

dashboards: chaoslab
	bin/chaoslab dashboards export out/dashboards

include e2e/e2e.mk
