"""Searching a real, indexed collection.

One result per document, snippets, facets, pages, suggestions and tenants (documents extracted
and indexed in-process, committed for real).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from tests.api.documents.conftest import RecordingQueue
from tests.conftest import TenantUser, make_tenant_user
from tests.integration.retrieval.conftest import Corpus, CountingEmbedder, make_corpus, process
from wxo.container import Container
from wxo.documents.dependencies import get_queue
from wxo.documents.models import Document
from wxo.main import create_app
from wxo.queue.base import Priority
from wxo.search_engines import service

TIDES = " ".join(
    f"Paragraph {i}: the tides rise and fall twice a day because the moon pulls the oceans,"
    f" and sailors of harbour {i} time their departures by the tides and the currents they"
    " bring along the coast, far from the lighthouse and the old pier."
    for i in range(12)
)
TEXTS = {
    "long.txt": TIDES,
    "unsafe.txt": "Warning: <script>alert('tides')</script> & the tides of \"March\" are here.",
    "moon.txt": "The moon circles the earth; its gravity makes the tides of every ocean.",
    "cats.txt": "Cats sleep most of the day. A cat purrs when it is content.",
    **{f"t{i}.txt": f"Small note {i} about tides near harbour number {i}." for i in range(5)},
}
EXTRA: dict[str, dict[str, Any]] = {
    "long.txt": {"title": "Ocean tides and currents", "tags": ["sea", "science"]},
    "unsafe.txt": {"tags": ["sea"], "meta": {"year": 2020}},
    "moon.txt": {"title": "Moon facts", "tags": ["space", "science"], "meta": {"year": 2021}},
    **{f"t{i}.txt": {"tags": ["sea"], "meta": {"year": 2020 + i % 2}} for i in range(5)},
}
TIDE_DOCS = {"long.txt", "unsafe.txt", "moon.txt", *(f"t{i}.txt" for i in range(5))}


@pytest.fixture
async def recording_client(
    container: Container,
) -> AsyncIterator[tuple[httpx.AsyncClient, RecordingQueue]]:
    """A committing client whose routes send jobs to a recording queue."""
    application = create_app(container.settings, container)
    recording = RecordingQueue()

    async def override() -> RecordingQueue:
        return recording

    application.dependency_overrides[get_queue] = override
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http, recording


async def _engine(
    client: httpx.AsyncClient, tenant: TenantUser, corpus: Corpus, **settings: Any
) -> str:
    response = await client.post(
        "/v1/search-engines",
        json={
            "name": f"e-{uuid.uuid4().hex[:8]}",
            "index_ids": [corpus.index_id],
            "settings": {"mode": "keyword", **settings},
        },
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _search(
    client: httpx.AsyncClient, tenant: TenantUser, engine_id: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/search-engines/{engine_id}/search", json=body, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def _corpus(
    live_client: httpx.AsyncClient,
    tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> Corpus:
    return await make_corpus(live_client, tenant, container, embedder, TEXTS, extra=EXTRA)


async def test_one_result_per_document_with_safe_highlighted_snippets(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    corpus = await _corpus(live_client, live_tenant, container, embedder)
    names = {v: k for k, v in corpus.documents.items()}
    async with container.sessionmaker() as session:
        per_doc: dict[uuid.UUID, int] = dict(
            (
                await session.execute(
                    text(
                        "SELECT document_id, count(*) FROM chunk WHERE index_id = :i"
                        " AND text ILIKE '%tides%' GROUP BY document_id"
                    ),
                    {"i": uuid.UUID(corpus.index_id)},
                )
            ).all()
        )
    long_id = uuid.UUID(corpus.documents["long.txt"])
    assert per_doc[long_id] > 1  # the long document has several matching chunks

    engine_id = await _engine(live_client, live_tenant, corpus, snippet_chars=120)
    body = await _search(live_client, live_tenant, engine_id, query="tides", page_size=50)
    found = [names[r["document_id"]] for r in body["results"]]
    assert sorted(found) == sorted(TIDE_DOCS)  # each once, the cat never
    assert body["total"] == len(TIDE_DOCS)
    assert body["total_relation"] == "eq"
    assert body["has_more"] is False
    assert [r["rank"] for r in body["results"]] == list(range(1, len(TIDE_DOCS) + 1))
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)
    long = next(r for r in body["results"] if r["document_id"] == str(long_id))
    assert long["matching_chunks"] == per_doc[long_id]
    assert long["title"] == "Ocean tides and currents"
    for result in body["results"]:
        assert re.search(r"<mark>tides</mark>", result["snippet"], re.IGNORECASE), result
        plain = re.sub(r"</?mark>", "", result["snippet"])
        assert "<" not in plain
        assert ">" not in plain
        assert len(plain.replace("&amp;", "&").replace("&quot;", '"').strip("…")) <= 120
    unsafe = next(r for r in body["results"] if names[r["document_id"]] == "unsafe.txt")
    assert "&lt;script&gt;" in unsafe["snippet"]
    assert "<script>" not in unsafe["snippet"]
    assert "&amp;" in unsafe["snippet"]
    assert unsafe["title"] == "unsafe.txt"  # no title: the name
    async with container.sessionmaker() as session:
        chunk_docs: dict[uuid.UUID, uuid.UUID] = dict(
            (
                await session.execute(
                    text("SELECT id, document_id FROM chunk WHERE id = ANY(:ids)"),
                    {"ids": [uuid.UUID(r["chunk_id"]) for r in body["results"]]},
                )
            ).all()
        )
    for result in body["results"]:  # the chunk shown is the document's own
        assert str(chunk_docs[uuid.UUID(result["chunk_id"])]) == result["document_id"]


async def test_facets_count_the_documents_of_the_result_set(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    corpus = await _corpus(live_client, live_tenant, container, embedder)
    engine_id = await _engine(
        live_client,
        live_tenant,
        corpus,
        facets=["collection", "tags", "content_type", "meta.year", "meta.missing"],
    )
    # A small page: the facets still count the whole result set.
    body = await _search(live_client, live_tenant, engine_id, query="tides", page_size=2)
    everything = await _search(live_client, live_tenant, engine_id, query="tides", page_size=50)
    ids = [uuid.UUID(r["document_id"]) for r in everything["results"]]
    async with container.sessionmaker() as session:
        rows = (await session.execute(select(Document).where(Document.id.in_(ids)))).scalars()
        documents = list(rows)
    assert len(documents) == body["total"] == len(TIDE_DOCS)
    tags: dict[str, int] = {}
    years: dict[str, int] = {}
    types: dict[str, int] = {}
    for doc in documents:
        for tag in doc.tags:
            tags[tag] = tags.get(tag, 0) + 1
        if "year" in doc.meta:
            years[str(doc.meta["year"])] = years.get(str(doc.meta["year"]), 0) + 1
        types[str(doc.content_type)] = types.get(str(doc.content_type), 0) + 1
    facets = body["facets"]
    assert facets["collection"] == {corpus.collection_id: len(TIDE_DOCS)}
    async with container.sessionmaker() as session:
        name = (
            await session.execute(
                text("SELECT name FROM document_collection WHERE id = :id"),
                {"id": uuid.UUID(corpus.collection_id)},
            )
        ).scalar_one()
    assert body["facet_labels"] == {"collection": {corpus.collection_id: name}}
    assert facets["tags"] == tags
    assert tags == {"sea": 7, "science": 2, "space": 1}
    assert facets["meta.year"] == years
    assert facets["content_type"] == types
    assert facets["meta.missing"] == {}
    assert list(facets["tags"]) == ["sea", "science", "space"]  # most frequent first

    filtered = await _search(
        live_client, live_tenant, engine_id, query="tides", filters={"tags": ["science"]}
    )
    assert filtered["total"] == 2
    assert filtered["facets"]["tags"] == {"science": 2, "sea": 1, "space": 1}


async def test_pages_do_not_overlap_and_cover_the_result_set(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    corpus = await _corpus(live_client, live_tenant, container, embedder)
    engine_id = await _engine(live_client, live_tenant, corpus)
    everything = await _search(live_client, live_tenant, engine_id, query="tides", page_size=50)
    seen: list[str] = []
    page = 1
    while True:
        body = await _search(
            live_client, live_tenant, engine_id, query="tides", page=page, page_size=3
        )
        assert body["page"] == page
        assert body["total"] == everything["total"]
        assert len(body["results"]) <= 3
        seen.extend(r["document_id"] for r in body["results"])
        if not body["has_more"]:
            break
        assert len(body["results"]) == 3
        page += 1
    assert page == 3  # 8 documents in pages of 3
    assert len(seen) == len(set(seen))
    assert seen == [r["document_id"] for r in everything["results"]]
    beyond = await _search(
        live_client, live_tenant, engine_id, query="tides", page=page + 1, page_size=3
    )
    assert beyond["results"] == []
    assert beyond["has_more"] is False


async def test_depth_limits_the_result_set(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    corpus = await _corpus(live_client, live_tenant, container, embedder)
    engine_id = await _engine(live_client, live_tenant, corpus, top_k=3)
    body = await _search(live_client, live_tenant, engine_id, query="tides", page_size=1)
    assert body["total_relation"] == "gte"
    assert body["total"] <= 3
    assert body["has_more"] is True
    deeper = await _search(live_client, live_tenant, engine_id, query="tides", page=3, page_size=3)
    assert deeper["total"] > body["total"]  # a deeper page retrieves more chunks


async def test_vector_and_hybrid_modes_search_too(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    corpus = await _corpus(live_client, live_tenant, container, embedder)
    for mode in ("vector", "hybrid"):
        engine_id = await _engine(live_client, live_tenant, corpus, mode=mode)
        body = await _search(live_client, live_tenant, engine_id, query="purring cats")
        ids = [r["document_id"] for r in body["results"]]
        assert ids[0] == corpus.documents["cats.txt"], mode
        assert len(ids) == len(set(ids))
        assert "<mark>Cats</mark>" in body["results"][0]["snippet"]
        assert "<mark>cat</mark>" in body["results"][0]["snippet"]  # stemmed as the index does
        # Only stop words: no term to mark, the vector side still finds something.
        stop = await _search(live_client, live_tenant, engine_id, query="the of and")
        assert stop["results"]
        assert all("<mark>" not in r["snippet"] for r in stop["results"])


async def test_suggest_completes_titles_and_headings_of_the_tenant_only(
    recording_client: tuple[httpx.AsyncClient, RecordingQueue],
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    live_client, queue = recording_client
    corpus = await make_corpus(
        live_client,
        live_tenant,
        container,
        embedder,
        {
            "ocean.txt": "Tides and currents.",
            "reef.md": "# Oceanic coral reefs\n\nCorals build reefs in warm water.",
            "other.txt": "Nothing to see.",
        },
        extra={
            "ocean.txt": {"title": "Ocean Tides and Currents"},
            "other.txt": {"title": "Mountains"},
        },
    )
    engine_id = await _engine(live_client, live_tenant, corpus)
    async with container.sessionmaker() as session:
        other = await make_tenant_user(session, container.settings, "other")
        await session.commit()
    theirs = await make_corpus(
        live_client,
        other,
        container,
        embedder,
        {"secret.txt": "Hidden."},
        extra={"secret.txt": {"title": "Ocean secrets of tenant B"}},
    )
    their_engine = await _engine(live_client, other, theirs)

    path = f"/v1/search-engines/{engine_id}/suggest"
    response = await live_client.get(path, params={"q": "ocean t"}, headers=live_tenant.headers)
    assert response.status_code == 200, response.text
    assert [s["text"] for s in response.json()["suggestions"]] == ["Ocean Tides and Currents"]
    assert response.json()["suggestions"][0]["source"] == "title"

    mixed = await live_client.get(path, params={"q": "OCEAN"}, headers=live_tenant.headers)
    texts = [s["text"] for s in mixed.json()["suggestions"]]
    assert "Ocean Tides and Currents" in texts
    assert "Oceanic coral reefs" in texts  # a heading
    assert all(t.lower().startswith("ocean") for t in texts)
    assert not any("secret" in t for t in texts)
    assert len(texts) == len({t.lower() for t in texts})

    limited = await live_client.get(
        path, params={"q": "ocean", "limit": 1}, headers=live_tenant.headers
    )
    assert len(limited.json()["suggestions"]) == 1
    nothing = await live_client.get(path, params={"q": "zzz"}, headers=live_tenant.headers)
    assert nothing.json()["suggestions"] == []

    # The first request built the suggestions itself.
    assert not [name for name, _ in queue.sent if name == service.SUGGEST_TASK]

    # A document indexed later: the next request still answers from the old list and sends
    # one rebuild to the workers; once it ran, the new title is suggested.
    added = await live_client.post(
        "/v1/documents",
        json={
            "name": "waves.txt",
            "collection_id": corpus.collection_id,
            "text": "Waves.",
            "title": "Ocean waves",
        },
        headers=live_tenant.headers,
    )
    assert added.status_code == 202, added.text
    queue.sent.clear()
    await process(container, embedder, added.json()["id"])
    stale = await live_client.get(path, params={"q": "ocean w"}, headers=live_tenant.headers)
    assert stale.json()["suggestions"] == []
    again = await live_client.get(path, params={"q": "ocean"}, headers=live_tenant.headers)
    assert again.status_code == 200
    assert queue.sent == [(service.SUGGEST_TASK, {"engine_id": engine_id})]  # sent once
    assert queue.priorities[-1] == Priority.LOW
    queue.sent.clear()
    async with container.sessionmaker() as session:
        assert await service.refresh_suggestions(session, uuid.UUID(engine_id))
    later = await live_client.get(path, params={"q": "ocean w"}, headers=live_tenant.headers)
    assert [s["text"] for s in later.json()["suggestions"]] == ["Ocean waves"]
    assert queue.sent == []  # fresh again

    their_path = f"/v1/search-engines/{their_engine}/suggest"
    theirs_only = await live_client.get(their_path, params={"q": "ocean"}, headers=other.headers)
    assert [s["text"] for s in theirs_only.json()["suggestions"]] == ["Ocean secrets of tenant B"]
    crossed = await live_client.get(their_path, params={"q": "ocean"}, headers=live_tenant.headers)
    assert crossed.status_code == 404


async def test_an_engine_merges_its_indices(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    first = await make_corpus(
        live_client,
        live_tenant,
        container,
        embedder,
        {"a1.txt": "Tides rise twice a day.", "a2.txt": "Cats sleep."},
    )
    second = await make_corpus(
        live_client,
        live_tenant,
        container,
        embedder,
        {"b1.txt": "The tides of the moon, tides of the sea, more tides."},
    )
    response = await live_client.post(
        "/v1/search-engines",
        json={
            "name": f"two-{uuid.uuid4().hex[:8]}",
            "index_ids": [first.index_id, second.index_id],
            "settings": {"mode": "keyword"},
        },
        headers=live_tenant.headers,
    )
    assert response.status_code == 201, response.text
    body = await _search(live_client, live_tenant, response.json()["id"], query="tides")
    got = {(r["document_id"], r["index_id"]) for r in body["results"]}
    assert got == {
        (first.documents["a1.txt"], first.index_id),
        (second.documents["b1.txt"], second.index_id),
    }
    assert body["facets"]["collection"] == {first.collection_id: 1, second.collection_id: 1}
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)


async def test_answer_is_a_conversational_search_item_citing_its_chunks(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    corpus = await _corpus(live_client, live_tenant, container, embedder)
    engine_id = await _engine(live_client, live_tenant, corpus, answer={"length": "concise"})
    plain = await _search(live_client, live_tenant, engine_id, query="what makes the tides")
    assert plain["answer"] is None  # not enabled, not asked
    body = await _search(
        live_client, live_tenant, engine_id, query="what makes the tides", page_size=3, answer=True
    )
    item = body["answer"]
    assert item["response_type"] == "conversational_search"
    assert item["response_length_option"] == "concise"
    assert item["text"]
    # No chat model is configured in the tests: the answer quotes, and says so.
    assert item["extractive"] is True
    assert item["note"]
    assert set(item["confidence_scores"]) == {
        "response_confidence",
        "response_confidence_threshold",
        "retrieval_confidence",
        "retrieval_confidence_threshold",
    }
    chunk_texts = await _chunk_texts(container, [r["chunk_id"] for r in body["results"]])
    assert [r["body"] for r in item["search_results"]] == chunk_texts  # the page's chunks
    assert [r["result_metadata"]["score"] for r in item["search_results"]] == [
        r["score"] for r in body["results"]
    ]
    assert item["citations"]
    for citation in item["citations"]:
        idx = citation["search_result_idx"]
        assert 0 <= idx < len(body["results"])
        cited = chunk_texts[idx]  # the cited result's chunk, as stored
        assert citation["text"]
        assert citation["text"] in cited
        assert cited[citation["range_start"] : citation["range_end"]] == citation["text"]
        assert citation["body"] == cited
        assert citation["title"] == body["results"][idx]["title"]
        assert citation["text"] in item["text"]  # quoted

    enabled = await _engine(live_client, live_tenant, corpus, answer={"enabled": True})
    async with container.sessionmaker() as session:  # as if its model was deleted since
        await session.execute(
            text(
                "UPDATE search_engine SET settings = jsonb_set(settings, '{answer,model_id}',"
                " '\"no-such-model\"') WHERE id = :id"
            ),
            {"id": uuid.UUID(enabled)},
        )
        await session.commit()
    answered = await _search(live_client, live_tenant, enabled, query="what makes the tides")
    assert answered["answer"]["extractive"] is True
    assert "no-such-model" in answered["answer"]["note"]
    off = await _search(
        live_client, live_tenant, enabled, query="what makes the tides", answer=False
    )
    assert off["answer"] is None


async def _chunk_texts(container: Container, chunk_ids: list[str]) -> list[str]:
    async with container.sessionmaker() as session:
        rows = await session.execute(
            text("SELECT id, text FROM chunk WHERE id = ANY(:ids)"),
            {"ids": [uuid.UUID(c) for c in chunk_ids]},
        )
        by_id = {str(i): str(t) for i, t in rows.all()}
    return [by_id[c] for c in chunk_ids]
