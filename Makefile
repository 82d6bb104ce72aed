# The README's commands: `make run` runs the main job, `make test` runs every test.
VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast bench lint java install clean

$(STAMP): pyproject.toml requirements.lock infra/scripts/bootstrap-venv.sh
	infra/scripts/bootstrap-venv.sh
	touch $@

install: $(STAMP)

java:
	@infra/scripts/ensure-java.sh

run: install java
	$(BIN)/ecomlab run

# Fast tier first (fails early), then the slow tier; both always run in `make test`.
test: install java
	$(BIN)/ruff check platform jobs dags tests
	$(BIN)/pytest -m "not slow"
	$(BIN)/pytest -m slow

test-fast: install java
	$(BIN)/pytest -m "not slow"

bench: install java
	$(BIN)/python tests/benchmarks/run_benchmarks.py --out var/bench

lint: install
	$(BIN)/ruff check platform jobs dags tests
	$(BIN)/ruff format --check platform jobs dags tests

clean:
	rm -rf var .pytest_cache .ruff_cache
