# samflyt — the two commands of the quick start are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.PHONY: demo test unit integration lint up down status clean bench venv

venv: $(STAMP)
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@# the example connector package: the tests install-check it like a municipality's plug-in
	$(BIN)/pip install -q --no-deps -e examples/samflyt-connector-example
	@rm -f $(VENV)/.installed-*; touch $@

## demo: install, start local Kafka + PostgreSQL (unless configured), migrate (as the owner
## role), run the pipeline over samples (as the runtime role)
demo: venv up
	SAMFLYT_ENVIRONMENT=development $(BIN)/samflyt migrate
	SAMFLYT_ENVIRONMENT=development $(BIN)/samflyt demo

## test: lint, type-check, then every unit and integration test against the real services
test: venv lint
	@# pytest exits 5 when it collects nothing; that is not a failure of the suite
	$(BIN)/python -m pytest; rc=$$?; [ $$rc -eq 5 ] && exit 0; exit $$rc

unit: venv
	$(BIN)/python -m pytest tests/unit

integration: venv
	$(BIN)/python -m pytest tests/integration

lint: venv
	$(BIN)/ruff check streams connectors schemas tests benchmarks examples
	$(BIN)/mypy
	@# the example connector as its author checks it: its own mypy config, samflyt from this tree
	cd examples/samflyt-connector-example && MYPYPATH=$(CURDIR) $(CURDIR)/$(BIN)/mypy --config-file pyproject.toml

## bench: baselines and the pipeline on the real services (~10-15 min); BENCH_ARGS="--help" for more
bench: venv up
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

up: venv
	@bash infra/services.sh up

down:
	@bash infra/services.sh down

status:
	@bash infra/services.sh status

## clean: stop the services and remove their state (data, logs) and the virtualenv
clean: down
	@. infra/env.sh && rm -rf "$$SAMFLYT_STATE_DIR"
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
