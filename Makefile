# chu-bench — two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Re-install when the dependencies change; the constraints file pins what CI tested.
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## make run: pipeline on data/sample into the SQLite warehouse, then Dagster UI (:3000) and dashboard (:8501)
run: $(STAMP)
	$(PY) -m pipelines.serve

## make test: ruff, Dagster's definition check, then every test (PostgreSQL and browser tests when available)
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/dg check defs
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) .dagster_home data/warehouse.sqlite data/blobs
