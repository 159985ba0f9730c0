"""Retrieval patterns that need no model: sentence_window, auto_merging, recency."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from sqlalchemy import text

from tests.api.query_engines.conftest import ask, check_citations, corpus, make_engine
from tests.conftest import TenantUser
from tests.integration.retrieval.conftest import CountingEmbedder, make_corpus
from wxo.container import Container
from wxo.rag.patterns import PARENT_SIZE, RECENCY_WEIGHT


async def _chunks(container: Container, document_id: str) -> list[dict[str, Any]]:
    async with container.sessionmaker() as session:
        rows = await session.execute(
            text("SELECT id, ord, text FROM chunk WHERE document_id = :d ORDER BY ord"),
            {"d": uuid.UUID(document_id)},
        )
        return [{"id": str(r.id), "ord": r.ord, "text": r.text} for r in rows]


def _only_in(chunks: list[dict[str, Any]], position: int) -> str:
    """A year (`19xx`) that appears in chunk `position` and no other chunk."""
    years: set[str] = set(re.findall(r"\b19\d\d\b", str(chunks[position]["text"])))
    for other in chunks:
        if other is not chunks[position]:
            years -= set(re.findall(r"\b19\d\d\b", str(other["text"])))
    assert years, "each chunk has a year of its own"
    return sorted(years)[0]


async def test_sentence_window_brings_the_neighbouring_chunks(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    data = await corpus(live_client, live_tenant, container, embedder)
    chunks = await _chunks(container, data.documents["lighthouse.txt"])
    assert len(chunks) >= 2 * PARENT_SIZE
    year = _only_in(chunks, 5)
    engine = await make_engine(
        live_client,
        live_tenant,
        [data.index_id],
        retrieval={"mode": "keyword", "top_k": 1, "patterns": ["sentence_window"]},
    )
    body = await ask(live_client, live_tenant, engine["id"], query=f"the year {year}")
    assert [s["chunk_id"] for s in body["sources"]] == [c["id"] for c in chunks[4:7]]
    assert [s["role"] for s in body["sources"]] == ["window", "hit", "window"]
    assert year in body["answer"]
    async with container.sessionmaker() as session:
        await check_citations(session, body)
    plain = await make_engine(
        live_client, live_tenant, [data.index_id], retrieval={"mode": "keyword", "top_k": 1}
    )
    alone = await ask(live_client, live_tenant, plain["id"], query=f"the year {year}")
    assert [s["chunk_id"] for s in alone["sources"]] == [chunks[5]["id"]]


async def test_auto_merging_uses_the_whole_parent_when_half_its_children_are_hits(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    data = await corpus(live_client, live_tenant, container, embedder)
    chunks = await _chunks(container, data.documents["lighthouse.txt"])
    first, second = _only_in(chunks, PARENT_SIZE), _only_in(chunks, PARENT_SIZE + 2)
    engine = await make_engine(
        live_client,
        live_tenant,
        [data.index_id],
        retrieval={"mode": "keyword", "top_k": 2, "patterns": ["auto_merging"]},
    )
    body = await ask(live_client, live_tenant, engine["id"], query=f"{first} {second}")
    parent = chunks[PARENT_SIZE : 2 * PARENT_SIZE]
    assert [s["chunk_id"] for s in body["sources"]] == [c["id"] for c in parent]
    assert [s["role"] for s in body["sources"]] == ["hit", "merged", "hit", "merged"]
    assert sum(s["role"] == "hit" for s in body["sources"]) == 2
    # one hit in a parent is not enough
    lone = await ask(live_client, live_tenant, engine["id"], query=f"{first} zzzunmatched")
    assert [s["chunk_id"] for s in lone["sources"]][:1] == [chunks[PARENT_SIZE]["id"]]
    assert all(s["role"] == "hit" for s in lone["sources"])


async def test_recency_boosts_newer_sources(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    report = "Volcano report: the volcano erupted and the village was evacuated."
    # Two collections (one would skip the second copy as a duplicate), so two indices.
    older = await make_corpus(
        live_client,
        live_tenant,
        container,
        embedder,
        {"old.txt": report},
        extra={"old.txt": {"source_date": "1990-01-01T00:00:00Z"}},
    )
    newer = await make_corpus(
        live_client,
        live_tenant,
        container,
        embedder,
        {"new.txt": report},
        extra={"new.txt": {"source_date": "2026-11-01T00:00:00Z"}},
    )
    indices = [older.index_id, newer.index_id]
    plain = await make_engine(
        live_client, live_tenant, indices, retrieval={"mode": "keyword", "top_k": 2}
    )
    boosted = await make_engine(
        live_client,
        live_tenant,
        indices,
        retrieval={"mode": "keyword", "top_k": 2, "patterns": ["recency"]},
    )
    before = await ask(live_client, live_tenant, plain["id"], query="volcano erupted")
    after = await ask(live_client, live_tenant, boosted["id"], query="volcano erupted")
    raw = {s["document_id"]: s["score"] for s in before["sources"]}
    old, new = older.documents["old.txt"], newer.documents["new.txt"]
    assert raw[old] == raw[new]  # same text, same score
    assert [s["document_id"] for s in after["sources"]] == [new, old]
    scores = {s["document_id"]: s["score"] for s in after["sources"]}
    assert abs(scores[old] - raw[old] * (1 - RECENCY_WEIGHT)) < 0.01 * raw[old]  # 36 years
    assert scores[new] > 0.9 * raw[new]  # weeks old


async def test_patterns_combine_without_repeating_a_chunk(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    data = await corpus(live_client, live_tenant, container, embedder)
    chunks = await _chunks(container, data.documents["lighthouse.txt"])
    years = [_only_in(chunks, p) for p in (0, PARENT_SIZE, PARENT_SIZE + 1)]
    engine = await make_engine(
        live_client,
        live_tenant,
        [data.index_id],
        retrieval={
            "mode": "keyword",
            "top_k": 3,
            "patterns": ["recency", "auto_merging", "sentence_window"],
        },
    )
    body = await ask(live_client, live_tenant, engine["id"], query=" ".join(years))
    ids = [s["chunk_id"] for s in body["sources"]]
    assert len(ids) == len(set(ids))
    parent = {c["id"] for c in chunks[PARENT_SIZE : 2 * PARENT_SIZE]}
    window = {chunks[0]["id"], chunks[1]["id"]}  # the first chunk has no chunk before it
    assert set(ids) == parent | window
    roles = {s["chunk_id"]: s["role"] for s in body["sources"]}
    assert roles[chunks[0]["id"]] == "hit"
    assert roles[chunks[1]["id"]] == "window"
    assert roles[chunks[PARENT_SIZE]["id"]] == roles[chunks[PARENT_SIZE + 1]["id"]] == "hit"
    assert {roles[c] for c in parent} == {"hit", "merged"}
    assert body["patterns"] == ["recency", "auto_merging", "sentence_window"]
