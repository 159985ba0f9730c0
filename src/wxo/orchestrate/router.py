"""Chat With Agents route (orchestrate.md §8): `POST /v1/orchestrate/{agent_id}/chat/completions`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Response
from fastapi.responses import StreamingResponse

from wxo.api.deps import ContainerDep, CurrentTenant, SessionDep
from wxo.orchestrate import service
from wxo.orchestrate.schemas import ChatCompletion, ChatCompletionResponse
from wxo.runs.dependencies import QueueDep

router = APIRouter(tags=["Orchestrate Agent"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "stream=false: a `chat.completion`. stream=true: `text/event-stream`, "
        "`data: {chat.completion.chunk}` lines, each with `thread_id`, ending with "
        '`data: [DONE]`; a failed run sends `data: {"error": {...}}` before `[DONE]`.',
        "content": {"text/event-stream": {}},
    },
    400: {"description": "No user message with content in `messages`"},
    404: {
        "description": "No such agent (id or name) in the caller's tenant, or `X-IBM-THREAD-ID` "
        "is not one of its threads"
    },
    502: {"description": "stream=false: the run failed (`detail` says why)"},
}


@router.post(
    "/orchestrate/{agent_id}/chat/completions",
    response_model=ChatCompletionResponse,
    responses=_ERRORS,
    summary="Chat With Agents",
)
async def chat_with_agent(
    agent_id: Annotated[str, Path(description="The agent's id or name.")],
    body: ChatCompletion,
    session: SessionDep,
    principal: CurrentTenant,
    container: ContainerDep,
    queue: QueueDep,
    response: Response,
    x_ibm_thread_id: Annotated[
        str | None,
        Header(
            alias="X-IBM-THREAD-ID",
            description="Optional header to specify the thread ID (continue that thread).",
        ),
    ] = None,
) -> Any:
    """Answer the last user message as a run of the agent (OpenAI-like, with `thread_id`).

    The run is a normal run (listed under `/v1/orchestrate/runs`, its messages stored in the
    thread); the completion's `id` is the run's id. The agent loop offers the agent's knowledge
    bases, collaborators and assistants as tools (`search_*`, `transfer_to_*`, `call_*`).
    """
    chat = await service.start_chat(
        session, principal, agent_id, body, x_ibm_thread_id, queue=queue
    )
    events = service.events_of(container.sessionmaker, container.redis, chat)
    if not body.stream:
        response.headers["X-IBM-THREAD-ID"] = str(chat.thread_id)
        return await service.complete(chat, events)

    async def sse() -> AsyncIterator[bytes]:
        async for chunk in service.chunks(chat, events):
            yield f"data: {json.dumps(chunk)}\n\n".encode()
        yield b"data: [DONE]\n\n"

    headers = {"Cache-Control": "no-cache", "X-IBM-THREAD-ID": str(chat.thread_id)}
    return StreamingResponse(sse(), media_type="text/event-stream", headers=headers)
