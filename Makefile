# 指尖办: the two commands are `make run` and `make test`. Each installs what it needs by itself:
# `make run` only what running needs, `make test` the test tools as well.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DATA_DIR ?= $(CURDIR)/var/data
CONFIG ?=
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test install install-test lint typecheck test-python test-miniprogram chromium bench clean clients

$(RUN_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): $(RUN_STAMP)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

install: $(RUN_STAMP)

install-test: $(TEST_STAMP)

## Run the whole system on one machine: embedded database, stand-ins, workers, demo data.
run: $(RUN_STAMP)
	$(PY) -m backend serve --port $(PORT) --data-dir $(DATA_DIR) $(if $(CONFIG),--config $(CONFIG))

## Run every check: lint, the type checker, the mini-program's tests, then the Python suite (API,
## processes, console).
test: lint typecheck test-miniprogram chromium test-python

test-python: $(TEST_STAMP)
	$(PY) -m pytest

## ruff: pycodestyle, pyflakes, import order and bugbear rules; lint-imports: the layers and the
## domains' independence ([tool.importlinter] in pyproject.toml).
lint: $(TEST_STAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports

## mypy, strict ([tool.mypy] in pyproject.toml), over every product package.
typecheck: $(TEST_STAMP)
	$(VENV)/bin/mypy backend payments notify sandbox

## Mini-program tests (jest + miniprogram-simulate); installs from miniprogram/package-lock.json.
test-miniprogram:
	cd miniprogram && npm ci --no-audit --no-fund && npx jest --ci

## Staff console browser tests run in Debian's Chromium, installed once if missing.
chromium:
	@test -x /usr/bin/chromium || apt-get install -y chromium fonts-wqy-microhei \
		|| (apt-get update && apt-get install -y chromium fonts-wqy-microhei)

## Regenerate the console's and mini-program's API clients from /openapi.json (scripts/gen_clients.py).
clients: $(RUN_STAMP)
	$(PY) scripts/gen_clients.py

bench: $(RUN_STAMP)
	$(PY) bench/login.py

clean:
	rm -rf $(VENV) var .pytest_cache
