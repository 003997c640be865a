# techscaniq: `make serve` runs the whole system; `make test` runs the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
APT_PACKAGES := redis-server

.PHONY: serve test test-deps lint typecheck unit demo bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("techscaniq needs Python 3.11+") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

## Set up and run the API, a home page and a worker for each queue (embedded broker when there is no Redis).
serve: $(VENV)/.installed
	$(BIN)/techscaniq serve

## Install what the tests need that Python packages cannot bring (Debian/Ubuntu), once.
test-deps:
	@missing=""; for tool in redis-server; do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing from the distribution's packages"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES); \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check techscaniq tests bench celeryconfig.py
	$(BIN)/ruff format --check techscaniq tests bench celeryconfig.py

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

## Set up and run the whole test suite: lint, types, unit and integration tests (real Redis, workers, databases).
test: $(VENV)/.installed-dev test-deps lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider --durations=15

unit: $(VENV)/.installed-dev
	$(BIN)/pytest -q tests/unit

## Scan the bundled fictional company on loopback (no internet needed).
demo: $(VENV)/.installed
	$(BIN)/techscaniq demo

## Run every benchmark; results land in bench/results/*.md.
bench: $(VENV)/.installed-dev test-deps
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
