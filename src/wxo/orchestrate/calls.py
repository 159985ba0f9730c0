"""The loop's calls out: one streamed model call, one knowledge base search."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from wxo.llm import service as llm_service
from wxo.llm.base import ChatRequest, ToolCall
from wxo.orchestrate.state import Level, LoopState
from wxo.orchestrate.tools import Tool

FALLBACK_MODEL = "local/extractive"
_RESULTS_FOR_MODEL = 5
_BODY_FOR_MODEL = 1500


async def call_model(
    state: LoopState, level: Level, request: ChatRequest, *, separate: bool
) -> tuple[str, list[ToolCall]]:
    """One streamed model call: text (streamed when the level streams) and its tool calls."""
    state.check()
    model, stream = await llm_service.stream_chat(state.env.proxy, level.route, request)
    parts: list[str] = []
    calls: dict[int, dict[str, str]] = {}
    usage = None
    try:
        async for chunk in stream:
            state.check()
            if chunk.content:
                if level.stream:
                    lead = "\n\n" if separate and not parts else ""
                    await state.delta(lead + chunk.content)
                parts.append(chunk.content)
            for delta in chunk.tool_calls:
                call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
                call["id"] = delta.id or call["id"]
                call["name"] = delta.name or call["name"]
                call["arguments"] += delta.arguments
            usage = chunk.usage or usage
    finally:
        await _close(stream)
    provider = next((t.provider for t in level.route.targets if t.name == model), "unknown")
    state.tally.add(model, provider, usage)
    tool_calls = [
        ToolCall(
            id=c["id"] or f"call_{uuid.uuid4().hex[:24]}",
            name=c["name"],
            arguments=c["arguments"] or "{}",
        )
        for _, c in sorted(calls.items())
    ]
    return "".join(parts), tool_calls


async def _close(stream: AsyncIterator[Any]) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()


async def search(
    state: LoopState, tool: Tool, query: str, *, model_id: str | None, keep_empty: bool = False
) -> dict[str, Any]:
    """Search a knowledge base; keep its `conversational_search` item; results for the model.

    An item without search results is kept only with `keep_empty` (on the direct path its text
    is the answer); in the tool loop it would only add an empty citation block to the message.

    In the tool loop the knowledge base answers extractively (`local/extractive`: retrieval and
    quoting, no second generation); the agent's own model writes the answer from the results.
    """
    async with state.env.sessions() as session:
        found = await state.backends.search_kb(
            session, state.env.proxy, state.run.tenant_id, tool.target, query, model_id
        )
    item: dict[str, Any] = dict(found)
    if keep_empty or item.get("search_results"):
        state.items.append(item)
    results = [
        {
            "title": r.get("title"),
            "url": r.get("url"),
            "body": (r.get("body") or "")[:_BODY_FOR_MODEL],
        }
        for r in (item.get("search_results") or [])[:_RESULTS_FOR_MODEL]
        if isinstance(r, dict)
    ]
    return {"knowledge_base": tool.label, "answer": item.get("text"), "results": results}


def as_text(payload: dict[str, Any]) -> str:
    """A tool result as the JSON text models are given."""
    return json.dumps(payload, ensure_ascii=False)
