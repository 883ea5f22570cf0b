# surveyapp developer tasks (GNU make). Needs only python3 to bootstrap.
#
#   make run          dev server on http://127.0.0.1:5000 (SQLite under instance/)
#   make test         SQLite run, then PostgreSQL run (SKIP_PG=1 to skip the latter)
#   make test-sqlite  SQLite run only
#   make bench [SIZE=...]
#   make clean
#
# Variables: PYTHON, PYTEST_ARGS, SKIP_PG, PG_DIR, PG_PORT, SIZE.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON      ?= python3
VENV        := .venv
BIN         := $(VENV)/bin
STAMP       := $(VENV)/.installed
PYTEST_ARGS ?= -q -n 2 --dist loadfile
PG_DIR      ?= /tmp/surveyapp-pg
PG_PORT     ?= 54329
SKIP_PG     ?=
SIZE        ?=

PG_CLUSTER  := bash scripts/pg-cluster.sh
SYSTEM_DEPS := bash scripts/install-system-deps.sh

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv translations run test test-sqlite bench clean system-deps pg-start pg-stop

help:
	@echo "targets: venv translations run test test-sqlite bench clean system-deps pg-start pg-stop"
	@echo "vars:    PYTEST_ARGS='$(PYTEST_ARGS)' SKIP_PG=1 PG_DIR=$(PG_DIR) PG_PORT=$(PG_PORT) SIZE=..."

# ---------------------------------------------------------------- environment
venv: $(STAMP)

# Re-installs when the packaging metadata changes.
$(STAMP): setup.cfg pyproject.toml $(wildcard setup.py)
	@if ! $(BIN)/python -c '' >/dev/null 2>&1; then \
		echo "== creating $(VENV) =="; \
		rm -rf $(VENV); \
		$(PYTHON) -m venv $(VENV); \
	fi
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

translations: venv
	$(BIN)/surveyapp i18n-compile

system-deps:
	$(SYSTEM_DEPS)

# ---------------------------------------------------------------- run
run: venv translations
	$(BIN)/surveyapp init-demo
	$(BIN)/surveyapp serve --host 127.0.0.1 --port 5000

# ---------------------------------------------------------------- tests
# The SQLite run must not pick up a PostgreSQL URL from the caller's environment.
SQLITE_PYTEST := env -u SURVEYAPP_DATABASE_URL -u SURVEYAPP_TEST_POSTGRES \
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-sqlite: venv translations
	$(SYSTEM_DEPS) chromium libreoffice
	@echo "== SQLite run =="
	$(SQLITE_PYTEST)

# Both runs always execute; the target fails if either failed. The cluster is
# stopped (and its dir deleted) even when the run fails or is interrupted.
test: venv translations
	$(SYSTEM_DEPS)
	@sqlite_rc=0; pg_rc=skipped; \
	echo "== SQLite run =="; \
	$(SQLITE_PYTEST) || sqlite_rc=$$?; \
	if [ "$(SKIP_PG)" = "1" ]; then \
		echo "== PostgreSQL run skipped (SKIP_PG=1) =="; \
	else \
		echo "== PostgreSQL run =="; \
		trap '$(PG_CLUSTER) stop "$(PG_DIR)" "$(PG_PORT)" || true' EXIT; \
		trap 'exit 130' INT TERM; \
		$(PG_CLUSTER) stop "$(PG_DIR)" "$(PG_PORT)" >/dev/null 2>&1 || true; \
		if $(PG_CLUSTER) start "$(PG_DIR)" "$(PG_PORT)" >/dev/null; then \
			pg_rc=0; \
			SURVEYAPP_DATABASE_URL="$$($(PG_CLUSTER) url "$(PG_DIR)" "$(PG_PORT)")" \
			SURVEYAPP_TEST_POSTGRES=1 \
				$(BIN)/python -m pytest $(PYTEST_ARGS) || pg_rc=$$?; \
		else \
			echo "could not start the PostgreSQL test cluster" >&2; \
			pg_rc=1; \
		fi; \
	fi; \
	echo "== results: SQLite rc=$$sqlite_rc, PostgreSQL rc=$$pg_rc =="; \
	[ "$$sqlite_rc" = 0 ] && { [ "$$pg_rc" = 0 ] || [ "$$pg_rc" = skipped ]; }

pg-start:
	$(PG_CLUSTER) start "$(PG_DIR)" "$(PG_PORT)"

pg-stop:
	$(PG_CLUSTER) stop "$(PG_DIR)" "$(PG_PORT)"

# ---------------------------------------------------------------- misc
bench: venv
	$(BIN)/python -m bench $(if $(SIZE),--size $(SIZE),)

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis build dist test-artifacts
	find . -path ./.git -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -prune -exec rm -rf {} +
	find . -path ./.git -prune -o -name '*.py[co]' -exec rm -f {} +
