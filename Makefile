# healthaid — the two commands in the README are `make run` and `make test`.
# Everything is installed here, from the project's own files; nothing by hand.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP_FLAGS := -q --disable-pip-version-check

.PHONY: help venv db demo run test test-python lint bench postgres postgres-stop clean

# Fragments per part of the stack (mk/rasa.mk: the Rasa environment, training, bot tests).
-include mk/*.mk

help:
	@echo "make run    set up everything and start healthaid"
	@echo "make test   set up everything and run every test"
	@echo "make lint   ruff and mypy;  make bench   benchmarks (figures in bench/README.md)"

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/pip install $(PIP_FLAGS) -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import settlement, registry, fastapi, sqlalchemy, hypothesis"
	touch $@

venv: $(BIN)/.installed

# The database (SQLite by default, PostgreSQL with HEALTHAID_DATABASE_URL), migrated, with
# fictional demo residents.
db: venv
	$(BIN)/healthaid db upgrade
	$(BIN)/healthaid residents import demo/residents.csv

postgres:
	scripts/postgres.sh start

postgres-stop:
	scripts/postgres.sh stop

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test-python: venv postgres
	HEALTHAID_TEST_POSTGRES_URL="$$(scripts/postgres.sh url)" $(BIN)/pytest -q

test: lint test-python
	$(BIN)/healthaid policies check

bench: venv
	$(BIN)/python -m bench.settlement

run: db
	@echo
	@echo "healthaid is set up. A first estimate (固阳县, 建档立卡贫困户, 县医院住院2万元):"
	$(BIN)/healthaid estimate --region guyang --setting inpatient --level county --total 20000
	@echo
	@echo "Try: $(BIN)/healthaid estimate --help   ·   $(BIN)/healthaid residents show <身份证号>"

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
