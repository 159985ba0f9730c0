"""System prompts of the Orchestrate Assistant and of agents run by the loop."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

ASSISTANT_NAME = "Orchestrate Assistant"

DEFAULT_INSTRUCTIONS = (
    "You are the Orchestrate Assistant, a helpful assistant. Answer the user's request "
    "accurately and concisely. When a tool can help (a knowledge base to search, an agent or "
    "assistant to ask), call it, then answer from what it returned. If the tools do not help, "
    "say what you know and what you could not find. Never invent facts or sources."
)

_TOOL_GUIDE = (
    "Tools: `search_*` tools search a knowledge base (pass a focused search query); "
    "`transfer_to_*` tools hand a task to another agent and return its answer; `call_*` tools "
    "ask an external assistant. Use the answers they return; cite knowledge base facts."
)


def system_prompt(
    instructions: str | None,
    *,
    has_tools: bool,
    context_variables: Mapping[str, Any] | None = None,
    agent_names: Sequence[str] = (),
) -> str:
    """The system message: the agent's instructions (or the default), a tool guide, context."""
    parts = [
        instructions.strip() if instructions and instructions.strip() else DEFAULT_INSTRUCTIONS
    ]
    if has_tools:
        parts.append(_TOOL_GUIDE)
    if agent_names:
        parts.append("You are " + " / ".join(agent_names) + ".")
    if context_variables:
        lines = "\n".join(f"- {key}: {value}" for key, value in sorted(context_variables.items()))
        parts.append("Context variables of this conversation:\n" + lines)
    return "\n\n".join(parts)


LIMIT_NOTE = (
    "You have used every tool call you are allowed for this request. Answer the user now from "
    "what the tools returned so far, without calling any more tools."
)

NO_ANSWER = "I could not finish this request: the tools were called too many times."

NO_KNOWLEDGE = "I could not find an answer in the knowledge bases."
