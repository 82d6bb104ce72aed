# The README's commands: `make run` runs the main job, `make test` runs every test.
VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed
# The dynamic crawler's Node dependencies (playwright-core), pinned by its package-lock.json.
CRAWLER_JS := platform/ecomlab/collection/dynamic
NODE_STAMP := $(CRAWLER_JS)/node_modules/.installed

.PHONY: run test test-fast bench lint java browser install provisioning-tools clean

$(STAMP): pyproject.toml requirements.lock infra/scripts/bootstrap-venv.sh
	infra/scripts/bootstrap-venv.sh
	touch $@

$(NODE_STAMP): $(CRAWLER_JS)/package.json $(CRAWLER_JS)/package-lock.json
	npm ci --prefix $(CRAWLER_JS) --no-audit --no-fund
	touch $@

install: $(STAMP)

# Chromium, Node.js and the crawler's npm packages, for the dynamic crawler.
browser:
	@infra/scripts/ensure-chromium.sh
	@$(MAKE) --no-print-directory $(NODE_STAMP)

java:
	@infra/scripts/ensure-java.sh

# Vagrant, Ansible and ansible-lint (own venv, hash-checked lock) and the node harness's tools.
provisioning-tools:
	@ECOMLAB_NSPAWN_TOOLS=1 infra/scripts/ensure-provisioning-tools.sh

run: install java
	$(BIN)/ecomlab run

# Fast tier first (fails early), then the slow tier; both always run in `make test`.
test: install java browser provisioning-tools
	$(BIN)/ruff check platform jobs dags tests
	$(BIN)/pytest -m "not slow"
	$(BIN)/pytest -m slow

test-fast: install java browser provisioning-tools
	$(BIN)/pytest -m "not slow"

bench: install java browser
	$(BIN)/python tests/benchmarks/run_benchmarks.py --out var/bench

lint: install
	$(BIN)/ruff check platform jobs dags tests
	$(BIN)/ruff format --check platform jobs dags tests

clean:
	rm -rf var .pytest_cache .ruff_cache
