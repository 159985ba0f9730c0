"""The LlamaIndex adapter's sync bridge (no model is called: the guard fires first)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from llama_index.core.base.llms.types import CompletionResponse

from wxo.llm.base import ModelTarget, ProviderConfig
from wxo.llm.routing import Route
from wxo.llm.service import ProxyContext
from wxo.rag.llm import CONTEXT_WINDOWS, DEFAULT_CONTEXT_WINDOW, ProxyLLM, SyncCallOnLoopError


def _route(name: str) -> Route:
    target = ModelTarget(
        name=name, provider="local", upstream_model=name, config=ProviderConfig(provider="local")
    )
    return Route(targets=(target,))


async def test_sync_calls_on_the_event_loop_are_refused_not_deadlocked() -> None:
    llm = ProxyLLM(cast(ProxyContext, object()), _route("local/smollm2-135m-instruct"))
    with pytest.raises(SyncCallOnLoopError):
        llm.complete("hello")
    assert llm.calls == 0


async def test_metadata_follows_the_model_and_max_tokens() -> None:
    small = ProxyLLM(
        cast(ProxyContext, object()), _route("local/smollm2-135m-instruct"), max_tokens=40
    )
    other = ProxyLLM(cast(ProxyContext, object()), _route("virtual-model/x/y"))
    assert small.metadata.context_window == CONTEXT_WINDOWS["local/smollm2-135m-instruct"]
    assert small.metadata.num_output == 40
    assert small.metadata.is_chat_model is True
    assert other.metadata.context_window == DEFAULT_CONTEXT_WINDOW
    assert other.metadata.model_name == "virtual-model/x/y"


async def test_sync_calls_from_a_worker_thread_run_on_the_loop() -> None:
    llm = ProxyLLM(cast(ProxyContext, object()), _route("m"))
    seen: list[Any] = []

    async def fake_acomplete(prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        seen.append(asyncio.get_running_loop())
        return CompletionResponse(text="done")

    object.__setattr__(llm, "acomplete", fake_acomplete)
    result = await asyncio.to_thread(llm.complete, "hi")
    assert result.text == "done"
    assert seen == [asyncio.get_running_loop()]
