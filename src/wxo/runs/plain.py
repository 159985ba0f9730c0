"""The built-in plain executor: one chat call through the Model Proxy, streamed.

The thread's history and the user message go to the model named by
`additional_parameters.llm_model_id` (or `model_id`), else the tenant's default chat model, else
the built-in `local/extractive` responder (which can only quote the conversation). `llm_params`
map onto the request (`wxo.runs.params`). Each streamed piece becomes a `message.delta`.
"""

from __future__ import annotations

from typing import Any

from wxo.llm import service as proxy
from wxo.llm.base import ChatMessage, ChatRequest, Usage
from wxo.llm.exceptions import NoDefaultModelError
from wxo.llm.routing import Route
from wxo.runs.execution import RunEnv, RunInput, RunOutput, RunSink
from wxo.runs.params import chat_params, model_of

FALLBACK_MODEL = "local/extractive"


async def _route(env: RunEnv, model: str | None) -> Route:
    async with env.sessions() as session:
        try:
            return await proxy.resolve_route(session, env.proxy, model, "chat")
        except NoDefaultModelError:
            return await proxy.resolve_route(session, env.proxy, FALLBACK_MODEL, "chat")


def usage_of(model: str, provider: str | None, usage: Usage) -> dict[str, Any]:
    """The `message.completed` usage shape: `{token_usage{total_tokens}, model_usage[...]}`."""
    return {
        "token_usage": {"total_tokens": usage.total_tokens},
        "model_usage": [
            {
                "model_name": model,
                "provider": provider,
                "token_usage": {
                    "prompt_tokens": usage.prompt_tokens,
                    "completion_tokens": usage.completion_tokens,
                    "total_tokens": usage.total_tokens,
                },
            }
        ],
    }


async def plain_executor(env: RunEnv, run: RunInput, sink: RunSink) -> RunOutput:
    """Answer the user message with one streamed model call."""
    route = await _route(env, model_of(run.additional_parameters, run.llm_params))
    messages = [
        ChatMessage(role="assistant" if h.role == "assistant" else "user", content=h.text)
        for h in run.history
        if h.text
    ]
    messages.append(ChatMessage(role="user", content=run.message))
    request = ChatRequest(messages=messages, params=chat_params(run.llm_params))
    model, stream = await proxy.stream_chat(env.proxy, route, request)
    parts: list[str] = []
    usage = Usage()
    try:
        async for chunk in stream:
            usage = chunk.usage or usage
            if chunk.content:
                parts.append(chunk.content)
                await sink.delta(chunk.content)
            if sink.cancelled():
                break
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()
    provider = next((t.provider for t in route.targets if t.name == model), None)
    return RunOutput(
        content=[{"response_type": "text", "text": "".join(parts)}],
        usage=usage_of(model, provider, usage),
        agent_id=run.agent_id,
    )
