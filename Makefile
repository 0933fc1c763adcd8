# Two commands matter on a fresh machine: `make demo` and `make test`.
# Both create .venv and install what they need themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Elasticsearch 8 clusters need the 8.x client (a real 8.x server refuses the 9.x client's
# compatible-with=9 headers), so `make test` also runs the integration and contract tiers
# with it, from a virtualenv of its own.
ES8_VENV  := .venv-es8
ES8_BIN   := $(ES8_VENV)/bin
ES8_STAMP := $(ES8_VENV)/.installed
ES8_CLIENT := elasticsearch[async]>=8.19,<9

.PHONY: test test-es8 unit integration lint demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(ES8_STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(ES8_VENV)
	$(ES8_BIN)/pip install --quiet --upgrade pip
	$(ES8_BIN)/pip install --quiet -e '.[test,cli]' '$(ES8_CLIENT)'
	touch $(ES8_STAMP)

venv: $(STAMP)

# Everything with the 9.x client, then the integration and contract tiers again with the 8.x client.
test: $(STAMP) $(ES8_STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-es8

# Left out: the one test of how the 9.x client is refused by an older (8.x) server; with the
# 8.x client that would be a 7.x server, which esorm does not support.
ES8_DESELECT := tests/integration/test_connection.py::test_older_server_rejecting_headers_names_the_client_to_install

test-es8: $(ES8_STAMP)
	$(ES8_BIN)/pytest tests/integration tests/contract --deselect $(ES8_DESELECT) $(PYTEST_ARGS)

unit: $(STAMP)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

integration: $(STAMP)
	$(BIN)/pytest tests/integration $(PYTEST_ARGS)

# The e2e test's user project imports its own top-level modules, as a user's checkout does,
# so mypy checks its files by name from their own base.
lint: $(STAMP)
	$(BIN)/ruff check esorm tests examples benchmarks
	$(BIN)/ruff format --check esorm tests examples benchmarks
	$(BIN)/mypy
	$(BIN)/mypy tests examples benchmarks
	MYPYPATH=tests/e2e/user_project $(BIN)/mypy --explicit-package-bases tests/e2e/user_project/*.py

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
	rm -rf $(VENV) $(ES8_VENV) .pytest_cache .mypy_cache .ruff_cache
