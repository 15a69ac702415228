# Attune: the commands the README names. `make help` lists them.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install migrate load run test fuzz mutate lint bench bench-export bench-load clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the app with its dev tools

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

bench: install ## throughput and latency against a bare FastAPI baseline (prints figures)
	$(BIN)/python bench/throughput.py

bench-export: install ## research export of 1,000,000 rows: API and CLI vs COPY, server memory
	$(BIN)/python bench/export.py $(BENCH_EXPORT_ARGS)

bench-load: install ## 60 s of mixed traffic, 64 connections, 2 workers, PostgreSQL (p50/p95/p99)
	$(BIN)/python bench/load.py

clean: ## remove the venv and the default SQLite database
	rm -rf $(VENV) attune.db attune.db-wal attune.db-shm
