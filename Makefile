# dangol — the two set-up commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PYTHONPATH := src
export DJANGO_SETTINGS_MODULE := dangol.config.settings

.PHONY: install install-test fonts demo serve worker test test-sqlite test-postgres lint typecheck migrations-check bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

## install: create the virtual environment and install dangol (and its web font)
install: $(VENV)/.installed fonts

## fonts: fetch the Pretendard web font from npm into the static files (once)
fonts:
	@bash scripts/fetch_fonts.sh

install-test: $(VENV)/.installed-test fonts

## demo: migrate, seed the 반송큰시장 demo on SQLite and serve it with the worker on :8000
demo: install
	DANGOL_DEMO=1 $(BIN)/dangol demo

## serve: web server (gunicorn) and worker for the configured database
serve: install
	$(BIN)/dangol serve

## worker: the Huey consumer alone (run several on several machines with REDIS_URL)
worker: install
	$(BIN)/dangol run_huey

## test: lint (ruff, import contracts), type-check, migrations check, the suite on SQLite and on PostgreSQL
test: install-test lint typecheck migrations-check test-sqlite test-postgres

# lint-imports checks the import contracts of pyproject.toml (DESIGN.md §3's layers).
lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	PYTHONPATH=src $(BIN)/lint-imports --no-logo

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

# The production checks (dangol.core.checks) are about running the site, not about whether
# the models match their migrations, so this check skips them.
migrations-check: $(VENV)/.installed-test
	DANGOL_VAR_DIR=$$(mktemp -d) $(BIN)/dangol makemigrations --check --dry-run --skip-checks

# The suite never touches a shared Redis (its autouse cache clear would wipe it): REDIS_URL
# is unset, so tests use the local-memory cache and Huey's in-process immediate mode.
# PYTEST_ARGS passes options through, e.g. PYTEST_ARGS='--clock=+365d' (see tests/conftest.py).
PYTEST_ARGS ?=

test-sqlite: $(VENV)/.installed-test
	env -u DATABASE_URL -u REDIS_URL DANGOL_TESTING=1 $(BIN)/python -m pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

# PostgreSQL: DATABASE_URL if set, else the local service if it answers; under CI=true a
# missing PostgreSQL fails the run instead of skipping it.
test-postgres: $(VENV)/.installed-test
	@url=$$($(BIN)/python scripts/postgres_url.py) ; \
	if [ -z "$$url" ]; then \
	  if [ "$$CI" = "true" ]; then echo "CI=true but no PostgreSQL is reachable" >&2; exit 1; fi ; \
	  echo "SKIPPED the PostgreSQL run: no PostgreSQL reachable (set DATABASE_URL)"; exit 0 ; \
	fi ; \
	echo "PostgreSQL run on $$url" ; \
	env -u REDIS_URL DATABASE_URL=$$url DANGOL_TESTING=1 $(BIN)/python -m pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

## bench: run every benchmark (figures go to docs/benchmarks.md by hand)
bench: install-test
	@for b in bench/*.py; do \
	  case $$b in bench/scratch_db.py|bench/market_load_*.py) continue;; esac; \
	  echo "== $$b"; $(BIN)/python $$b || exit 1; done

## messages: regenerate and compile the English translations
messages: $(VENV)/.installed-test
	cd src/dangol && ../../$(BIN)/dangol makemessages -l en --no-obsolete && ../../$(BIN)/dangol compilemessages -l en

clean:
	rm -rf $(VENV) var build *.egg-info .import_linter_cache
