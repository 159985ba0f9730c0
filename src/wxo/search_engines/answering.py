"""The generated answer of a search, as a `conversational_search` content item (threads.md §4).

The passages are the page's results (each document's best chunk, in rank order); the answer
and its shape come from `wxo.rag.conversational` (shared with knowledge-base search), through
`wxo.rag.answer` (generated through the Model Proxy with the engine's
`settings.answer.model_id`, or quoted when no chat model is configured). Mapping:

- `search_results[i]`: the i-th passage: `url` (the document's `source_uri`), `body` (the
  chunk's text, plain), `title`, `result_metadata {score, document_retrieval_source}`.
- `citations[]`: `body` is the cited passage's text, `text` the supporting span of it and
  `range_start`/`range_end` that span's offsets in `body` (so `text == body[range_start:
  range_end]`); `search_result_idx` points into `search_results`.
- `confidence_scores`: not computed (null): neither the models nor the retrieval scores here
  are calibrated probabilities.

A model that is unknown, not a chat model, or fails does not fail the search: the answer is
then quoted from the passages, and `note` says why.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from wxo.llm import service as proxy
from wxo.rag import answer as rag
from wxo.rag import conversational
from wxo.search_engines.schemas import AnswerSettings, ConversationalSearch
from wxo.search_engines.shaping import Hit

CITATIONS_TITLE = "Sources"
RETRIEVAL_SOURCE = "wxo_search_engine"


def passages_of(hits: Sequence[Hit]) -> list[rag.Passage]:
    """The page's results as passages, in rank order."""
    return [
        rag.Passage(
            document_id=hit.best.document_id,
            chunk_id=hit.best.chunk_id,
            title=hit.best.document_title or hit.best.document_name,
            url=hit.best.source_uri,
            text=hit.best.text,
            score=hit.best.score,
        )
        for hit in hits
    ]


async def conversational_search(
    session: AsyncSession,
    ctx: proxy.ProxyContext,
    question: str,
    hits: Sequence[Hit],
    settings: AnswerSettings,
) -> ConversationalSearch:
    """Answer `question` from the page's hits, shaped as the content item (`wxo.rag`)."""
    passages = passages_of(hits)
    result = await conversational.answer_or_quote(
        session, ctx, question, passages, model_id=settings.model_id, length=settings.length
    )
    return ConversationalSearch.model_validate(
        conversational.content_item(
            result,
            passages,
            length=settings.length,
            retrieval_source=RETRIEVAL_SOURCE,
            citations_title=CITATIONS_TITLE,
        )
    )
