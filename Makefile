# Kapstan developer entry points. `make demo` and `make test` are all a newcomer needs:
# each installs what is missing (apt packages, Python venv, Go-built toolchain) first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: all deps apt venv toolchain lint test test-unit demo bench clean

all: test

deps: apt venv

apt:
	@bash scripts/install-apt.sh toolchain/apt-packages.txt

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

toolchain: deps
	$(PY) -m kapstan.localcluster build

lint: venv
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: toolchain lint
	$(PY) -m pytest

test-unit: venv
	$(PY) -m pytest tests/unit

demo: toolchain
	$(VENV)/bin/kapstan demo

bench: toolchain
	$(PY) bench/run.py
	$(PY) bench/controller_bench.py
	$(PY) bench/api_bench.py

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache
