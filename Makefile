# techscaniq: `make serve` runs the whole system; `make test` runs the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# pytest-xdist processes for `make test`: the integration tests mostly wait on workers, Redis and browsers, so three
# processes overlap that waiting on two cores; each has its own Redis, temporary folder and stacks (tests/conftest.py).
TEST_WORKERS ?= 3
# redis-server: private brokers in tests; WeasyPrint's Pango stack for PDF reports; chromium-headless-shell: the
# render phase's browser; chromium: the UI's browser tests.
APT_PACKAGES := redis-server libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core chromium-headless-shell chromium

.PHONY: serve test test-deps lint typecheck unit demo bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("techscaniq needs Python 3.11+") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[render]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

## Set up and run the API, a home page and a worker for each queue (embedded broker when there is no Redis).
serve: $(VENV)/.installed
	$(BIN)/techscaniq serve

## Install what the tests need that Python packages cannot bring (Debian/Ubuntu), once.
test-deps:
	@missing=""; for package in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing from the distribution's packages"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check techscaniq tests bench celeryconfig.py
	$(BIN)/ruff format --check techscaniq tests bench celeryconfig.py

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

## Set up and run the whole test suite: lint, types, unit and integration tests (real Redis, workers, databases).
test: $(VENV)/.installed-dev test-deps lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider --durations=15 -n $(TEST_WORKERS) --dist loadfile

unit: $(VENV)/.installed-dev
	$(BIN)/pytest -q tests/unit

## Scan the bundled fictional company on loopback (no internet needed).
demo: $(VENV)/.installed
	$(BIN)/techscaniq demo

## Run every benchmark; results land in bench/results/*.md.
bench: $(VENV)/.installed-dev test-deps
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nginx || echo "nginx unavailable: the crawl benchmark serves with Python"; }
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
