"""The direct path, for models that cannot call tools (`local/extractive`, `local/smollm2-...`).

Such a model is never offered tools. Instead the agent's knowledge bases are searched directly
with the user's message, each search reported as a `tool_calls` / `tool_response` step pair whose
response says why (`"note"`), and the answer is the searches' `conversational_search` items (with
their citations), their text streamed as deltas. The knowledge base answers with the agent's
model (the extractive model quotes the best passages, so the citations are exact passages). An
agent without knowledge bases gets a plain answer from its model, without tools; collaborators and
assistants are not reachable on this path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wxo.core.errors import AppError
from wxo.llm.base import ChatMessage, ChatRequest
from wxo.orchestrate import prompts
from wxo.orchestrate.calls import as_text, call_model, search
from wxo.orchestrate.state import Level, LoopState
from wxo.runs.execution import HistoryMessage


def note(level: Level) -> str:
    """Why the knowledge base was searched without the model asking."""
    return (
        f"The model '{level.route.primary.name}' cannot call tools, so the knowledge base was "
        "searched directly with the user's message."
    )


async def answer(
    state: LoopState, level: Level, message: str, history: Sequence[HistoryMessage]
) -> str:
    """The answer without tool calls: knowledge base answers, or the model's own."""
    kb_tools = [tool for tool in level.tools if tool.kind == "knowledge_base"]
    if level.depth == 0:
        state.direct = True
    if not kb_tools:
        system = prompts.system_prompt(
            level.agent.instructions if level.agent else None,
            has_tools=False,
            context_variables=state.run.context_variables,
        )
        target = level.route.primary
        quotes = target.provider == "local" and target.upstream_model == "extractive"
        # the extractive model quotes its context: instructions would only be quoted back
        messages: list[ChatMessage] = [] if quotes else [ChatMessage(role="system", content=system)]
        messages += [ChatMessage(role=h.role, content=h.text) for h in history]
        messages.append(ChatMessage(role="user", content=message))
        text, _ = await call_model(
            state, level, ChatRequest(messages=messages, params=state.params), separate=False
        )
        return text
    texts: list[str] = []
    for n, tool in enumerate(kb_tools):
        state.check()
        call_id = f"direct_search_{n}"
        await state.step(
            [
                {
                    "type": "tool_calls",
                    "tool_calls": [{"id": call_id, "name": tool.name, "args": {"query": message}}],
                    "agent_display_name": level.label,
                }
            ]
        )
        before = len(state.items)
        payload: dict[str, Any]
        try:
            payload = await search(
                state, tool, message, model_id=level.route.primary.name, keep_empty=True
            )
        except AppError as exc:
            payload = {"error": str(exc)}
        await state.step(
            [
                {
                    "type": "tool_response",
                    "name": tool.name,
                    "tool_call_id": call_id,
                    "content": as_text({"note": note(level), **payload}),
                }
            ]
        )
        for item in state.items[before:]:
            text = str(item.get("text") or "")
            if text and level.stream:
                await state.delta(("\n\n" if texts else "") + text)
            if text:
                texts.append(text)
    if not texts:
        texts.append(prompts.NO_KNOWLEDGE)
        if level.stream:
            await state.delta(prompts.NO_KNOWLEDGE)
    return "\n\n".join(texts)


def content_for(state: LoopState, text: str) -> list[dict[str, Any]]:
    """The assistant message's content items.

    Direct path with knowledge base answers: those `conversational_search` items (their `text` is
    the answer). Otherwise a `text` item with the answer, then the `conversational_search` items
    of every knowledge base searched along the way (their citations back the answer).
    """
    if state.direct and state.items:
        return list(state.items)
    return [{"response_type": "text", "text": text}, *state.items]
