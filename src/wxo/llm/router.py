"""Inference routes of the Model Proxy: OpenAI-shaped and WxO-shaped chat, and embeddings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from wxo.api.deps import SessionDep
from wxo.api.disconnect import cancel_on_disconnect
from wxo.llm import responses, service
from wxo.llm.dependencies import ProxyDep
from wxo.llm.policy_router import router as policy_router
from wxo.llm.schemas import (
    ChatCompletionCreate,
    EmbeddingCreate,
    WxoChatCreate,
    WxoCompletionCreate,
    WxoCompletionRead,
)

router = APIRouter(tags=["Model Proxy"])
router.include_router(policy_router)  # `/model_policy`: the routing side of the proxy

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid input for this model"},
    401: {"description": "Missing token, or the provider rejected its API key"},
    404: {"description": "Unknown model, or no default model configured"},
    429: {"description": "The provider is rate limiting"},
    502: {"description": "The provider failed"},
    504: {"description": "The provider did not answer in time"},
}
_SSE = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


async def _chat_completions(
    request: Request, session: SessionDep, proxy: ProxyDep, body: ChatCompletionCreate
) -> Any:
    route = await service.resolve_route(session, proxy, body.model or None, "chat")
    await session.close()  # no database work while the model answers
    chat_request = body.to_request()
    if body.stream:
        model, chunks = await service.stream_chat(proxy, route, chat_request)
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return StreamingResponse(
            responses.chat_completion_sse(model, chunks, include_usage=include_usage),
            media_type="text/event-stream",
            headers=_SSE,
        )
    result = await cancel_on_disconnect(request, service.chat(proxy, route, chat_request))
    return JSONResponse(responses.chat_completion(result))


@router.post("/chat/completions", responses=_ERRORS)
async def chat_completions(
    request: Request, session: SessionDep, proxy: ProxyDep, body: ChatCompletionCreate
) -> Any:
    """OpenAI chat completions (`stream: true` for SSE ending in `data: [DONE]`)."""
    return await _chat_completions(request, session, proxy, body)


@router.post("/orchestrate/gateway/model/chat/completions", responses=_ERRORS)
async def gateway_chat_completions(
    request: Request,
    session: SessionDep,
    proxy: ProxyDep,
    body: ChatCompletionCreate,
    llm_as_judge: bool = False,  # noqa: ARG001 (accepted for the ADK; no judge mode here)
) -> Any:
    """The ADK's AI gateway path for OpenAI chat completions (same behaviour)."""
    return await _chat_completions(request, session, proxy, body)


@router.post("/completions/chat", response_model=WxoCompletionRead, responses=_ERRORS)
async def wxo_chat(
    request: Request, session: SessionDep, proxy: ProxyDep, body: WxoChatCreate
) -> Any:
    """WxO chat completion: `{content, response_metadata}`; accepts watsonx.ai `llm_params`."""
    route = await service.resolve_route(session, proxy, body.model, "chat")
    await session.close()
    result = await cancel_on_disconnect(request, service.chat(proxy, route, body.to_request()))
    return JSONResponse(responses.wxo_completion(result))


@router.post("/completions", response_model=WxoCompletionRead, responses=_ERRORS)
async def wxo_completion(
    request: Request, session: SessionDep, proxy: ProxyDep, body: WxoCompletionCreate
) -> Any:
    """WxO text completion of one prompt: `{content, response_metadata}`."""
    route = await service.resolve_route(session, proxy, body.model, "chat")
    await session.close()
    result = await cancel_on_disconnect(request, service.chat(proxy, route, body.to_request()))
    return JSONResponse(responses.wxo_completion(result))


async def _embeddings(session: SessionDep, proxy: ProxyDep, body: EmbeddingCreate) -> Any:
    route = await service.resolve_route(session, proxy, body.model or None, "embedding")
    await session.close()
    model, result = await service.embed(proxy, route, body.texts())
    return JSONResponse(responses.embeddings(model, result, body.encoding_format))


@router.post("/embeddings", responses=_ERRORS)
async def embeddings(session: SessionDep, proxy: ProxyDep, body: EmbeddingCreate) -> Any:
    """OpenAI embeddings (`encoding_format` float or base64); default: the tenant's model."""
    return await _embeddings(session, proxy, body)


@router.post("/orchestrate/gateway/model/embeddings", responses=_ERRORS)
async def gateway_embeddings(session: SessionDep, proxy: ProxyDep, body: EmbeddingCreate) -> Any:
    """The ADK's AI gateway path for OpenAI embeddings (same behaviour)."""
    return await _embeddings(session, proxy, body)
