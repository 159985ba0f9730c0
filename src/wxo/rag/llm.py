# ruff: noqa: ARG002  (LlamaIndex fixes the signatures: `formatted`, `**kwargs` are unused)
"""A LlamaIndex LLM over our Model Proxy (retries, fallbacks and usage accounting included).

LlamaIndex components call it like any LLM; every call goes through `wxo.llm.service.chat` or
`stream_chat` with the tenant's `ProxyContext` and a route resolved beforehand. The async methods
are the real ones. The sync methods exist for LlamaIndex parts that only have a sync path (e.g.
`HyDEQueryTransform`): run those in a worker thread (`asyncio.to_thread`); the sync call then
hands its coroutine to the event loop the adapter was created on and waits for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage as LIChatMessage,
)
from llama_index.core.base.llms.types import (
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms.custom import CustomLLM
from pydantic import PrivateAttr

from wxo.llm import service as proxy
from wxo.llm.base import ChatMessage, ChatRequest, GenerationParams, Role, Usage
from wxo.llm.routing import Route

#: Context windows of the built-in chat models; other models are assumed to take this default.
CONTEXT_WINDOWS = {"local/smollm2-135m-instruct": 2048, "local/extractive": 1_000_000}
DEFAULT_CONTEXT_WINDOW = 8192
_ROLES: dict[str, Role] = {
    MessageRole.SYSTEM.value: "system",
    MessageRole.USER.value: "user",
    MessageRole.ASSISTANT.value: "assistant",
    MessageRole.TOOL.value: "tool",
}


class SyncCallOnLoopError(RuntimeError):
    """A sync LLM method was called on the event loop's thread (it would deadlock)."""


class ProxyLLM(CustomLLM):
    """LlamaIndex `LLM` whose calls go through the Model Proxy; counts the tokens it used."""

    model_name: str = "proxy"
    context_window: int = DEFAULT_CONTEXT_WINDOW
    num_output: int = 256
    temperature: float | None = 0.0
    _ctx: proxy.ProxyContext = PrivateAttr()
    _route: Route = PrivateAttr()
    _loop: asyncio.AbstractEventLoop = PrivateAttr()
    _usage: Usage = PrivateAttr(default_factory=Usage)
    _calls: int = PrivateAttr(default=0)

    def __init__(
        self,
        ctx: proxy.ProxyContext,
        route: Route,
        *,
        max_tokens: int | None = None,
        temperature: float | None = 0.0,
    ) -> None:
        """Call `route` (resolved for chat) as `ctx`'s tenant; create on the event loop."""
        name = route.primary.name
        super().__init__(
            model_name=name,
            context_window=CONTEXT_WINDOWS.get(name, DEFAULT_CONTEXT_WINDOW),
            num_output=max_tokens or 256,
            temperature=temperature,
        )
        self._ctx = ctx
        self._route = route
        self._loop = asyncio.get_running_loop()
        self._usage = Usage()
        self._calls = 0

    @classmethod
    def class_name(cls) -> str:
        """LlamaIndex's serialisation name."""
        return "wxo_proxy_llm"

    @property
    def metadata(self) -> LLMMetadata:
        """Window and output size LlamaIndex packs prompts for."""
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.num_output,
            is_chat_model=True,
            model_name=self.model_name,
        )

    @property
    def usage(self) -> Usage:
        """Tokens of every call so far."""
        return self._usage

    @property
    def calls(self) -> int:
        """Calls made so far."""
        return self._calls

    def _request(self, messages: Sequence[LIChatMessage]) -> ChatRequest:
        return ChatRequest(
            messages=[
                ChatMessage(role=_ROLES.get(m.role.value, "user"), content=m.content or "")
                for m in messages
            ],
            params=GenerationParams(max_tokens=self.num_output, temperature=self.temperature),
        )

    def _add(self, usage: Usage | None) -> None:
        self._calls += 1
        if usage is not None:
            self._usage = Usage(
                prompt_tokens=self._usage.prompt_tokens + usage.prompt_tokens,
                completion_tokens=self._usage.completion_tokens + usage.completion_tokens,
            )

    async def achat(self, messages: Sequence[LIChatMessage], **kwargs: Any) -> ChatResponse:
        """One answer from the proxy."""
        result = await proxy.chat(self._ctx, self._route, self._request(messages))
        self._add(result.usage)
        return ChatResponse(
            message=LIChatMessage(role=MessageRole.ASSISTANT, content=result.content or "")
        )

    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """The prompt as one user message."""
        response = await self.achat([LIChatMessage(role=MessageRole.USER, content=prompt)])
        return CompletionResponse(text=response.message.content or "")

    async def astream_chat(
        self, messages: Sequence[LIChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """Deltas from the proxy's stream."""
        _, chunks = await proxy.stream_chat(self._ctx, self._route, self._request(messages))

        async def gen() -> AsyncGenerator[ChatResponse, None]:
            text = ""
            usage: Usage | None = None
            try:
                async for chunk in chunks:
                    usage = chunk.usage or usage
                    if chunk.content:
                        text += chunk.content
                        yield ChatResponse(
                            message=LIChatMessage(role=MessageRole.ASSISTANT, content=text),
                            delta=chunk.content,
                        )
            finally:
                self._add(usage)
                aclose = getattr(chunks, "aclose", None)
                if aclose is not None:
                    await aclose()

        return gen()

    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """Deltas for the prompt as one user message."""
        stream = await self.astream_chat([LIChatMessage(role=MessageRole.USER, content=prompt)])

        async def gen() -> AsyncGenerator[CompletionResponse, None]:
            async for part in stream:
                yield CompletionResponse(text=part.message.content or "", delta=part.delta)

        return gen()

    def _on_loop(self, coroutine: Any) -> Any:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            coroutine.close()
            raise SyncCallOnLoopError("call the async methods, or run this in a worker thread")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def chat(self, messages: Sequence[LIChatMessage], **kwargs: Any) -> ChatResponse:
        """`achat` from a worker thread."""
        response: ChatResponse = self._on_loop(self.achat(messages))
        return response

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """`acomplete` from a worker thread."""
        response: CompletionResponse = self._on_loop(self.acomplete(prompt))
        return response

    def stream_chat(self, messages: Sequence[LIChatMessage], **kwargs: Any) -> ChatResponseGen:
        """The whole answer as one piece (worker thread)."""
        response = self.chat(messages)
        yield ChatResponse(message=response.message, delta=response.message.content)

    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """The whole answer as one piece (worker thread)."""
        response = self.complete(prompt)
        yield CompletionResponse(text=response.text, delta=response.text)
