# Attune: the commands the README names. `make help` lists them.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install lock migrate load run test fuzz mutate lint bench bench-export bench-load clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# Installs are pinned: requirements-dev.txt (and requirements.txt for the image) hold every
# package with its hashes; pyproject.toml keeps the ranges. `pip check` fails when pyproject.toml
# names a package the lock lacks: run `make lock` then.
# The client generator has its own venv (.venv/codegen): it pins typer below the app's.
$(STAMP): pyproject.toml requirements-dev.txt requirements-codegen.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check || { echo "the lock lacks a package pyproject.toml needs: make lock"; exit 1; }
	$(PYTHON) -m venv $(VENV)/codegen
	$(VENV)/codegen/bin/pip install --quiet --require-hashes -r requirements-codegen.txt
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the pinned app and dev tools (requirements-dev.txt)

LOCK_ARGS ?=
lock: ## pin pyproject.toml's ranges with hashes in requirements*.txt (LOCK_ARGS=--upgrade: newest)
	test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet uv; }
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
		--no-header --annotation-style line $(LOCK_ARGS) -o requirements.txt pyproject.toml
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
		--no-header --annotation-style line $(LOCK_ARGS) --extra dev -c requirements.txt \
		-o requirements-dev.txt pyproject.toml
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
		--no-header --annotation-style line $(LOCK_ARGS) \
		-o requirements-codegen.txt requirements-codegen.in

migrate: install ## apply the database migrations (ATTUNE_DATABASE_URL, SQLite by default)
	$(BIN)/attune migrate

load: migrate ## validate the built-in questionnaires and record them in the database
	$(BIN)/attune questionnaires load

run: load ## set up everything, then serve on 127.0.0.1:8000
	$(BIN)/attune serve --host 127.0.0.1 --port 8000

test: install ## set up everything, then run the whole test suite
	$(BIN)/attune questionnaires validate
	$(BIN)/pytest $(PYTEST_ARGS)

fuzz: install ## fuzz every operation as every role, far longer than CI (ATTUNE_FUZZ_EXAMPLES)
	ATTUNE_FUZZ_EXAMPLES=$${ATTUNE_FUZZ_EXAMPLES:-200} ATTUNE_FUZZ_RANDOM=$${ATTUNE_FUZZ_RANDOM:-1} \
		$(BIN)/pytest tests/security/test_fuzz.py $(PYTEST_ARGS)

mutate: install ## mutation testing of app/scoring and app/research: the score per package
	rm -rf mutants && mkdir mutants
	$(BIN)/mutmut run > mutants/run.log 2>&1 || { tail -40 mutants/run.log; exit 1; }
	$(BIN)/python .ci/mutation_score.py $(MUTATE_ARGS)

lint: install ## ruff (lint and format check) and mypy
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench
	$(BIN)/mypy app

bench: install ## score() vs FHIRPath in process; throughput and server CPU vs floors, both databases (PASS/MISS)
	$(BIN)/python bench/scoring.py
	$(BIN)/python bench/throughput.py --database both $(BENCH_ARGS)

bench-export: install ## research export of 1,000,000 rows: API and CLI vs COPY, server memory
	$(BIN)/python bench/export.py $(BENCH_EXPORT_ARGS)

bench-load: install ## 60 s of mixed traffic, 64 connections, 2 workers, PostgreSQL (p50/p95/p99)
	$(BIN)/python bench/load.py

clean: ## remove the venv and the default SQLite database
	rm -rf $(VENV) attune.db attune.db-wal attune.db-shm
