"""Retrieval against real PostgreSQL: BM25 scores, vector and hybrid search, filters, deletes."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from tests.api.documents.conftest import RecordingQueue
from tests.conftest import TenantUser
from tests.integration.retrieval.conftest import CountingEmbedder, make_corpus, retrieve
from wxo.container import Container
from wxo.documents import pipeline
from wxo.documents.jobs import INDEX_TASK
from wxo.documents.tasks import load_extractor
from wxo.retrieval import indexing, search, service
from wxo.retrieval import retrieve as retrieve_module
from wxo.retrieval.models import Bm25Df, Bm25Posting, Bm25Stat, Chunk

TEXTS = {
    "cats.md": "# Cats\n\nCats sleep most of the day. A cat purrs when it is content.",
    "dogs.md": "# Dogs\n\nDogs bark at strangers. A dog needs a walk every day, dogs love walks.",
    "birds.md": "# Birds\n\nBirds sing at dawn. Some birds migrate south for the winter.",
    "fish.md": "# Fish\n\nFish swim in schools. Goldfish can live for many years in a tank.",
    "mixed.md": "# Pets\n\nPeople keep cats, dogs, birds and fish as pets in their homes.",
}


async def _lexemes(container: Container, body: str) -> dict[str, int]:
    async with container.sessionmaker() as session:
        rows = await session.execute(
            text(
                "SELECT lexeme, array_length(positions, 1)"
                " FROM unnest(to_tsvector('english', :body))"
            ),
            {"body": body},
        )
        return {str(lexeme): int(n) for lexeme, n in rows.all()}


async def _statistics(
    container: Container, index_id: uuid.UUID
) -> tuple[tuple[int, int], tuple[int, int]]:
    """(chunks, total length) as `bm25_stat` counts them, and as the chunks really are."""
    async with container.sessionmaker() as session:
        counted = (
            await session.execute(
                select(func.sum(Bm25Stat.chunk_count), func.sum(Bm25Stat.total_length)).where(
                    Bm25Stat.index_id == index_id
                )
            )
        ).one()
        actual = (
            await session.execute(
                select(func.count(), func.sum(Chunk.length)).where(Chunk.index_id == index_id)
            )
        ).one()
    return (int(counted[0]), int(counted[1])), (int(actual[0]), int(actual[1]))


async def _frequencies(
    container: Container, index_id: uuid.UUID
) -> tuple[dict[str, int], dict[str, int]]:
    """Each term's df as `bm25_df` sums it (zeros left out), and as the postings count it."""
    async with container.sessionmaker() as session:
        stored = (
            await session.execute(
                select(Bm25Df.term, func.sum(Bm25Df.df))
                .where(Bm25Df.index_id == index_id)
                .group_by(Bm25Df.term)
            )
        ).all()
        counted = (
            await session.execute(
                select(Bm25Posting.term, func.count())
                .where(Bm25Posting.index_id == index_id)
                .group_by(Bm25Posting.term)
            )
        ).all()
    return {t: int(n) for t, n in stored if n}, {t: int(n) for t, n in counted}


async def test_keyword_scores_are_bm25_with_ored_terms(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    corpus = await make_corpus(
        live_client, live_tenant, container, embedder, TEXTS, settings={"language": "en"}
    )
    query = "dogs walking in winter"
    found = await retrieve(
        live_client, live_tenant, corpus.index_id, query=query, mode="keyword", top_k=10
    )

    # The reference: BM25 computed here from the stored chunks, analysed by PostgreSQL.
    async with container.sessionmaker() as session:
        chunks = (
            await session.execute(
                select(Chunk.id, Chunk.context, Chunk.text).where(
                    Chunk.index_id == uuid.UUID(corpus.index_id)
                )
            )
        ).all()
    bags = {cid: await _lexemes(container, f"{ctx}\n{body}") for cid, ctx, body in chunks}
    terms = set(await _lexemes(container, query))
    n, avgdl = len(bags), sum(sum(b.values()) for b in bags.values()) / len(bags)
    k1, b = 1.2, 0.75
    expected: dict[str, float] = {}
    for cid, bag in bags.items():
        dl, score = sum(bag.values()), 0.0
        for term in terms & bag.keys():
            df = sum(1 for other in bags.values() if term in other)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = bag[term]
            score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))
        if score:
            expected[str(cid)] = score

    got = {r["chunk_id"]: r["scores"]["keyword"] for r in found["results"]}
    assert set(got) == set(expected)  # OR-ed: "winter" alone brings in the birds
    for chunk_id, score in expected.items():
        assert got[chunk_id] == pytest.approx(score, rel=1e-9)
    ranked = [r["document_id"] for r in found["results"]]
    assert ranked[0] == corpus.documents["dogs.md"]
    assert corpus.documents["birds.md"] in ranked
    assert found["results"][0]["highlights"]
    assert "<b>" in found["results"][0]["highlights"][0]


async def test_k1_and_b_are_tunable_per_index(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    corpus = await make_corpus(live_client, live_tenant, container, embedder, TEXTS)
    before = await retrieve(live_client, live_tenant, corpus.index_id, query="dogs", mode="keyword")
    patched = await live_client.patch(
        f"/v1/vector-indices/{corpus.index_id}",
        json={"settings": {"bm25": {"k1": 0.0, "b": 0.0}}},
        headers=live_tenant.headers,
    )
    assert patched.status_code == 200
    after = await retrieve(live_client, live_tenant, corpus.index_id, query="dogs", mode="keyword")
    # k1 = 0: every matching chunk scores exactly idf, whatever its tf and length.
    scores = {round(r["scores"]["keyword"], 9) for r in after["results"]}
    assert len(scores) == 1
    assert before["results"][0]["scores"]["keyword"] != after["results"][0]["scores"]["keyword"]


async def test_vector_and_hybrid_modes_rank_the_obvious_document_first(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    corpus = await make_corpus(live_client, live_tenant, container, embedder, TEXTS)
    for mode in ("vector", "hybrid"):
        found = await retrieve(
            live_client, live_tenant, corpus.index_id, query="goldfish tank", mode=mode, top_k=3
        )
        first = found["results"][0]
        assert first["document_id"] == corpus.documents["fish.md"], mode
        assert first["document"]["name"] == "fish.md"
        assert first["metadata"]["heading_path"] == ["Fish"]
        assert len(found["results"]) == 3
        assert "search" in found["timings_ms"]
    hybrid = await retrieve(
        live_client, live_tenant, corpus.index_id, query="goldfish tank", mode="hybrid"
    )
    top = hybrid["results"][0]["scores"]
    assert top["vector"] is not None
    assert top["keyword"] is not None
    # first on both sides: the convex default (alpha 0.5) of two normalised 1.0 scores
    assert top["fused"] == pytest.approx(1.0)
    patched = await live_client.patch(
        f"/v1/vector-indices/{corpus.index_id}",
        json={"settings": {"hybrid": {"fusion": "rrf"}}},
        headers=live_tenant.headers,
    )
    assert patched.status_code == 200
    rrf = await retrieve(
        live_client, live_tenant, corpus.index_id, query="goldfish tank", mode="hybrid"
    )
    assert rrf["results"][0]["scores"]["fused"] == pytest.approx(1 / 61 + 1 / 61)  # RRF k=60


async def test_filters_still_fill_top_k_through_hnsw(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = {
        f"d{i}.md": f"# Note {i}\n\nA note about topic {i % 5} and shared words." for i in range(40)
    }
    extra: dict[str, dict[str, Any]] = {
        name: {
            "tags": ["rare"] if i % 10 == 0 else ["common"],
            "meta": {
                "rank": i,
                "team": f"t{i % 4}",
                "labels": ["red", "blue"] if i % 10 == 0 else ["blue"],
            },
        }
        for i, name in enumerate(texts)
    }
    corpus = await make_corpus(live_client, live_tenant, container, embedder, texts, extra=extra)
    monkeypatch.setattr(retrieve_module, "EXACT_SEARCH_LIMIT", 0)  # force the HNSW path
    query = "note about shared words"
    rare = await retrieve(
        live_client,
        live_tenant,
        corpus.index_id,
        query=query,
        mode="vector",
        top_k=4,
        filters={"tags": ["rare"]},
    )
    assert sorted(r["document"]["name"] for r in rare["results"]) == [
        "d0.md",
        "d10.md",
        "d20.md",
        "d30.md",
    ]
    # A list value matches on any of its items, by equality and by `in`.
    for labels in ["red", {"in": ["red", "green"]}]:
        red = await retrieve(
            live_client,
            live_tenant,
            corpus.index_id,
            query=query,
            mode="hybrid",
            top_k=40,
            filters={"meta": {"labels": labels}},
        )
        assert sorted(r["document"]["name"] for r in red["results"]) == [
            "d0.md",
            "d10.md",
            "d20.md",
            "d30.md",
        ], labels
    ranged = await retrieve(
        live_client,
        live_tenant,
        corpus.index_id,
        query=query,
        mode="hybrid",
        top_k=40,
        filters={"meta": {"rank": {"gte": 5, "lte": 9}, "team": {"in": ["t1", "t2"]}}},
    )
    assert sorted(r["document"]["name"] for r in ranged["results"]) == ["d5.md", "d6.md", "d9.md"]
    one = await retrieve(
        live_client,
        live_tenant,
        corpus.index_id,
        query=query,
        mode="keyword",
        filters={"document_ids": [corpus.documents["d7.md"]], "meta": {"team": "t3"}},
    )
    assert [r["document"]["name"] for r in one["results"]] == ["d7.md"]


async def test_replaced_and_deleted_documents_leave_no_chunks_and_statistics_stay_exact(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    corpus = await make_corpus(live_client, live_tenant, container, embedder, TEXTS)
    index_id = uuid.UUID(corpus.index_id)
    replaced = await live_client.post(
        f"/v1/documents/{corpus.documents['cats.md']}/upload",
        files={"file": ("cats.md", b"# Lions\n\nLions roar on the savanna.", "text/markdown")},
        headers=live_tenant.headers,
    )
    assert replaced.status_code == 202, replaced.text
    async with container.sessionmaker() as session:
        left = await session.scalar(
            select(func.count())
            .select_from(Chunk)
            .where(Chunk.document_id == uuid.UUID(corpus.documents["cats.md"]))
        )
    assert left == 0  # dropped in the replacing transaction, before any re-indexing
    assert not (
        await retrieve(live_client, live_tenant, corpus.index_id, query="purrs", mode="keyword")
    )["results"]

    deleted = await live_client.delete(
        f"/v1/documents/{corpus.documents['dogs.md']}", headers=live_tenant.headers
    )
    assert deleted.status_code == 200
    assert not (
        await retrieve(
            live_client, live_tenant, corpus.index_id, query="bark strangers", mode="keyword"
        )
    )["results"]

    counted, actual = await _statistics(container, index_id)
    assert counted == actual
    stored_df, counted_df = await _frequencies(container, index_id)
    assert "purr" not in counted_df  # the words are gone...
    assert "bark" not in counted_df
    assert stored_df == counted_df  # ...and so are their document frequencies
    async with container.sessionmaker() as session:
        orphans = await session.scalar(
            select(func.count())
            .select_from(Bm25Posting)
            .where(
                Bm25Posting.index_id == index_id,
                Bm25Posting.chunk_seq.not_in(select(Chunk.seq)),
            )
        )
    assert orphans == 0


async def test_deleted_text_is_never_retrieved_under_concurrent_search(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    texts = {f"n{i}.md": f"# Entry {i}\n\nCommon words for entry {i}." for i in range(6)}
    texts["secret.md"] = "# Secret\n\nThe zebracorn password is hidden here. Common words."
    corpus = await make_corpus(live_client, live_tenant, container, embedder, texts)
    secret = corpus.documents["secret.md"]
    deleted_at: list[float] = []
    violations: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()

    async def search_forever() -> int:
        rounds = 0
        while not deleted_at or loop.time() < deleted_at[0] + 1.0:
            started = loop.time()
            found = await retrieve(
                live_client, live_tenant, corpus.index_id, query="zebracorn common words", top_k=10
            )
            ids = {r["document_id"] for r in found["results"]}
            if deleted_at and started > deleted_at[0] and secret in ids:
                violations.append(found)
            rounds += 1
        return rounds

    searchers = [asyncio.create_task(search_forever()) for _ in range(4)]
    await asyncio.sleep(0.5)
    response = await live_client.delete(f"/v1/documents/{secret}", headers=live_tenant.headers)
    assert response.status_code == 200
    deleted_at.append(loop.time())
    rounds = await asyncio.gather(*searchers)
    assert sum(rounds) > 8
    assert violations == []


async def test_unchanged_documents_are_not_embedded_again_and_rebuild_reembeds(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    corpus = await make_corpus(live_client, live_tenant, container, embedder, TEXTS)
    embedded = len(embedder.texts)
    doc_id = uuid.UUID(corpus.documents["fish.md"])
    before = (await live_client.get(f"/v1/documents/{doc_id}", headers=live_tenant.headers)).json()
    assert await indexing.run_indexing(container.sessionmaker, embedder, doc_id) == "done_already"
    assert len(embedder.texts) == embedded  # held already: nothing embedded
    after = (await live_client.get(f"/v1/documents/{doc_id}", headers=live_tenant.headers)).json()
    assert after["status_detail"]["stages"] == before["status_detail"]["stages"]  # record kept

    rebuild = await live_client.put(
        f"/v1/vector-indices/{corpus.index_id}/rebuild", headers=live_tenant.headers
    )
    assert rebuild.status_code == 202
    task = rebuild.json()
    assert task["status"] == "started"
    assert task["task_name"] == "rebuild_vector_index"
    index = (
        await live_client.get(f"/v1/vector-indices/{corpus.index_id}", headers=live_tenant.headers)
    ).json()
    assert index["status"] == "rebuilding"
    assert index["stats"]["pending_documents"] == len(TEXTS)
    for document_id in corpus.documents.values():
        await indexing.run_indexing(container.sessionmaker, embedder, uuid.UUID(document_id))
    assert len(embedder.texts) > embedded
    index = (
        await live_client.get(f"/v1/vector-indices/{corpus.index_id}", headers=live_tenant.headers)
    ).json()
    assert index["status"] == "ready"
    assert index["stats"]["pending_documents"] == 0
    done = await live_client.get(
        f"/v1/vector-indices/{corpus.index_id}/tasks/{task['task_id']}", headers=live_tenant.headers
    )
    assert done.json()["status"] == "completed"


async def test_another_tenants_index_is_a_404(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    corpus = await make_corpus(
        live_client, live_tenant, container, embedder, {"a.md": "# A\n\nalpha"}
    )
    async with container.sessionmaker() as session:
        from tests.conftest import make_tenant_user

        other = await make_tenant_user(session, container.settings, "other")
    for method, path, body in (
        ("GET", "", None),
        ("PATCH", "", {"title": "x"}),
        ("POST", "/retrieve", {"query": "alpha"}),
        ("GET", "/chunks", None),
        ("POST", "/refresh", None),
        ("DELETE", "", None),
    ):
        response = await live_client.request(
            method, f"/v1/vector-indices/{corpus.index_id}{path}", json=body, headers=other.headers
        )
        assert response.status_code == 404, (method, path)
    mine = await live_client.get(
        f"/v1/vector-indices/{corpus.index_id}", headers=live_tenant.headers
    )
    assert mine.status_code == 200


async def test_processing_with_the_real_worker_pipeline_order(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    corpus = await make_corpus(
        live_client, live_tenant, container, embedder, {"x.md": "# X\n\nxylophone"}
    )
    doc = (
        await live_client.get(
            f"/v1/documents/{corpus.documents['x.md']}", headers=live_tenant.headers
        )
    ).json()
    assert doc["status"] == "ready"
    assert [s["name"] for s in doc["status_detail"]["stages"]] == ["extract", "index"]
    assert doc["status_detail"]["stages"][-1]["items"] == 1


async def test_the_sweeper_queues_documents_an_index_lacks(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    corpus = await make_corpus(
        live_client,
        live_tenant,
        container,
        embedder,
        {"a.md": "# A\n\nalpha", "b.md": "# B\n\nbeta"},
    )
    created = await live_client.post(
        "/v1/vector-indices",
        json={
            "name": f"extra-{uuid.uuid4().hex[:6]}",
            "embeddings_model_name": "local/all-minilm-l6-v2",
        },
        headers=live_tenant.headers,
    )
    assert created.status_code == 201
    extra = created.json()
    assert extra["status"] == "not_ready"
    assert extra["collection_ids"] == []
    async with container.sessionmaker() as session:
        from wxo.retrieval import repository

        await repository.attach_collections(
            session, uuid.UUID(extra["id"]), [uuid.UUID(corpus.collection_id)]
        )  # attached without its refresh job: as if that message were lost
        await session.commit()
    pending = await live_client.get(
        f"/v1/vector-indices/{extra['id']}", headers=live_tenant.headers
    )
    assert pending.json()["status"] == "update_pending"
    assert pending.json()["stats"]["pending_documents"] == 2

    queue = RecordingQueue()
    await service.queue_all_stale(container.sessionmaker, queue)
    sent = {payload["document_id"] for name, payload in queue.sent if name == INDEX_TASK}
    assert set(corpus.documents.values()) <= sent
    for document_id in corpus.documents.values():
        await indexing.run_indexing(container.sessionmaker, embedder, uuid.UUID(document_id))
    done = await live_client.get(f"/v1/vector-indices/{extra['id']}", headers=live_tenant.headers)
    assert done.json()["status"] == "ready"
    assert done.json()["stats"] == {"documents": 2, "chunks": 2, "pending_documents": 0}


async def test_statistics_stay_exact_under_concurrent_writers(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    corpus = await make_corpus(
        live_client, live_tenant, container, embedder, {"seed.md": "# Seed\n\nseed"}
    )
    ids = []
    for i in range(8):
        created = await live_client.post(
            "/v1/documents",
            json={
                "name": f"c{i}.md",
                "collection_id": corpus.collection_id,
                "text": f"# Doc {i}\n\n" + " ".join(f"word{j} common" for j in range(i * 5 + 3)),
            },
            headers=live_tenant.headers,
        )
        ids.append(uuid.UUID(created.json()["id"]))
    extractor = load_extractor(container.settings.documents.extractor)
    for document_id in ids:
        await pipeline.run_extraction(
            container.sessionmaker, container.blobs, extractor, document_id
        )
    # eight index jobs at once, and two deletes racing them
    outcomes = await asyncio.gather(
        *(indexing.run_indexing(container.sessionmaker, embedder, d) for d in ids),
        live_client.delete(f"/v1/documents/{ids[0]}", headers=live_tenant.headers),
        live_client.delete(
            f"/v1/documents/{corpus.documents['seed.md']}", headers=live_tenant.headers
        ),
    )
    assert set(outcomes[:8]) <= {"indexed", "missing", "done_already"}
    index_id = uuid.UUID(corpus.index_id)
    counted, actual = await _statistics(container, index_id)
    assert actual[0] == 7  # the seven surviving documents, one chunk each
    assert counted == actual
    stored_df, counted_df = await _frequencies(container, index_id)
    assert counted_df["common"] == 7
    assert stored_df == counted_df
    async with container.sessionmaker() as session:
        lengths = dict(
            (
                await session.execute(
                    select(Chunk.seq, Chunk.length).where(Chunk.index_id == index_id)
                )
            ).all()
        )
        postings = (
            await session.execute(
                select(Bm25Posting.chunk_seq, func.sum(Bm25Posting.tf))
                .where(Bm25Posting.index_id == index_id)
                .group_by(Bm25Posting.chunk_seq)
            )
        ).all()
    assert {seq: int(tf) for seq, tf in postings} == lengths  # every posting belongs, sums match


async def test_hybrid_with_the_keyword_leg_apart_equals_one_statement(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    corpus = await make_corpus(live_client, live_tenant, container, embedder, TEXTS)
    query = "dogs and cats at home"
    vector = (await embedder(live_tenant.tenant_id, None, [query]))[0]
    plan = search.Plan(
        tenant_id=live_tenant.tenant_id,
        index_id=uuid.UUID(corpus.index_id),
        mode="hybrid",
        limit=5,
        candidates=100,
        dims=len(vector),
        embedding="[" + ",".join(repr(x) for x in vector) + "]",
        query=query,
        fusion="convex",
        exact=True,
    )

    async def run(plan: search.Plan) -> list[tuple[str, float]]:
        async with container.sessionmaker() as session:
            sql, params = search.retrieval_sql(plan)
            rows = (await session.execute(text(sql), params)).mappings().all()
            return [(str(r["document_id"]), round(float(r["fused"]), 9)) for r in rows]

    async with container.sessionmaker() as session:
        sql, params = search.keyword_sql(plan)
        hits = tuple((int(s), float(v)) for s, v in (await session.execute(text(sql), params)))
    together = await run(plan)
    apart = await run(dataclasses.replace(plan, keyword_hits=hits))

    assert len(together) == 5
    assert apart == together
    api = await retrieve(live_client, live_tenant, corpus.index_id, query=query, mode="hybrid")
    assert [r["document_id"] for r in api["results"]] == [d for d, _ in together]
    assert {"embed", "keyword", "search", "total"} <= set(api["timings_ms"])
    # A document deleted between the two legs is not returned by the second.
    gone = together[0][0]
    deleted = await live_client.delete(f"/v1/documents/{gone}", headers=live_tenant.headers)
    assert deleted.status_code == 200
    after = await run(dataclasses.replace(plan, keyword_hits=hits))
    assert gone not in [d for d, _ in after]
    assert len(after) == 4


async def test_hybrid_with_no_keyword_match_ranks_by_vector_alone(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    corpus = await make_corpus(live_client, live_tenant, container, embedder, TEXTS)
    # Only stop words: the BM25 leg has no terms and returns nothing.
    keyword = await retrieve(
        live_client, live_tenant, corpus.index_id, query="the of and", mode="keyword"
    )
    hybrid = await retrieve(
        live_client, live_tenant, corpus.index_id, query="the of and", mode="hybrid", top_k=3
    )
    vector = await retrieve(
        live_client, live_tenant, corpus.index_id, query="the of and", mode="vector", top_k=3
    )

    assert keyword["results"] == []
    assert [r["chunk_id"] for r in hybrid["results"]] == [r["chunk_id"] for r in vector["results"]]
    assert all(r["scores"]["keyword"] is None for r in hybrid["results"])


async def test_document_frequencies_fold_and_leave_with_their_index(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
) -> None:
    corpus = await make_corpus(live_client, live_tenant, container, embedder, TEXTS)
    index_id = uuid.UUID(corpus.index_id)
    async with container.sessionmaker() as session:
        seqs, lengths = zip(
            *(
                await session.execute(
                    select(Chunk.seq, Chunk.length).where(Chunk.index_id == index_id)
                )
            ).all(),
            strict=True,
        )
    # 9 statements a chunk, each adding the term to it or taking it off (one row changed each),
    # more than 32 in all: each appends a row for the term; the insert trigger folds them.
    for i in range(9 * len(seqs)):
        seq, dl = seqs[i % len(seqs)], lengths[i % len(seqs)]
        added = (i // len(seqs)) % 2 == 1  # by the round before
        async with container.sessionmaker() as session, session.begin():
            await session.execute(
                text(
                    "DELETE FROM bm25_posting WHERE index_id = :i AND term = 'zzyzx'"
                    " AND chunk_seq = :seq"
                    if added
                    else "INSERT INTO bm25_posting (index_id, term, chunk_seq, tf, dl)"
                    " VALUES (:i, 'zzyzx', :seq, 1, :dl)"
                ),
                {"i": index_id, "seq": seq, "dl": dl},
            )
    async with container.sessionmaker() as session:
        rows = await session.scalar(
            select(func.count()).where(Bm25Df.index_id == index_id, Bm25Df.term == "zzyzx")
        )
    stored_df, counted_df = await _frequencies(container, index_id)
    assert stored_df == counted_df
    assert counted_df["zzyzx"] == len(seqs)  # each chunk's term toggled an odd number of times
    assert rows is not None
    assert rows <= 33  # folded

    deleted = await live_client.delete(
        f"/v1/vector-indices/{corpus.index_id}", headers=live_tenant.headers
    )
    assert deleted.status_code == 200, deleted.text
    async with container.sessionmaker() as session:
        left = await session.scalar(select(func.count()).where(Bm25Df.index_id == index_id))
    assert left == 0
