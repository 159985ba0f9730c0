"""The factory picks the adapter by provider name, lazily, and refuses unknown providers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.llm.providers.cases import make_target
from tests.integration.llm.providers.conftest import Built
from wxo.core.config import Settings
from wxo.core.errors import InvalidInputError
from wxo.llm.base import ChatModel, EmbeddingModel
from wxo.llm.local.extractive import ExtractiveChatModel
from wxo.llm.providers.errors import ProviderConfigError, ProviderNotSupportedError
from wxo.llm.providers.factory import (
    build_chat_model,
    build_embedding_model,
    canonical_provider,
)
from wxo.llm.providers.mistral import MistralChatModel, MistralEmbeddingModel
from wxo.llm.providers.ollama import OllamaChatModel, OllamaEmbeddingModel
from wxo.llm.providers.openai import OpenAIChatModel, OpenAIEmbeddingModel
from wxo.llm.providers.watsonx import WatsonxChatModel, WatsonxEmbeddingModel
from wxo.llm.runtime import ModelRuntime


@pytest.mark.parametrize(
    ("provider", "chat_type", "embedding_type"),
    [
        ("openai", OpenAIChatModel, OpenAIEmbeddingModel),
        ("openai-compatible", OpenAIChatModel, OpenAIEmbeddingModel),
        ("watsonx", WatsonxChatModel, WatsonxEmbeddingModel),
        ("watsonx.ai", WatsonxChatModel, WatsonxEmbeddingModel),
        ("mistral-ai", MistralChatModel, MistralEmbeddingModel),
        ("MistralAI", MistralChatModel, MistralEmbeddingModel),
        ("ollama", OllamaChatModel, OllamaEmbeddingModel),
    ],
)
def test_each_provider_gets_its_adapter(
    build: Built, provider: str, chat_type: type, embedding_type: type
) -> None:
    target = make_target(
        provider, "some-model", base_url="http://127.0.0.1:9", project_id="p", name="my-model"
    )

    chat = build.chat(target)
    embedding = build.embedding(target.model_copy(update={"model_type": "embedding"}))

    assert isinstance(chat, chat_type)
    assert isinstance(chat, ChatModel)
    assert chat.model_id == "my-model"
    assert isinstance(embedding, embedding_type)
    assert isinstance(embedding, EmbeddingModel)


def test_openai_compatible_servers_are_not_treated_as_openai(build: Built) -> None:
    target = make_target("openai-compatible", "llama", base_url="https://api.openai.com/v1")

    chat = build.chat(target)

    assert isinstance(chat, OpenAIChatModel)
    assert chat.compatible
    assert chat.provider == "openai-compatible"


def test_openai_compatible_needs_a_base_url() -> None:
    with pytest.raises(ProviderConfigError, match="needs the server's base_url"):
        build_chat_model(make_target("openai-compatible", "llama"))


@pytest.mark.parametrize("provider", ["anthropic", "bam", "azure-openai", ""])
def test_unknown_providers_are_refused(provider: str) -> None:
    target = make_target(provider, "m")

    with pytest.raises(ProviderNotSupportedError) as caught:
        build_chat_model(target)
    with pytest.raises(ProviderNotSupportedError):
        build_embedding_model(target)

    assert isinstance(caught.value, InvalidInputError)
    assert f"provider '{provider}' is not supported" in str(caught.value)
    assert "openai, openai-compatible, watsonx, mistral-ai, ollama, local" in str(caught.value)


def test_canonical_names() -> None:
    assert canonical_provider(" Mistral ") == "mistral-ai"
    assert canonical_provider("ibm-watsonx") == "watsonx"


def test_built_in_models_are_refused_here_and_built_by_the_runtime(tmp_path: Path) -> None:
    target = make_target("local", "extractive", api_key=None)
    for build in (build_chat_model, build_embedding_model):
        with pytest.raises(ProviderNotSupportedError, match="built-in model"):
            build(target)

    runtime = ModelRuntime(Settings(data_dir=tmp_path, _env_file=None))
    assert isinstance(runtime.chat(target), ExtractiveChatModel)


def test_importing_the_factory_imports_no_sdk() -> None:
    code = (
        "import sys, wxo.llm.providers.factory; "
        "print(sorted(m for m in ('openai', 'mistralai', 'ollama') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
