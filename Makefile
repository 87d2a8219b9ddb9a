# `make demo` and `make test` each do all set-up on a fresh clone (Python 3.11, Java 17 and Maven required).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help setup jars demo test test-fast bench lint constraints

help:
	@echo "make setup | demo | test | test-fast | bench | lint | constraints"

setup: $(INSTALLED) jars

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "setup: $(PYTHON) not found; install Python 3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstalls only when the dependency files change; the project itself is installed editable.
$(INSTALLED): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

jars:
	scripts/fetch_delta_jars.sh

demo: setup
	scripts/demo.sh

# --dist loadscope: a module's tests share one worker, so its Spark/Airflow fixtures are built once, not per worker.
# pytest exits 5 when it collected no tests: fail loudly rather than let an empty run look like anything else.
test: setup
	@rc=0; $(BIN)/python -m pytest -n 2 --dist loadscope $(PYTEST_ARGS) tests || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests (exit 5); failing" >&2; fi; \
	exit $$rc

# The fast tier while you work: the engine, golden and unit tests (no JVM, under a minute).
test-fast: setup
	$(BIN)/python -m pytest -n 2 tests/unit tests/golden $(PYTEST_ARGS)

bench: setup
	$(BIN)/python scripts/bench_engine.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

constraints: $(INSTALLED)
	{ echo "# Every package of the working venv, pinned: make setup installs with -c constraints.txt."; \
	  echo "# Regenerate after changing dependencies in pyproject.toml: make constraints"; \
	  $(BIN)/pip freeze --exclude-editable | grep -vi '^saccr-pipeline'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	touch $(INSTALLED)
