# Chaos-Mesh-OTel. Two commands do all the set-up on a fresh machine:
#   make up     bring the lab up on Minikube (starts Minikube if none is running)
#   make test   run the unit tests (no cluster needed)
SHELL := /bin/bash
STACK ?= dev
MINIKUBE_PROFILE ?= minikube
MINIKUBE_FLAGS ?= --driver=docker --container-runtime=docker --cpus=4 --memory=8g
PULUMI_STATE_DIR ?= $(HOME)/.pulumi-chaos-lab
CHARTS_DIR ?= $(abspath $(CURDIR)/../shared/charts)
export CHARTS_DIR
export PULUMI_SKIP_UPDATE_CHECK ?= true

.PHONY: up preview down test test-workflows fuzz validate render plan dashboards chaoslab tools-check

## up: start Minikube if needed, log in to a local state backend, select or create the stack, pulumi up
up: tools-check
	@minikube -p $(MINIKUBE_PROFILE) status >/dev/null 2>&1 || { echo "==> starting Minikube ($(MINIKUBE_FLAGS))"; minikube -p $(MINIKUBE_PROFILE) start $(MINIKUBE_FLAGS); }
	@mkdir -p $(PULUMI_STATE_DIR)
	@echo "==> local Pulumi state in $(PULUMI_STATE_DIR)"
	@pulumi login --cloud-url file://$(PULUMI_STATE_DIR) >/dev/null
	@pulumi stack select $(STACK) 2>/dev/null || pulumi stack init $(STACK)
	@pulumi config get chaos-mesh-otel:grafanaAdminPassword >/dev/null 2>&1 || { echo "==> generating a Grafana admin password (pulumi config get chaos-mesh-otel:grafanaAdminPassword shows it)"; pulumi config set --secret chaos-mesh-otel:grafanaAdminPassword "$$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"; }
	@echo "==> building the SLO gate image on Minikube's Docker daemon and running pulumi up"
	@eval "$$(minikube -p $(MINIKUBE_PROFILE) docker-env)" && pulumi up --yes --stack $(STACK)
	@pulumi stack output --stack $(STACK) portForward

preview:
	@pulumi preview --stack $(STACK)

## down: remove everything the lab created
down:
	@pulumi destroy --yes --stack $(STACK)

tools-check:
	@for tool in minikube pulumi kubectl go; do command -v $$tool >/dev/null || { echo "missing: $$tool (see README, Prerequisites)"; exit 1; }; done

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

## chaoslab: build the CLI into bin/chaoslab (the chaos pipeline runs it)
chaoslab:
	go build -ldflags="-s -w" -o bin/chaoslab ./cmd/chaoslab

fuzz:
	go test ./scenarios/ -run '^$$' -fuzz FuzzBuild -fuzztime 60s

validate:
	go run ./cmd/chaoslab validate Pulumi.$(STACK).yaml

render:
	go run ./cmd/chaoslab render Pulumi.$(STACK).yaml

plan:
	go run ./cmd/chaoslab plan Pulumi.$(STACK).yaml

dashboards:
	go run ./cmd/chaoslab dashboards export out/dashboards

include e2e/e2e.mk
