"""Build the adapter for a resolved model target.

Adapter modules are imported when first needed, so importing this module does not import any
provider SDK. Provider names follow IBM's client library (``openai``, ``watsonx``,
``mistral-ai``, ``ollama``), plus ``openai-compatible`` for vLLM, llama.cpp server, LM Studio and
other servers that speak OpenAI's API (their ``config.base_url`` is required). ``local`` models
are built by :class:`wxo.llm.runtime.ModelRuntime`, not here.
"""

from __future__ import annotations

import importlib
from typing import Any

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


# provider -> (module, chat adapter class, embedding adapter class)
_ADAPTERS: dict[str, tuple[str, str, str]] = {
    OPENAI: ("wxo.llm.providers.openai", "OpenAIChatModel", "OpenAIEmbeddingModel"),
    OPENAI_COMPATIBLE: ("wxo.llm.providers.openai", "OpenAIChatModel", "OpenAIEmbeddingModel"),
    WATSONX: ("wxo.llm.providers.watsonx", "WatsonxChatModel", "WatsonxEmbeddingModel"),
    MISTRAL: ("wxo.llm.providers.mistral", "MistralChatModel", "MistralEmbeddingModel"),
    OLLAMA: ("wxo.llm.providers.ollama", "OllamaChatModel", "OllamaEmbeddingModel"),
}


def _build(target: ModelTarget, kind: int) -> Any:
    """Import the provider's adapter module and build its chat (1) or embedding (2) adapter."""
    provider = canonical_provider(target.provider)
    if provider == LOCAL:
        raise ProviderNotSupportedError(
            f"'{target.name}' is a built-in model: wxo.llm.runtime.ModelRuntime builds those"
        )
    module_name, *classes = _ADAPTERS[provider]
    adapter = getattr(importlib.import_module(module_name), classes[kind - 1])
    if provider == OPENAI_COMPATIBLE:
        return adapter(_compatible_target(target), provider=OPENAI_COMPATIBLE)
    return adapter(target)


def build_chat_model(target: ModelTarget) -> ChatModel:
    """The chat adapter for ``target``.

    Raises:
        ProviderNotSupportedError: For a provider without an adapter (or a built-in model).
        ProviderConfigError: If the target's configuration lacks what the adapter needs.
    """
    model: ChatModel = _build(target, 1)
    return model


def build_embedding_model(target: ModelTarget) -> EmbeddingModel:
    """The embedding adapter for ``target``.

    Raises:
        ProviderNotSupportedError: For a provider without an adapter (or a built-in model).
        ProviderConfigError: If the target's configuration lacks what the adapter needs.
    """
    model: EmbeddingModel = _build(target, 2)
    return model
