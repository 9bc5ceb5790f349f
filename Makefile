# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint imports typecheck unit bench install clean browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)  ## create the venv, install, start embedded PostgreSQL, load the demo, serve :8000
	$(BIN)/procurement serve --demo

lint: $(STAMP) imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

imports: $(STAMP)  ## the layering contracts in pyproject.toml ([tool.importlinter])
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

# The portal's browser tests drive Debian's Chromium; as root, install it when missing.
browser:
	@command -v chromium >/dev/null || [ -n "$$CHROMIUM" ] || { [ "$$(id -u)" = 0 ] && \
	  apt-get update -q && apt-get install -y -q --no-install-recommends chromium fonts-noto-core; } || \
	  { echo "install Chromium for the browser tests: apt-get install chromium fonts-noto-core"; exit 1; }

test: lint typecheck browser  ## contracts, ruff, mypy --strict, the whole suite on PostgreSQL
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .procurement .mypy_cache .ruff_cache .pytest_cache .hypothesis
