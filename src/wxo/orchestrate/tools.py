"""The tools an agent's model is offered, and how their names are made.

Naming (OpenAI function names: ``[A-Za-z0-9_-]{1,64}``):

* ``search_<kb name>`` - search one of the agent's knowledge bases; argument ``query``.
* ``transfer_to_<agent name>`` - hand a task to a collaborator agent, which runs its own loop
  (ADK's hand-off naming, threads.md §5); argument ``message``; the collaborator's answer is the
  tool's result.
* ``call_<assistant name>`` - ask an external chat agent, a watsonx Assistant instance or a
  custom assistant; argument ``message``.

Names are lower-cased, other characters become ``_``, and a clash gets ``_2``, ``_3`` ...
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.core.errors import NotFoundError
from wxo.llm.base import ToolSpec
from wxo.orchestrate.backends import AgentLike, Backends, Callee
from wxo.orchestrate.exceptions import ToolFailedError

logger = logging.getLogger(__name__)

ToolKind = Literal["knowledge_base", "agent", "assistant"]
_NOT_NAME = re.compile(r"[^a-z0-9_-]+")
_MAX_NAME = 64
BUILTIN_AGENTS = 20  # the built-in assistant is offered at most this many agents


@dataclass(frozen=True)
class Tool:
    """One offered tool and what it reaches."""

    name: str
    kind: ToolKind
    label: str  # the knowledge base's, agent's or assistant's own name
    target: Any  # kb id | AgentLike | Callee
    description: str

    @property
    def argument(self) -> str:
        """The one string argument the tool takes."""
        return "query" if self.kind == "knowledge_base" else "message"

    def spec(self) -> ToolSpec:
        """The tool as the model sees it."""
        what = (
            "A focused search query."
            if self.kind == "knowledge_base"
            else "The task or question, complete and self-contained."
        )
        return ToolSpec(
            name=self.name,
            description=self.description,
            parameters={
                "type": "object",
                "properties": {self.argument: {"type": "string", "description": what}},
                "required": [self.argument],
            },
        )


def slug(text: str) -> str:
    """A function-name-safe form of a name."""
    return _NOT_NAME.sub("_", text.lower()).strip("_") or "unnamed"


class _Names:
    def __init__(self) -> None:
        self.taken: set[str] = set()

    def make(self, prefix: str, label: str) -> str:
        base = (prefix + slug(label))[: _MAX_NAME - 3]
        name, n = base, 1
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name


def _matches(callee: Callee, ref: Any) -> bool:
    return str(callee.id) == str(ref) or callee.name == str(ref)


async def build_tools(
    session: AsyncSession,
    backends: Backends,
    tenant_id: uuid.UUID,
    agent: AgentLike | None,
) -> list[Tool]:
    """The tools of `agent`, or of the built-in assistant when `agent` is None.

    The built-in assistant is offered the tenant's visible agents (the first `BUILTIN_AGENTS`,
    oldest first) as `transfer_to_*` tools and every callable assistant. An agent is offered
    its knowledge bases, its collaborators (agents; a collaborator that is no agent is looked up
    among the callable assistants by id or name) and the callable assistants its `tools` name.
    References that resolve to nothing are skipped (logged), so a deleted collaborator does not
    break the agent.
    """
    names = _Names()
    tools: list[Tool] = []
    callees = list(await backends.list_callable(session, tenant_id))
    if agent is None:
        refs = (
            await backends.list_agents(session, tenant_id, BUILTIN_AGENTS)
            if backends.list_agents is not None
            else []
        )
        for ref in refs:
            tool = await _collaborator(session, backends, tenant_id, names, [], ref)
            if tool is not None:
                tools.append(tool)
        return tools + [_callee_tool(names, c) for c in callees]
    for kb_id in agent.knowledge_base_ids:
        try:
            name, description = await backends.describe_kb(session, tenant_id, kb_id)
        except NotFoundError:
            logger.warning("agent %s: knowledge base %s not found, not offered", agent.name, kb_id)
            continue
        about = f": {description}" if description else ""
        tools.append(
            Tool(
                name=names.make("search_", name),
                kind="knowledge_base",
                label=name,
                target=kb_id,
                description=f"Search the knowledge base '{name}'{about}. Returns passages "
                "and an answer drawn from them.",
            )
        )
    for ref in agent.collaborator_ids:
        tool = await _collaborator(session, backends, tenant_id, names, callees, ref)
        if tool is not None:
            tools.append(tool)
    for ref in getattr(agent, "tools", None) or []:
        callee = next((c for c in callees if _matches(c, ref)), None)
        if callee is not None:
            tools.append(_callee_tool(names, callee))
    return tools


async def _collaborator(
    session: AsyncSession,
    backends: Backends,
    tenant_id: uuid.UUID,
    names: _Names,
    callees: Sequence[Callee],
    ref: Any,
) -> Tool | None:
    try:
        other = await backends.load_agent(session, tenant_id, str(ref))
    except NotFoundError:
        callee = next((c for c in callees if _matches(c, ref)), None)
        if callee is None:
            logger.warning("collaborator %s not found, not offered", ref)
            return None
        return _callee_tool(names, callee)
    label = other.display_name or other.name
    about = other.description or f"The agent {label}."
    return Tool(
        name=names.make("transfer_to_", other.name),
        kind="agent",
        label=label,
        target=other,
        description=f"Hand a task to the agent '{label}': {about}",
    )


def _callee_tool(names: _Names, callee: Callee) -> Tool:
    kinds = {
        "external_chat": "external chat agent",
        "watsonx": "watsonx Assistant",
        "custom": "custom assistant",
    }
    what = kinds.get(callee.kind, "assistant")
    about = f": {callee.description}" if callee.description else "."
    return Tool(
        name=names.make("call_", callee.name),
        kind="assistant",
        label=callee.name,
        target=callee,
        description=f"Ask the {what} '{callee.name}'{about}",
    )


def parse_arguments(tool: Tool, arguments: str) -> str:
    """The tool's one string argument from the model's JSON arguments.

    Raises:
        ToolFailedError: The arguments are not a JSON object with that string (told to the model).
    """
    try:
        parsed = json.loads(arguments or "{}")
    except json.JSONDecodeError as exc:
        raise ToolFailedError(f"the arguments are not valid JSON ({exc.msg})") from None
    value = parsed.get(tool.argument) if isinstance(parsed, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise ToolFailedError(f"the argument '{tool.argument}' (a non-empty string) is required")
    return value.strip()


def args_object(arguments: str) -> dict[str, Any]:
    """The model's arguments as an object for the step history (raw text kept if not JSON)."""
    try:
        parsed = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return {"_raw": arguments}
    return parsed if isinstance(parsed, dict) else {"_raw": arguments}
