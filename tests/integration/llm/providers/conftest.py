"""One fake provider host for the session; a clean script and record for each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

import wxo.llm.providers.watsonx as watsonx
from tests.integration.llm.providers.fake_upstream import FakeUpstream, ServerThread
from wxo.llm.base import ChatModel, EmbeddingModel, ModelTarget
from wxo.llm.providers.factory import build_chat_model, build_embedding_model


@pytest.fixture(scope="session")
def upstream_server() -> Iterator[FakeUpstream]:
    """The fake provider host, started once."""
    app = FakeUpstream()
    server = ServerThread(app)
    server.start()
    yield app
    server.stop()


@pytest.fixture(autouse=True)
def no_cached_iam_tokens() -> Iterator[None]:
    """Each test starts without watsonx.ai tokens cached by another."""
    watsonx._tokens.clear()
    yield
    watsonx._tokens.clear()


@pytest.fixture
def upstream(upstream_server: FakeUpstream) -> Iterator[FakeUpstream]:
    """The fake provider host with an empty script and record."""
    upstream_server.reset()
    yield upstream_server
    upstream_server.reset()


class Built:
    """Builds adapters through the factory and closes them after the test."""

    def __init__(self) -> None:
        self.models: list[ChatModel | EmbeddingModel] = []

    def chat(self, target: ModelTarget) -> ChatModel:
        model = build_chat_model(target)
        self.models.append(model)
        return model

    def embedding(self, target: ModelTarget) -> EmbeddingModel:
        model = build_embedding_model(target)
        self.models.append(model)
        return model


@pytest.fixture
async def build() -> AsyncIterator[Built]:
    """Adapters built for this test, closed at its end."""
    built = Built()
    yield built
    for model in built.models:
        await model.aclose()  # type: ignore[union-attr]
