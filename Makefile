# Two commands matter on a fresh machine: `make demo` and `make test`.
# Both create .venv and install what they need themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test unit integration lint demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

unit: $(STAMP)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

integration: $(STAMP)
	$(BIN)/pytest tests/integration $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check esorm tests examples benchmarks
	$(BIN)/ruff format --check esorm tests examples benchmarks
	$(BIN)/mypy
	$(BIN)/mypy tests examples benchmarks

# Benchmarks: esorm beside the raw client, ESORM and elasticsearch.dsl on one server.
# `make bench BENCH_ARGS=--quick` smoke-tests it; see benchmarks/run.py for options.
# ESORM (pyesorm) imports as `esorm` like this project, so it is installed apart from
# site-packages, without its dependencies (the `bench` extra covers them), and the
# benchmark loads it from there as `pyesorm`.
PEERS       := $(VENV)/peers
PYESORM     := pyesorm==0.8.1
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): pyproject.toml Makefile $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	rm -rf $(PEERS)
	$(BIN)/pip install --quiet --no-deps --target $(PEERS) '$(PYESORM)'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

demo: $(STAMP)
	$(BIN)/python -m examples.blog

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
