"""Retrieval patterns: which passages a question is answered from.

Patterns (combinable), in the order they apply:

- `multi_query`: LlamaIndex `QueryFusionRetriever` asks the model for 2 rewrites of the
  question; the original and the rewrites are retrieved and fused by reciprocal rank.
- `hyde`: LlamaIndex `HyDEQueryTransform` asks the model for a hypothetical answer passage;
  it and the question are both retrieved (a chunk keeps its best score).
- `sub_question`: LlamaIndex `LLMQuestionGenerator` splits the question into sub-questions
  (at most 5); each is retrieved (the results merged with the question's, best score) and
  answered from its best `PART_PASSAGES` passages (`wxo.rag.answer.answer_parts`); the final
  answer is written from all the passages with those part answers given as notes, so its
  citations still point into chunks. When the model's output is not the expected JSON, the
  question itself is used and a note says so.
- `recency`: scores are multiplied by `1 - w + w * 2^(-age_days / half_life_days)` with
  `w = 0.5`, `half_life_days = 180`, the age being that of the chunk's source date, else its
  document's source date, else its upload time. So a year-old passage keeps about 60 % of its
  score and a brand-new one all of it; the list is re-sorted.
- `auto_merging`: chunks are children of fixed parents of `PARENT_SIZE` consecutive chunks of a
  document (by chunk order); when at least half of a parent's children (and two or more) are
  among the hits, the parent replaces them: all its children, in reading order.
- `sentence_window`: each hit brings its neighbouring chunks (`WINDOW` before and after, same
  document), placed around it in reading order.

Expanded and merged passages stay whole chunks (each with its own id), so a citation always
points into one chunk's text. When several generative patterns run, their lists are fused by
reciprocal rank (k = 60).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from llama_index.core.indices.query.query_transform import HyDEQueryTransform
from llama_index.core.output_parsers.base import OutputParserException
from llama_index.core.question_gen import LLMQuestionGenerator
from llama_index.core.retrievers import QueryFusionRetriever
from llama_index.core.retrievers.fusion_retriever import FUSION_MODES
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.tools import ToolMetadata
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.llm import service as proxy
from wxo.rag import repository
from wxo.rag.answer import Passage
from wxo.rag.llm import ProxyLLM
from wxo.rag.retriever import IndexRetriever, metadata
from wxo.retrieval.models import VectorIndex
from wxo.retrieval.schemas import Mode, RetrieveFilters

PATTERNS = ("multi_query", "hyde", "sub_question", "sentence_window", "auto_merging", "recency")
GENERATIVE_PATTERNS = frozenset({"multi_query", "hyde", "sub_question"})
REWRITES = 2
RRF_K = 60
RECENCY_WEIGHT = 0.5
RECENCY_HALF_LIFE_DAYS = 180.0
PARENT_SIZE = 4
#: Passages each sub-question is answered from.
PART_PASSAGES = 3
WINDOW = 1
_KNOWLEDGE = ToolMetadata(
    name="knowledge_base", description="Documents that can answer questions on any topic."
)


@dataclass
class Retrieved:
    """Passages to answer from, and what the patterns did."""

    passages: list[Passage]
    roles: list[str]  # per passage: hit | window | merged
    queries: list[str] = field(default_factory=list)
    sub_questions: list[str] = field(default_factory=list)
    parts: list[tuple[str, list[Passage]]] = field(default_factory=list)  # sub-question, passages
    notes: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)


def _fuse(lists: Sequence[list[NodeWithScore]]) -> list[NodeWithScore]:
    if len(lists) == 1:
        return lists[0]
    scores: dict[str, float] = {}
    nodes: dict[str, NodeWithScore] = {}
    for ranked in lists:
        for rank, node in enumerate(ranked, start=1):
            key = node.node.node_id
            scores[key] = scores.get(key, 0.0) + 1.0 / (RRF_K + rank)
            nodes.setdefault(key, node)
    return [
        NodeWithScore(node=nodes[k].node, score=s)
        for k, s in sorted(scores.items(), key=lambda kv: -kv[1])
    ]


async def _sub_questions(llm: ProxyLLM, query: str, notes: list[str]) -> list[str]:
    generator = LLMQuestionGenerator.from_defaults(llm=llm)
    try:
        generated = await generator.agenerate([_KNOWLEDGE], QueryBundle(query))
    except (ValueError, OutputParserException):
        notes.append(
            "sub_question: the model's sub-questions were not valid JSON; used the question"
        )
        return []
    return [s.sub_question.strip() for s in generated if s.sub_question.strip()][:5]


async def _candidates(
    retriever: IndexRetriever,
    llm: ProxyLLM | None,
    query: str,
    patterns: set[str],
    top_k: int,
    found: Retrieved,
) -> list[NodeWithScore]:
    lists: list[list[NodeWithScore]] = []
    if llm is not None and "multi_query" in patterns:
        fusion = QueryFusionRetriever(
            [retriever],
            llm=llm,
            similarity_top_k=top_k,
            num_queries=REWRITES + 1,
            mode=FUSION_MODES.RECIPROCAL_RANK,
            use_async=True,
        )
        lists.append(await fusion.aretrieve(query))
    if llm is not None and "hyde" in patterns:
        transform = HyDEQueryTransform(llm=llm, include_original=True)
        bundle = await asyncio.to_thread(transform.run, query)
        lists.append(await retriever.aretrieve(bundle))
    if llm is not None and "sub_question" in patterns:
        found.sub_questions = await _sub_questions(llm, query, found.notes)
        merged: dict[str, NodeWithScore] = {}
        for text in [query, *found.sub_questions]:
            nodes = await retriever.aretrieve(text)
            if text != query:
                found.parts.append((text, [_passage(n) for n in nodes[:PART_PASSAGES]]))
            for node in nodes:
                kept = merged.get(node.node.node_id)
                if kept is None or (node.score or 0.0) > (kept.score or 0.0):
                    merged[node.node.node_id] = node
        lists.append(sorted(merged.values(), key=lambda n: -(n.score or 0.0)))
    if not lists:
        lists.append(await retriever.aretrieve(query))
    return _fuse(lists)


async def _recency(
    session: AsyncSession, tenant_id: uuid.UUID, nodes: list[NodeWithScore]
) -> list[NodeWithScore]:
    ids = [uuid.UUID(n.node.node_id) for n in nodes]
    dates = await repository.chunk_dates(session, tenant_id, ids)
    now = datetime.now(UTC)
    boosted = []
    for node in nodes:
        dated = dates.get(uuid.UUID(node.node.node_id))
        age = max(0.0, (now - dated).total_seconds() / 86400) if dated else None
        decay = 0.0 if age is None else 0.5 ** (age / RECENCY_HALF_LIFE_DAYS)
        factor = 1 - RECENCY_WEIGHT + RECENCY_WEIGHT * decay
        boosted.append(NodeWithScore(node=node.node, score=(node.score or 0.0) * factor))
    boosted.sort(key=lambda n: -(n.score or 0.0))
    return boosted


def _passage(node: NodeWithScore) -> Passage:
    meta = metadata(node)
    return Passage(
        document_id=uuid.UUID(meta["document_id"]),
        chunk_id=uuid.UUID(meta["chunk_id"]),
        title=meta.get("title"),
        url=meta.get("url"),
        text=node.node.get_content(),
        score=float(node.score or 0.0),
    )


Key = tuple[uuid.UUID, uuid.UUID]  # index, document
Row = tuple[uuid.UUID, uuid.UUID, uuid.UUID, int, str]


async def _expand(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    nodes: list[NodeWithScore],
    patterns: set[str],
) -> tuple[list[Passage], list[str]]:
    """Hits in order; auto-merged parents and sentence windows around them."""
    hits = [(_passage(n), metadata(n)) for n in nodes]
    merged: dict[tuple[uuid.UUID, uuid.UUID, int], list[int]] = {}
    if "auto_merging" in patterns:
        for position, (_, meta) in enumerate(hits):
            if meta.get("ord") is not None:
                parent = (
                    uuid.UUID(meta["index_id"]),
                    uuid.UUID(meta["document_id"]),
                    int(meta["ord"]) // PARENT_SIZE,
                )
                merged.setdefault(parent, []).append(position)
        merged = {k: v for k, v in merged.items() if len(v) >= max(2, PARENT_SIZE // 2)}
    windows: list[tuple[uuid.UUID, uuid.UUID, int, int]] = [
        (k[0], k[1], k[2] * PARENT_SIZE, k[2] * PARENT_SIZE + PARENT_SIZE - 1) for k in merged
    ]
    in_parent = {p for positions in merged.values() for p in positions}
    if "sentence_window" in patterns:
        for position, (_, meta) in enumerate(hits):
            if position not in in_parent and meta.get("ord") is not None:
                ord_ = int(meta["ord"])
                windows.append(
                    (
                        uuid.UUID(meta["index_id"]),
                        uuid.UUID(meta["document_id"]),
                        ord_ - WINDOW,
                        ord_ + WINDOW,
                    )
                )
    rows = await repository.chunks_in_windows(session, tenant_id, windows)
    by_doc: dict[Key, list[Row]] = {}
    for row in rows:
        by_doc.setdefault((row[1], row[2]), []).append(row)
    parent_of = {p: k for k, positions in merged.items() for p in positions}
    passages: list[Passage] = []
    roles: list[str] = []
    seen: set[uuid.UUID] = set()
    hit_passages = {hit.chunk_id: hit for hit, _ in hits}

    def add(passage: Passage, role: str) -> None:
        if passage.chunk_id not in seen:
            seen.add(passage.chunk_id)
            passages.append(passage)
            roles.append(role)

    for position, (hit, meta) in enumerate(hits):
        if meta.get("ord") is None or not windows:
            add(hit, "hit")
            continue
        key: Key = (uuid.UUID(meta["index_id"]), hit.document_id)
        if position in parent_of:
            parent = parent_of[position]
            lo, hi = parent[2] * PARENT_SIZE, parent[2] * PARENT_SIZE + PARENT_SIZE - 1
            role = "merged"
        elif "sentence_window" in patterns:
            lo, hi = int(meta["ord"]) - WINDOW, int(meta["ord"]) + WINDOW
            role = "window"
        else:
            add(hit, "hit")
            continue
        for chunk_id, _, _, ord_, text in by_doc.get(key, []):
            if lo <= ord_ <= hi:
                if chunk_id in hit_passages:  # retrieved itself: kept as a hit, its own score
                    add(hit_passages[chunk_id], "hit")
                else:
                    add(
                        Passage(hit.document_id, chunk_id, hit.title, hit.url, text, hit.score),
                        role,
                    )
        add(hit, "hit")
    return passages, roles


async def retrieve_passages(
    session: AsyncSession,
    ctx: proxy.ProxyContext,
    indices: Sequence[VectorIndex],
    query: str,
    *,
    top_k: int,
    mode: Mode | None,
    filters: RetrieveFilters,
    patterns: Sequence[str],
    llm: ProxyLLM | None,
) -> Retrieved:
    """The passages to answer `query` from, after the patterns (see the module docstring).

    `llm` None skips the generative patterns (the caller reports them as skipped).
    """
    active = set(patterns)
    retriever = IndexRetriever(session, ctx, indices, top_k=top_k, mode=mode, filters=filters)
    found = Retrieved(passages=[], roles=[])
    nodes = await _candidates(retriever, llm, query, active, top_k, found)
    if "recency" in active:
        nodes = await _recency(session, ctx.tenant_id, nodes)
    nodes = nodes[:top_k]
    found.passages, found.roles = await _expand(session, ctx.tenant_id, nodes, active)
    found.queries = list(dict.fromkeys(retriever.queries))
    found.timings_ms = retriever.timings_ms
    return found
