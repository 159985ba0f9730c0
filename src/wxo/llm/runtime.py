"""Adapters for resolved models, built once per process and reused (connection pools, weights)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict

from pydantic import SecretStr

from wxo.core.config import Settings
from wxo.llm.base import ChatModel, EmbeddingModel, ModelTarget
from wxo.llm.local.factory import LocalModels
from wxo.llm.resolution import ResolutionCache

_MAX_CACHED = 64


def _plain(value: object) -> object:
    """`value` with every `SecretStr` revealed, for hashing only."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _key(kind: str, target: ModelTarget) -> str:
    """A cache key that changes whenever anything about the target changes, secrets included."""
    payload = json.dumps(_plain(target.model_dump()), sort_keys=True, default=str)
    return kind + ":" + hashlib.sha256(payload.encode()).hexdigest()


async def _close(adapter: ChatModel | EmbeddingModel) -> None:
    close = getattr(adapter, "aclose", None)
    if close is not None:
        await close()


async def _close_later(adapter: ChatModel | EmbeddingModel, delay: float = 300.0) -> None:
    await asyncio.sleep(delay)
    await _close(adapter)


class ModelRuntime:
    """Turns `ModelTarget`s into adapters; remote adapters are kept in a small LRU."""

    def __init__(self, settings: Settings) -> None:
        """Local models keep derived files under `data_dir/models`."""
        self.local = LocalModels(settings.data_dir / "models", settings.llm.local_threads)
        self._default_timeout = settings.llm.request_timeout
        self.resolutions = ResolutionCache(settings.llm.resolve_cache_seconds)
        self._cache: OrderedDict[str, ChatModel | EmbeddingModel] = OrderedDict()
        # An evicted adapter may still serve a call in flight: it is closed a while later.
        self._closing: set[asyncio.Task[None]] = set()

    def chat(self, target: ModelTarget) -> ChatModel:
        """A chat adapter for `target`."""
        if target.provider == "local":
            return self.local.chat(target)
        key = _key("chat", target)
        cached = self._cache.get(key)
        if isinstance(cached, ChatModel):
            self._cache.move_to_end(key)
            return cached
        from wxo.llm.providers.factory import build_chat_model

        model = build_chat_model(self._with_timeout(target))
        self._remember(key, model)
        return model

    def embedding(self, target: ModelTarget) -> EmbeddingModel:
        """An embedding adapter for `target`."""
        if target.provider == "local":
            return self.local.embedding(target)
        key = _key("embedding", target)
        cached = self._cache.get(key)
        if isinstance(cached, EmbeddingModel):
            self._cache.move_to_end(key)
            return cached
        from wxo.llm.providers.factory import build_embedding_model

        model = build_embedding_model(self._with_timeout(target))
        self._remember(key, model)
        return model

    def _with_timeout(self, target: ModelTarget) -> ModelTarget:
        if target.config.request_timeout is not None:
            return target
        config = target.config.model_copy(update={"request_timeout": self._default_timeout})
        return target.model_copy(update={"config": config})

    def _remember(self, key: str, model: ChatModel | EmbeddingModel) -> None:
        self._cache[key] = model
        while len(self._cache) > _MAX_CACHED:
            _, evicted = self._cache.popitem(last=False)
            task = asyncio.get_running_loop().create_task(_close_later(evicted))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def aclose(self) -> None:
        """Close the connection pools of every adapter built here."""
        for task in self._closing:
            task.cancel()
        adapters = list(self._cache.values())
        self._cache.clear()
        for adapter in adapters:
            await _close(adapter)
