"""A `conversational_search` content item (threads.md §4) from passages.

Shared by the search engines' answer and the knowledge-base search of agents.

`answer_or_quote` answers through `wxo.rag.answer`; a model that is unknown, not a chat model,
or fails does not fail the caller: the answer is then quoted from the passages, and its `note`
says why. `content_item` shapes an answer and its passages:

- `search_results[i]`: the i-th passage: `url`, `body` (the chunk's text), `title`,
  `result_metadata {score, document_retrieval_source}`.
- `citations[]`: `body` is the cited passage's text, `text` the supporting span of it and
  `range_start`/`range_end` that span's offsets in `body` (so `text == body[range_start:
  range_end]`); `search_result_idx` points into `search_results`.
- `confidence_scores`: not computed (null): neither the models nor the retrieval scores are
  calibrated probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.core.errors import InvalidInputError, NotFoundError, UpstreamError
from wxo.llm import service as proxy
from wxo.rag import answer as rag

CITATIONS_TITLE = "Sources"


async def answer_or_quote(
    session: AsyncSession,
    ctx: proxy.ProxyContext,
    question: str,
    passages: list[rag.Passage],
    *,
    model_id: str | None,
    length: rag.Length,
) -> rag.Answer:
    """`rag.answer`, or the passages' best sentences quoted when the model cannot answer."""
    try:
        return await rag.answer(session, ctx, question, passages, model_id=model_id, length=length)
    except (NotFoundError, InvalidInputError, UpstreamError) as exc:
        note = (
            f"The model {model_id or '(default)'} could not answer ({exc}), so this"
            " answer quotes the passages' best-matching sentences verbatim."
        )
        return rag.extractive_answer(question, passages, length=length, note=note)


def content_item(
    result: rag.Answer,
    passages: Sequence[rag.Passage],
    *,
    length: rag.Length,
    retrieval_source: str,
    citations_title: str = CITATIONS_TITLE,
) -> dict[str, Any]:
    """The `conversational_search` item of an answer (JSON-ready: ids and scores plain)."""
    return {
        "response_type": "conversational_search",
        "text": result.text,
        "citations": [
            {
                "url": c.url,
                "body": passages[c.passage_index].text,
                "text": c.text,
                "title": c.title or "",
                "range_start": c.range_start,
                "range_end": c.range_end,
                "search_result_idx": c.passage_index,
            }
            for c in result.citations
        ],
        "search_results": [
            {
                "url": p.url,
                "body": p.text,
                "title": p.title or "",
                "result_metadata": {
                    "score": p.score,
                    "document_retrieval_source": retrieval_source,
                },
            }
            for p in passages
        ],
        "citations_title": citations_title,
        "response_length_option": length,
        "confidence_scores": {
            "response_confidence": None,
            "response_confidence_threshold": None,
            "retrieval_confidence": None,
            "retrieval_confidence_threshold": None,
        },
        "model_id": result.model_id,
        "extractive": result.extractive,
        "note": result.note,
    }
