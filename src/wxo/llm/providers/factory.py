"""Build the adapter for a resolved model target.

Adapter modules are imported when first needed, so importing this module does not import any
provider SDK. Provider names follow IBM's client library (``openai``, ``watsonx``,
``mistral-ai``, ``ollama``), plus ``openai-compatible`` for vLLM, llama.cpp server, LM Studio and
other servers that speak OpenAI's API (their ``config.base_url`` is required), and ``local``
for the in-process models of :mod:`wxo.llm.local`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

from wxo.llm.base import ChatModel, EmbeddingModel, ModelTarget
from wxo.llm.providers.errors import ProviderConfigError, ProviderNotSupportedError

OPENAI = "openai"
OPENAI_COMPATIBLE = "openai-compatible"
WATSONX = "watsonx"
MISTRAL = "mistral-ai"
OLLAMA = "ollama"
LOCAL = "local"

# Other spellings seen in model names and configurations.
ALIASES = {
    "openai_compatible": OPENAI_COMPATIBLE,
    "watsonx.ai": WATSONX,
    "watsonx-ai": WATSONX,
    "ibm-watsonx": WATSONX,
    "mistral": MISTRAL,
    "mistralai": MISTRAL,
    "mistral_ai": MISTRAL,
}
SUPPORTED = (OPENAI, OPENAI_COMPATIBLE, WATSONX, MISTRAL, OLLAMA, LOCAL)


def canonical_provider(name: str) -> str:
    """The provider's canonical name.

    Raises:
        ProviderNotSupportedError: If no adapter serves it.
    """
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in SUPPORTED:
        raise ProviderNotSupportedError(
            f"provider '{name}' is not supported; supported: {', '.join(SUPPORTED)}"
        )
    return key


def _compatible_target(target: ModelTarget) -> ModelTarget:
    if not target.config.base_url:
        raise ProviderConfigError(
            f"{OPENAI_COMPATIBLE}: model '{target.name}' needs the server's base_url"
        )
    extra = {**target.config.extra, "openai_compatible": True}
    return target.model_copy(update={"config": target.config.model_copy(update={"extra": extra})})


def _local() -> ModuleType:
    """:mod:`wxo.llm.local.factory`, imported only when a local model is built."""
    return importlib.import_module("wxo.llm.local.factory")


def build_chat_model(target: ModelTarget) -> ChatModel:
    """The chat adapter for ``target``.

    Raises:
        ProviderNotSupportedError: For a provider without an adapter.
        ProviderConfigError: If the target's configuration lacks what the adapter needs.
    """
    provider = canonical_provider(target.provider)
    if provider in (OPENAI, OPENAI_COMPATIBLE):
        from wxo.llm.providers.openai import OpenAIChatModel

        if provider == OPENAI_COMPATIBLE:
            return OpenAIChatModel(_compatible_target(target), provider=OPENAI_COMPATIBLE)
        return OpenAIChatModel(target)
    if provider == WATSONX:
        from wxo.llm.providers.watsonx import WatsonxChatModel

        return WatsonxChatModel(target)
    if provider == MISTRAL:
        from wxo.llm.providers.mistral import MistralChatModel

        return MistralChatModel(target)
    if provider == OLLAMA:
        from wxo.llm.providers.ollama import OllamaChatModel

        return OllamaChatModel(target)
    build: Callable[[ModelTarget], ChatModel] = _local().build_local_chat_model
    return build(target)


def build_embedding_model(target: ModelTarget) -> EmbeddingModel:
    """The embedding adapter for ``target``.

    Raises:
        ProviderNotSupportedError: For a provider without an adapter.
        ProviderConfigError: If the target's configuration lacks what the adapter needs.
    """
    provider = canonical_provider(target.provider)
    if provider in (OPENAI, OPENAI_COMPATIBLE):
        from wxo.llm.providers.openai import OpenAIEmbeddingModel

        if provider == OPENAI_COMPATIBLE:
            return OpenAIEmbeddingModel(_compatible_target(target), provider=OPENAI_COMPATIBLE)
        return OpenAIEmbeddingModel(target)
    if provider == WATSONX:
        from wxo.llm.providers.watsonx import WatsonxEmbeddingModel

        return WatsonxEmbeddingModel(target)
    if provider == MISTRAL:
        from wxo.llm.providers.mistral import MistralEmbeddingModel

        return MistralEmbeddingModel(target)
    if provider == OLLAMA:
        from wxo.llm.providers.ollama import OllamaEmbeddingModel

        return OllamaEmbeddingModel(target)
    build: Callable[[ModelTarget], EmbeddingModel] = _local().build_local_embedding_model
    return build(target)
