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
# Every dependency, transitive ones included, at one version with its hashes (`make lock` writes them
# from pyproject.toml's pins); pip refuses any file whose hash is not listed.
RUN_LOCK := requirements/run.txt
TEST_LOCK := requirements/test.txt
LOCK_VENV := .venv-lock
LOCK_FLAGS := --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links

.PHONY: run test install install-test lint typecheck test-python test-miniprogram chromium bench clean clients lock

$(RUN_STAMP): pyproject.toml $(RUN_LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r $(RUN_LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): $(RUN_STAMP) $(TEST_LOCK)
	$(PY) -m pip install --quiet --require-hashes -r $(TEST_LOCK)
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

bench: $(TEST_STAMP)
	$(PY) bench/login.py

## After changing a pin in pyproject.toml: resolve requirements/run.txt and requirements/test.txt
## again (pip-tools in a venv of its own; the test lock is held to the run lock's versions).
lock:
	test -x $(LOCK_VENV)/bin/pip-compile || ($(PYTHON) -m venv $(LOCK_VENV) \
		&& $(LOCK_VENV)/bin/pip install --quiet pip-tools==7.7.0)
	$(LOCK_VENV)/bin/pip-compile $(LOCK_FLAGS) --output-file=$(RUN_LOCK) pyproject.toml
	$(LOCK_VENV)/bin/pip-compile $(LOCK_FLAGS) --extra test --constraint $(RUN_LOCK) \
		--output-file=$(TEST_LOCK) pyproject.toml

clean:
	rm -rf $(VENV) $(LOCK_VENV) var .pytest_cache
