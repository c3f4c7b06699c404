# banjian — 政务服务中心办件平台 (BPMN orchestration platform)
#
#   make up      install redis-server if missing, make .venv, migrate + deploy + seed, run web + worker
#   make test    install redis/postgresql/chromium if missing, run pytest on SQLite, then on PostgreSQL
#
# PYTEST_ARGS is passed to pytest (e.g. make test PYTEST_ARGS="tests/test_infra.py -x"); the tests run in
# PYTEST_WORKERS processes (pytest-xdist; 0 = in this process).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.banjian-installed
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2
PYTEST := $(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadgroup
BENCH_ARGS ?=

.PHONY: help venv up test test-sqlite test-postgresql system-up system-test lint format \
	migrate migration bench clean distclean regen-migration

help:
	@echo "make up                     run the platform at http://127.0.0.1:5000 (Ctrl-C stops it)"
	@echo "make test [PYTEST_ARGS=..]  pytest on SQLite and on PostgreSQL"
	@echo "make test-sqlite | test-postgresql   one database only"
	@echo "make lint | format          ruff"
	@echo "make migrate                upgrade the configured database (BANJIAN_DATABASE_URL) to head"
	@echo "make migration MSG=\"...\"    autogenerate a migration from runner/models.py"
	@echo "make bench [BENCH_ARGS=..]  benchmarks (bench/)"
	@echo "make clean | distclean      remove caches and var/ | also .venv and node_modules"

# --- environment -------------------------------------------------------------------------------

venv: $(VENV_STAMP)

# re-installed only when pyproject.toml changes (or the venv is missing)
$(VENV_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $@

system-up:
	bash scripts/install_system.sh up

system-test:
	bash scripts/install_system.sh test

# --- run ---------------------------------------------------------------------------------------

up: system-up venv
	$(PY) scripts/run_platform.py

# --- test --------------------------------------------------------------------------------------

# Both databases always run; the target fails if either run failed.
test: system-test venv
	@status=0; \
	for db in sqlite postgresql; do \
		echo "=== pytest with BANJIAN_TEST_DB=$$db ==="; \
		BANJIAN_TEST_DB=$$db $(PYTEST) $(PYTEST_ARGS) || { status=1; echo "=== FAILED with BANJIAN_TEST_DB=$$db ==="; }; \
	done; \
	exit $$status

test-sqlite: system-test venv
	BANJIAN_TEST_DB=sqlite $(PYTEST) $(PYTEST_ARGS)

test-postgresql: system-test venv
	BANJIAN_TEST_DB=postgresql $(PYTEST) $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# --- database ----------------------------------------------------------------------------------

# the database of BANJIAN_DATABASE_URL (default var/banjian.sqlite3)
migrate: venv
	$(VENV)/bin/alembic upgrade head

# new revision in migrations/versions/, diffed against a scratch SQLite database at head
migration: venv
	@test -n "$(MSG)" || { echo 'usage: make migration MSG="what changed"' >&2; exit 2; }
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	export BANJIAN_DATABASE_URL="sqlite:///$$tmp/migration.sqlite3"; \
	$(VENV)/bin/alembic upgrade head && $(VENV)/bin/alembic revision --autogenerate -m "$(MSG)"

# --- other -------------------------------------------------------------------------------------

bench: system-test venv
	$(PY) bench/engine.py $(BENCH_ARGS)

clean:
	rm -rf var/ .pytest_cache/ .ruff_cache/ tests/artifacts/ build/ *.egg-info/
	find . -path ./.venv -prune -o -path ./node_modules -prune -o -name __pycache__ -type d -print0 \
		| xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV) node_modules/

# Regenerate the single initial migration from runner/models.py (nothing is deployed yet); serialised by a
# lock so that two people regenerating at once do not leave two heads.
regen-migration: venv
	@flock /tmp/banjian-migration.lock sh -c 'rm -f migrations/versions/*.py && $(MAKE) --no-print-directory migration MSG="engine tables"'
