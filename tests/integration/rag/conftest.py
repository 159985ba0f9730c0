"""RAG integration fixtures: the query-engine helpers, and SmolLM2 when it is installed."""

from __future__ import annotations

import importlib.util

import pytest

from tests.api.query_engines.conftest import embedder

__all__ = ["embedder"]

SMOLLM = "local/smollm2-135m-instruct"


@pytest.fixture
def smollm() -> str:
    """The built-in SmolLM2 chat model's name (skips when llama-cpp-python is missing)."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'wxo[local-llm]')")
    return SMOLLM
