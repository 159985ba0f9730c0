# wxo — the two commands that matter are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint fmt migrate bench install clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## Create .venv and install everything, pinned by requirements.lock

run: $(STAMP)  ## Start the full server on http://127.0.0.1:4321 (embedded PostgreSQL + Redis + worker)
	$(BIN)/wxo serve

test: $(STAMP)  ## Run the whole test suite (starts its own PostgreSQL, Redis and Celery worker)
	$(BIN)/pytest

lint: $(STAMP)  ## ruff, ruff format --check, mypy --strict, import-linter, alembic check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(STAMP)  ## Apply database migrations
	$(BIN)/wxo migrate

bench: $(STAMP)  ## Threads benchmark against a fresh server (see docs/benchmarks.md)
	$(BIN)/python bench/threads.py

lock:  ## Re-resolve requirements.lock from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
