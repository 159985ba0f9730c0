"""A query and its answer as thread messages (`conversational_search`, threads.md §4)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.auth.schemas import TenantPrincipal
from wxo.query_engines.schemas import QueryRequest, QueryResponse
from wxo.threads import service as thread_service
from wxo.threads.models import MessageRole
from wxo.threads.schemas import MessageCreate

CITATIONS_TITLE = "Sources"


def conversational_search(response: QueryResponse, length: str) -> dict[str, Any]:
    """The answer as a `conversational_search` content item (threads.md §4).

    `range_start`/`range_end` are offsets into the cited chunk's text, as in the query
    response; `search_result_idx` is the cited source's position in `search_results`.
    """
    return {
        "response_type": "conversational_search",
        "text": response.answer,
        "citations": [
            {
                "url": c.url,
                "body": response.sources[c.source_index].text,
                "text": c.text,
                "title": c.title or "",
                "range_start": c.range_start,
                "range_end": c.range_end,
                "search_result_idx": c.source_index,
                "document_id": str(c.document_id),
                "chunk_id": str(c.chunk_id),
            }
            for c in response.citations
        ],
        "search_results": [
            {
                "url": s.url,
                "body": s.text,
                "title": s.title or "",
                "result_metadata": {
                    "score": s.score,
                    "document_retrieval_source": "wxo_query_engine",
                },
            }
            for s in response.sources
        ],
        "citations_title": CITATIONS_TITLE,
        "response_length_option": length,
        "confidence_scores": {
            "response_confidence": None,
            "response_confidence_threshold": None,
            "retrieval_confidence": None,
            "retrieval_confidence_threshold": None,
        },
        "model_id": response.model_id,
        "extractive": response.extractive,
    }


async def append_exchange(
    session: AsyncSession,
    principal: TenantPrincipal,
    request: QueryRequest,
    response: QueryResponse,
    length: str,
) -> list[str]:
    """Append the question (user) and the answer (assistant) to the request's thread; ids."""
    thread_id = request.thread_id
    if thread_id is None:
        return []
    ids = []
    for role, content in (
        (MessageRole.USER, request.query),
        (MessageRole.ASSISTANT, [conversational_search(response, length)]),
    ):
        body = MessageCreate.model_validate({"role": role, "content": content})
        stored = await thread_service.append_message(session, principal, thread_id, body)
        ids.append(str(json.loads(stored)["id"]))
    return ids
