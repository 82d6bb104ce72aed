# The README's commands: `make run` runs the main job, `make test` runs every test.
VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed
# The dynamic crawler's Node dependencies (playwright-core), pinned by its package-lock.json.
CRAWLER_JS := platform/ecomlab/collection/dynamic
NODE_STAMP := $(CRAWLER_JS)/node_modules/.installed
# ECharts for the dashboards (npm package `echarts`), pinned by its package-lock.json.
DASHBOARDS_JS := platform/ecomlab/dashboards/js
ECHARTS_STAMP := $(DASHBOARDS_JS)/node_modules/.installed

.PHONY: run test test-fast test-nodes bench lint java browser postgres install provisioning-tools clean

$(STAMP): pyproject.toml requirements.lock infra/scripts/bootstrap-venv.sh
	infra/scripts/bootstrap-venv.sh
	touch $@

$(NODE_STAMP): $(CRAWLER_JS)/package.json $(CRAWLER_JS)/package-lock.json
	npm ci --prefix $(CRAWLER_JS) --no-audit --no-fund
	touch $@

$(ECHARTS_STAMP): $(DASHBOARDS_JS)/package.json $(DASHBOARDS_JS)/package-lock.json
	@infra/scripts/ensure-node.sh
	npm ci --prefix $(DASHBOARDS_JS) --no-audit --no-fund
	touch $@

install: $(STAMP) $(ECHARTS_STAMP)

# Chromium, Node.js and the crawler's npm packages, for the dynamic crawler.
browser:
	@infra/scripts/ensure-chromium.sh
	@$(MAKE) --no-print-directory $(NODE_STAMP)

java:
	@infra/scripts/ensure-java.sh

# PostgreSQL's server and JDBC driver, for the local platform (`ecomlab up`).
postgres:
	@infra/scripts/ensure-postgres.sh

# Vagrant, Ansible and ansible-lint (own venv, hash-checked lock) and the node harness's tools.
provisioning-tools:
	@ECOMLAB_NSPAWN_TOOLS=1 infra/scripts/ensure-provisioning-tools.sh

run: install java
	$(BIN)/ecomlab run

# Fast tier first (fails early), then the slow tier; both always run in `make test`.
test: install java browser postgres provisioning-tools
	$(BIN)/ruff check .
	$(BIN)/ruff check --select AIR dags
	$(BIN)/pytest -m "not slow" --durations=20
	$(BIN)/pytest -m "slow and not nodes" --durations=20

# The Ansible roles on real nodes (root, systemd-nspawn): not yet part of `make test`.
test-nodes: install provisioning-tools
	$(BIN)/pytest -m nodes

test-fast: install java browser provisioning-tools
	$(BIN)/pytest -m "not slow" --durations=20

bench: install java browser postgres
	$(BIN)/python tests/benchmarks/run_benchmarks.py --out var/bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff check --select AIR dags
	$(BIN)/ruff format --check .

clean:
	rm -rf var .pytest_cache .ruff_cache
