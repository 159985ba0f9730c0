"""The Orchestrate Assistant's agent loop: the `Executor` of runs (`wxo.runs.execution`).

A run's agent (`RunInput.agent_id`, or the built-in "Orchestrate Assistant" without one) answers
through the Model Proxy in rounds: the model is offered the agent's tools (see
`wxo.orchestrate.tools` for their names); each round's tool calls are reported as a `tool_calls`
step, carried out one after another, and each result is reported as a `tool_response` step and
given back to the model. Text streams to the client as the model writes it (`sink.delta`); the
answer is all text the model wrote, rounds separated by a blank line.

Limits: at most `MAX_TOOL_ROUNDS` (6) rounds of tool calls; then the model is asked once more,
without tools, to answer from what it has. Collaborator agents run their own loop, nested at most
`MAX_DEPTH` (3) deep and never re-entering an agent already in the chain. A failing tool (bad
arguments, unknown tool, a knowledge base or assistant that errs) becomes an ``Error: ...`` tool
result the model can react to; a failing model fails the run. `sink.cancelled()` is checked before
every model call, every tool call and every streamed chunk; once it is true the loop stops and
returns what it has (the text streamed so far, the steps, the usage), which the run machinery
records as a cancelled run (raising instead would race its own cancellation watcher).

Models without tool calling (the built-in `local/...` models, a model registered with
``provider_config.metadata.tools = "false"``, or a model whose provider rejects the first
request with tools with a 400 that mentions tools, as Ollama does for models without tool
support) take the direct path (`wxo.orchestrate.direct`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.core.errors import AppError, NotFoundError
from wxo.llm import service as llm_service
from wxo.llm.base import ChatMessage, ChatRequest, ToolCall
from wxo.llm.providers.errors import ProviderInvalidRequestError
from wxo.llm.routing import Route
from wxo.orchestrate import direct, prompts
from wxo.orchestrate.backends import AgentLike, Backends, default_backends
from wxo.orchestrate.calls import FALLBACK_MODEL, as_text, call_model, search
from wxo.orchestrate.exceptions import ToolFailedError
from wxo.orchestrate.state import MAX_DEPTH, MAX_TOOL_ROUNDS, Level, LoopState, RunStoppedError
from wxo.orchestrate.tools import Tool, args_object, build_tools, parse_arguments
from wxo.runs import params as run_params
from wxo.runs.execution import HistoryMessage, RunEnv, RunInput, RunOutput, RunSink

logger = logging.getLogger(__name__)

__all__ = ["MAX_DEPTH", "MAX_TOOL_ROUNDS", "execute", "run_loop"]


async def execute(env: RunEnv, run: RunInput, sink: RunSink) -> RunOutput:
    """Execute a run with the real services (the runs' default executor)."""
    return await run_loop(env, run, sink, default_backends(env.settings))


async def run_loop(
    env: RunEnv,
    run: RunInput,
    sink: RunSink,
    backends: Backends,
    *,
    max_rounds: int = MAX_TOOL_ROUNDS,
    max_depth: int = MAX_DEPTH,
) -> RunOutput:
    """Answer `run` as its agent (or custom assistant), reporting progress to `sink`.

    Raises:
        NotFoundError: The agent, its model or the custom assistant does not exist.
        UpstreamError: The model failed (after the Model Proxy's retries and fallbacks).
    """
    state = LoopState(
        env,
        run,
        sink,
        backends,
        run_params.chat_params(run.llm_params),
        max_rounds=max_rounds,
        max_depth=max_depth,
    )
    if run.assistant_id is not None:
        try:
            return await _answer_with_assistant(state)
        except RunStoppedError:
            return _stopped(state, None)
    async with env.sessions() as session:
        agent = (
            await backends.load_agent(session, run.tenant_id, run.agent_id)
            if run.agent_id
            else None
        )
        level = await prepare_level(session, state, agent, model=_model_override(run))
    try:
        text = await answer(state, level, run.message, run.history)
    except RunStoppedError:
        return _stopped(state, agent)
    content = direct.content_for(state, text)
    return RunOutput(
        content=content,
        step_history=state.steps,
        usage=state.tally.as_dict(),
        agent_id=str(agent.id) if agent is not None else None,
    )


def _stopped(state: LoopState, agent: AgentLike | None) -> RunOutput:
    """What a cancelled run had produced: the text streamed so far, its steps and usage."""
    return RunOutput(
        content=[{"response_type": "text", "text": "".join(state.streamed)}],
        step_history=state.steps,
        usage=state.tally.as_dict(),
        agent_id=str(agent.id) if agent is not None else None,
    )


def _model_override(run: RunInput) -> str | None:
    """A model the run names (`additional_parameters.llm_model_id`, ...) over the agent's."""
    return run_params.model_of(run.additional_parameters, run.llm_params)


async def resolve_model(session: AsyncSession, state: LoopState, name: str | None) -> Route:
    """The agent's model, else the tenant's default chat model, else `local/extractive`."""
    try:
        return await llm_service.resolve_route(session, state.env.proxy, name, "chat")
    except NotFoundError:
        if name is not None:
            raise
    return await llm_service.resolve_route(session, state.env.proxy, FALLBACK_MODEL, "chat")


def calls_tools(route: Route) -> bool:
    """Whether the route's model can call tools.

    Not for the built-in `local/...` models, nor for a model registered with
    `provider_config.metadata.tools = "false"`.
    """
    target = route.primary
    metadata = target.config.extra.get("metadata") or {}
    off = isinstance(metadata, dict) and str(metadata.get("tools", "")).lower() in (
        "false",
        "no",
        "0",
    )
    return target.provider != "local" and not off


async def prepare_level(
    session: AsyncSession,
    state: LoopState,
    agent: AgentLike | None,
    *,
    model: str | None = None,
    depth: int = 0,
    chain: tuple[str, ...] = (),
) -> Level:
    """Resolve an agent's model and tools."""
    route = await resolve_model(session, state, model or (agent.llm if agent else None))
    tools = await build_tools(session, state.backends, state.run.tenant_id, agent)
    label = (agent.display_name or agent.name) if agent else prompts.ASSISTANT_NAME
    return Level(
        agent=agent,
        label=label,
        route=route,
        tools=tools,
        tool_use=calls_tools(route),
        depth=depth,
        stream=depth == 0,
        chain=(*chain, agent.name if agent else prompts.ASSISTANT_NAME),
    )


async def answer(
    state: LoopState, level: Level, message: str, history: Sequence[HistoryMessage]
) -> str:
    """The level's answer to `message`: the tool loop, or the direct path without tool calling."""
    if not level.tool_use:
        return await direct.answer(state, level, message, history)
    specs = [tool.spec() for tool in level.tools]
    system = prompts.system_prompt(
        level.agent.instructions if level.agent else None,
        has_tools=bool(specs),
        context_variables=state.run.context_variables,
    )
    messages = [ChatMessage(role="system", content=system)]
    messages += [ChatMessage(role=h.role, content=h.text) for h in history]
    messages.append(ChatMessage(role="user", content=message))
    texts: list[str] = []
    for round_no in range(state.max_rounds + 1):
        last = round_no == state.max_rounds or not specs
        if last and specs:
            messages.append(ChatMessage(role="system", content=prompts.LIMIT_NOTE))
        request = ChatRequest(messages=messages, tools=[] if last else specs, params=state.params)
        try:
            text, calls = await call_model(state, level, request, separate=bool(texts))
        except ProviderInvalidRequestError as exc:
            if round_no > 0 or last or "tool" not in str(exc).lower():
                raise
            # the provider refuses tools for this model ("does not support tools")
            logger.info("model %s refused tools (%s); direct path", level.route.primary.name, exc)
            return await direct.answer(state, replace(level, tool_use=False), message, history)
        if text:
            texts.append(text)
        if not calls or last:
            break
        messages.append(ChatMessage(role="assistant", content=text or None, tool_calls=calls))
        messages += await run_tools(state, level, calls)
    if not texts:
        texts.append(prompts.NO_ANSWER)
        if level.stream:
            await state.delta(prompts.NO_ANSWER)
    return "\n\n".join(texts)


async def run_tools(state: LoopState, level: Level, calls: list[ToolCall]) -> list[ChatMessage]:
    """Carry out a round's tool calls in order; their results as `tool` messages."""
    await state.step(
        [
            {
                "type": "tool_calls",
                "tool_calls": [
                    {"id": c.id, "name": c.name, "args": args_object(c.arguments)} for c in calls
                ],
                "agent_display_name": level.label,
            }
        ]
    )
    results: list[ChatMessage] = []
    for call in calls:
        state.check()
        content = await _run_tool(state, level, call)
        await state.step(
            [
                {
                    "type": "tool_response",
                    "name": call.name,
                    "tool_call_id": call.id,
                    "content": content,
                }
            ]
        )
        results.append(
            ChatMessage(role="tool", content=content, tool_call_id=call.id, name=call.name)
        )
    return results


async def _run_tool(state: LoopState, level: Level, call: ToolCall) -> str:
    tool = next((t for t in level.tools if t.name == call.name), None)
    try:
        if tool is None:
            raise ToolFailedError(f"there is no tool named '{call.name}'")
        argument = parse_arguments(tool, call.arguments)
        if tool.kind == "knowledge_base":
            return as_text(await search(state, tool, argument, model_id=FALLBACK_MODEL))
        if tool.kind == "agent":
            return await _transfer(state, level, tool, argument)
        return await _ask_assistant(state, tool, argument)
    except ToolFailedError as exc:
        return f"Error: {exc}"
    except AppError as exc:
        return f"Error: {exc}"
    except Exception:
        logger.exception("tool %s failed in run %s", call.name, state.run.run_id)
        return "Error: the tool failed unexpectedly."


async def _transfer(state: LoopState, level: Level, tool: Tool, message: str) -> str:
    agent: AgentLike = tool.target
    if agent.name in level.chain:
        raise ToolFailedError(f"'{agent.name}' is already working on this request (no loops)")
    if level.depth + 1 > state.max_depth:
        raise ToolFailedError(f"agents may hand work on at most {state.max_depth} levels deep")
    await state.sink.intermediate(f"Handing over to {tool.label}", current_agent=tool.label)
    async with state.env.sessions() as session:
        inner = await prepare_level(session, state, agent, depth=level.depth + 1, chain=level.chain)
    return await answer(state, replace(inner, stream=False), message, [])


async def _ask_assistant(state: LoopState, tool: Tool, message: str) -> str:
    callee = tool.target
    run = state.run
    pieces: list[str] = []
    async with state.env.sessions() as session:
        async for piece in state.backends.call_assistant(
            session,
            state.env.proxy,
            run.tenant_id,
            callee.kind,
            callee.id,
            message,
            run.history,
            run.thread_id,
        ):
            state.check()
            pieces.append(piece)
    return "".join(pieces) or "(no answer)"


async def _answer_with_assistant(state: LoopState) -> RunOutput:
    """An assistant's run (`/v1/assistants/{id}/runs`): it answers, streamed as it arrives.

    The id may be a custom assistant's, a watsonx Assistant instance's or an external chat
    agent's (the kind is looked up among the tenant's callable assistants; default `custom`).
    """
    run = state.run
    pieces: list[str] = []
    async with state.env.sessions() as session:
        callees = await state.backends.list_callable(session, run.tenant_id)
        kind = next((c.kind for c in callees if str(c.id) == str(run.assistant_id)), "custom")
        async for piece in state.backends.call_assistant(
            session,
            state.env.proxy,
            run.tenant_id,
            kind,
            run.assistant_id,
            run.message,
            run.history,
            run.thread_id,
        ):
            state.check()
            if piece:
                pieces.append(piece)
                await state.delta(piece)
    return RunOutput(content=[{"response_type": "text", "text": "".join(pieces)}])
