# 指尖办: the two commands are `make run` and `make test`. Each installs what it needs by itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DATA_DIR ?= $(CURDIR)/var/data
CONFIG ?=
STAMP := $(VENV)/.installed

.PHONY: run test install test-python test-miniprogram bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Run the whole system on one machine: embedded database, stand-ins, workers, demo data.
run: $(STAMP)
	$(PY) -m backend serve --port $(PORT) --data-dir $(DATA_DIR) $(if $(CONFIG),--config $(CONFIG))

## Run every test suite.
test: $(STAMP) test-miniprogram chromium
	$(PY) -m pytest

## Mini-program tests (jest + miniprogram-simulate); installs from miniprogram/package-lock.json.
test-miniprogram:
	cd miniprogram && npm ci --no-audit --no-fund && npx jest --ci
# --- staff console browser tests (issue 7): Debian's Chromium, installed once if missing ----------
.PHONY: chromium
chromium:
	@test -x /usr/bin/chromium || apt-get install -y chromium fonts-wqy-microhei \
		|| (apt-get update && apt-get install -y chromium fonts-wqy-microhei)
# --- end staff console -------------------------------------------------------------------------------

bench: $(STAMP)
	$(PY) bench/login.py

clean:
	rm -rf $(VENV) var .pytest_cache
