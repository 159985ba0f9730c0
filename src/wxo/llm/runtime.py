"""Adapters for resolved models, built once per process and reused (connection pools, weights)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from wxo.core.config import Settings
from wxo.llm.base import ChatModel, EmbeddingModel, ModelTarget
from wxo.llm.local.factory import LocalModels

_MAX_CACHED = 64


def _key(kind: str, target: ModelTarget) -> str:
    """A cache key that changes whenever anything about the target changes (secrets included)."""
    payload = target.model_dump_json() + (
        target.config.api_key.get_secret_value() if target.config.api_key else ""
    )
    return kind + ":" + hashlib.sha256(payload.encode()).hexdigest()


class ModelRuntime:
    """Turns `ModelTarget`s into adapters; remote adapters are kept in a small LRU."""

    def __init__(self, settings: Settings) -> None:
        """Local models keep derived files under `data_dir/models`."""
        self.local = LocalModels(settings.data_dir / "models", settings.llm.local_threads)
        self._default_timeout = settings.llm.request_timeout
        self._cache: OrderedDict[str, ChatModel | EmbeddingModel] = OrderedDict()

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
            self._cache.popitem(last=False)
