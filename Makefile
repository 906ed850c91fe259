# The two commands a newcomer needs: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY := $(UV) run --frozen

# The test stack gets its own ports and data, so it never collides with `make run`. The ports
# sit below 32768, outside Linux's ephemeral range: a component restarted by the fault tests
# must never find its port held by some client's outgoing connection.
TEST_KAFKA_PORT ?= 19092
TEST_CONTROLLER_PORT ?= 19093
TEST_MONGO_PORT ?= 28017
TEST_DEVSTACK_DIR ?= .devstack/test
TEST_STACK := SSP_DEVSTACK_DIR=$(TEST_DEVSTACK_DIR) SSP_DEVSTACK_KAFKA_PORT=$(TEST_KAFKA_PORT) \
	SSP_DEVSTACK_CONTROLLER_PORT=$(TEST_CONTROLLER_PORT) SSP_DEVSTACK_MONGO_PORT=$(TEST_MONGO_PORT)

.PHONY: help install web-assets system-deps deploy-tools run test test-faults test-unit test-stack stack-up stack-down lint \
	schemas asyncapi operations-doc bench dashboard-screenshots clean

help:
	@echo "make run     - start Kafka, FerretDB and every service with demo data (Ctrl-C stops all)"
	@echo "make test    - install everything, start the real test stack, run the whole suite"
	@echo "make test-faults - the long fault runs (1,000 commands, 3-broker cluster) on the test stack"
	@echo "make lint    - ruff and mypy"
	@echo "make schemas - export the JSON Schema of every event into docs/schemas/"
	@echo "make asyncapi / make operations-doc - regenerate docs/asyncapi/ and docs/operations.md"
	@echo "make bench   - run the benchmarks (figures go to docs/benchmarks.md)"
	@echo "make dashboard-screenshots - draw the dashboards from make run's Prometheus"
	@echo "make deploy-tools - build helm and the compose checker (make test does it)"

install: .venv/.installed web-assets

# Leaflet (the map on the device page) and axe-core (the browser tests' accessibility check,
# never copied or shipped) from the npm registry, pinned by package-lock.json; Leaflet is
# copied into the gateway's static files, git-ignored: no third-party JavaScript is committed.
GATEWAY := services/portal-gateway
LEAFLET := $(GATEWAY)/src/portal_gateway/web/static/vendor/leaflet
web-assets: $(LEAFLET)/.installed

$(LEAFLET)/.installed: $(GATEWAY)/package.json $(GATEWAY)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm not found: install Node.js (Debian: apt-get install npm)"; exit 1; }
	cd $(GATEWAY) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -rf $(LEAFLET) && mkdir -p $(LEAFLET)
	cp -r $(GATEWAY)/node_modules/leaflet/dist/leaflet.js $(GATEWAY)/node_modules/leaflet/dist/leaflet.css \
	  $(GATEWAY)/node_modules/leaflet/dist/images $(GATEWAY)/node_modules/leaflet/LICENSE $(LEAFLET)/
	@touch $@

# uv comes from PyPI when missing; the lock file pins every Python dependency.
.venv/.installed: uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml tools/*/pyproject.toml)
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --user --quiet uv
	$(UV) sync --frozen --all-packages
	@touch $@

run: install
	$(PY) python -m ssp_devstack.run

# Debian packages the tests use (never downloaded binaries); root installs what is missing:
# Chromium drives the browser tests, `prometheus` brings promtool (checks of deploy/prometheus)
# and the Prometheus that `make run` starts.
SYSTEM_DEBS := chromium:/usr/bin/chromium prometheus:/usr/bin/promtool
system-deps:
	@missing=""; for dep in $(SYSTEM_DEBS); do test -x "$${dep#*:}" || missing="$$missing $${dep%%:*}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "Missing Debian packages:$$missing (not root): their tests will be skipped"; fi; \
	fi

# helm and the compose checker (tools/compose-check: compose-go, the loader docker compose
# uses) for tests/ops/test_deploy.py, built once from the Go module proxy into the cache.
DEPLOY_TOOLS := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/ssp-devstack/deploy-tools
HELM_VERSION := v3.21.4
HELM := $(DEPLOY_TOOLS)/helm-$(HELM_VERSION)/helm
COMPOSE_CHECK_SRC := tools/compose-check/go.mod tools/compose-check/go.sum tools/compose-check/main.go
COMPOSE_CHECK := $(DEPLOY_TOOLS)/compose-check-$(shell cat $(COMPOSE_CHECK_SRC) | sha256sum | cut -c1-12)/compose-check

deploy-tools: $(HELM) $(COMPOSE_CHECK)

$(HELM):
	GOBIN=$(dir $@) go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

$(COMPOSE_CHECK):
	cd tools/compose-check && go build -trimpath -o $@ .

test: install system-deps deploy-tools
	SSP_HELM=$(HELM) SSP_COMPOSE_CHECK=$(COMPOSE_CHECK) \
	  $(TEST_STACK) $(PY) python -m ssp_devstack exec -- $(PY) pytest $(PYTEST_ARGS)

# The long fault-injection runs (marker faults_long; `make test` runs their small versions).
test-faults: install
	$(TEST_STACK) $(PY) python -m ssp_devstack exec -- $(PY) pytest tests/faults -m faults_long \
	  --durations=0 $(PYTEST_ARGS)

test-unit: install
	$(PY) pytest libs services tools -q

stack-up: install
	$(PY) python -m ssp_devstack up

stack-down: install
	$(PY) python -m ssp_devstack down

lint: install
	$(PY) ruff check .
	$(PY) mypy libs/contracts/src libs/runtime/src
	for src in services/*/src; do $(PY) mypy $$src || exit 1; done

schemas: install
	$(PY) python -m ssp_contracts.schemas docs/schemas

# Generated documents a test keeps current: the event catalogue and the operations page.
asyncapi: install
	$(PY) python -m ssp_runtime.asyncapi docs/asyncapi

operations-doc: install
	$(PY) python -m ssp_runtime.operations_doc docs/operations.md

# The Grafana dashboards drawn from a running Prometheus (`make run`'s) into docs/screenshots/.
PROMETHEUS_URL ?= http://127.0.0.1:9090
dashboard-screenshots: install system-deps
	$(PY) python -m ssp_devstack.dashboards --prometheus $(PROMETHEUS_URL) --out docs/screenshots

# The benchmarks get a stack of their own: what they leave on the broker and in the database
# (tens of thousands of snapshots) would otherwise be a backlog for the next `make test`.
BENCH_STACK := SSP_DEVSTACK_DIR=.devstack/bench SSP_DEVSTACK_KAFKA_PORT=19192 \
	SSP_DEVSTACK_CONTROLLER_PORT=19193 SSP_DEVSTACK_MONGO_PORT=28117

# Each run starts from empty topics and databases: a new service database replays the compacted
# ssp.devices, and a previous run's devices would hold the authorizer back for minutes.
bench: install
	rm -rf .devstack/bench
	$(BENCH_STACK) $(PY) python -m ssp_devstack exec -- $(PY) python -m ssp_bench

clean:
	-$(PY) python -m ssp_devstack down
	rm -rf .devstack .venv $(GATEWAY)/node_modules $(LEAFLET)
