# Recurra: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export RECURRA_DATA_DIR ?= $(CURDIR)/var
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/python scripts/compilemessages.py
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test,lint,bench]'
	touch $@

install: $(VENV)/.installed

run: export RECURRA_BASE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/recurra migrate
	$(BIN)/recurra demo
	$(BIN)/recurra serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev
	BIN=$(BIN) scripts/test

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check recurra tests scripts $(wildcard bench)
	$(BIN)/ruff format --check recurra tests scripts $(wildcard bench)
	$(BIN)/mypy recurra

bench: $(VENV)/.installed-dev
	BIN=$(BIN) scripts/bench

screenshots: $(VENV)/.installed-dev
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
