"""SmolLM2 on llama.cpp: a streamed answer reports the same prompt tokens as an unstreamed one."""

from __future__ import annotations

import pytest

from wxo.llm.base import ChatMessage, ChatRequest, GenerationParams
from wxo.llm.local.smollm import SmolLMChatModel

pytest.importorskip("llama_cpp", reason="the local-llm extra is not installed")


@pytest.fixture(scope="module")
def smollm() -> SmolLMChatModel:
    """The model, loaded once for the module."""
    return SmolLMChatModel(threads=1)


@pytest.mark.parametrize(
    "messages",
    [
        [ChatMessage(role="user", content="Where does the Eiffel Tower stand?")],
        [
            ChatMessage(role="system", content="Answer in one short sentence."),
            ChatMessage(role="user", content="Name a colour."),
            ChatMessage(role="assistant", content="Blue."),
            ChatMessage(role="user", content="And another one?"),
        ],
    ],
)
async def test_streamed_usage_counts_the_prompt_as_the_unstreamed_call_does(
    smollm: SmolLMChatModel, messages: list[ChatMessage]
) -> None:
    request = ChatRequest(messages=messages, params=GenerationParams(max_tokens=4, seed=1))
    whole = await smollm.complete(request)
    chunks = [chunk async for chunk in smollm.stream(request)]
    (usage,) = [c.usage for c in chunks if c.usage is not None]
    assert usage.prompt_tokens == whole.usage.prompt_tokens
    assert usage.completion_tokens == len([c for c in chunks if c.content])
