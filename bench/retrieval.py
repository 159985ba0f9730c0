"""Retrieval speed at 100,000 chunks: latency through the API, HNSW recall, build time, disk.

A benchmark, not a test: it prints a markdown report (``--doc`` writes it to a file) and the raw
numbers as JSON (``--out``); nothing asserts targets. Targets (issue "Vector Index and
Retrieval", "Speed targets"): hybrid p95 <= 60 ms at 1 client, HNSW recall@10 against exact
search >= 0.98; index build time and disk size per 100k chunks are reported.

What it does:

1. Starts ``wxo serve`` on a fresh data directory (``bench/threads.py`` ``ManagedServer``), or
   on ``--data-dir`` (kept afterwards), and creates the collection ``bench-retrieval`` through
   the API; its default vector index is the one measured.
2. Loads the index **straight into the server's PostgreSQL** (embedding 100k chunks through the
   API would take about an hour on 2 cores): the SciFact corpus is chunked with
   ``chunk_elements`` at the index's own ``chunk_size``/``chunk_overlap`` (elements
   ``Title(title)``, ``NarrativeText(text)``, as the Markdown upload of ``bench/beir.py``
   yields), every distinct chunk text is embedded once with ``MiniLMEncoder`` (the server's
   model), and documents (``ready``, ``content_hash`` set) are written with their chunks through
   ``repository.replace_chunks``, the worker's own function (chunks, BM25 postings, statistics
   and ``indexed_document``). The corpus is then replicated under new document ids until
   ``--chunks`` chunks exist: texts stay the same real text (BM25 document frequencies grow as
   with real duplicates) and each replica's vectors get Gaussian noise (``--sigma``, fixed seed)
   and are renormalised, so the HNSW graph holds no exact duplicates. Then times a
   ``REINDEX`` of the HNSW index and a rebuild of all postings (``TRUNCATE`` + the worker's
   ``INSERT ... SELECT`` over the whole index), runs ``VACUUM ANALYZE`` on ``chunk`` and
   ``bm25_posting`` and reports the relations' sizes. With ``--data-dir`` holding a loaded index
   the load and rebuilds are skipped (``--rebuild`` forces the rebuild timings).
3. Prewarm: ``pg_prewarm`` reads the relations a retrieve uses (BM25 statistics and postings,
   chunks and their TOAST, the HNSW index) into PostgreSQL's buffers, as a server that has
   been answering queries would hold them. Latency: for each ``--concurrency`` level, each
   kind of request runs ``--warmup`` seconds (discarded) and ``--duration`` seconds measured,
   closed loop (each client waits for its answer), cycling through the 809 SciFact training
   queries: ``alive`` (``GET /health/alive``, the HTTP stack alone), ``embed`` (``POST
   /v1/embeddings`` of the query: the embedding share of a retrieve), and ``vector``,
   ``keyword`` and ``hybrid`` retrieve
   (``top_k`` 10, ``highlight`` left at its default, true). Client-side latency p50/p95/p99,
   requests/s and the medians of the server's ``timings_ms`` (embed, search, total).
4. Recall: ``--recall-queries`` queries spread over the set are sent as ``vector`` retrieves
   (the server searches through HNSW above ``EXACT_SEARCH_LIMIT`` chunks) and compared with the
   exact top 10 computed in SQL for the same vector (``ORDER BY (distance) + 0`` defeats the
   index), the query embedded in-process by the same model; the top scores are compared too
   (they match when the vectors do).

The corpus vectors are kept in ``--vector-cache`` (embedding SciFact's 11k chunks takes about
14 minutes on a busy 2-core machine), so only the first run pays for them.

The load generator (httpx.AsyncClient) and the server share the machine's cores: the report
shows how much CPU the client itself used.

Run: ``.venv/bin/python bench/retrieval.py --chunks 100000 --out bench/results/retrieval.json
--doc /tmp/retrieval.md [--keep]``; again on the kept directory:
``--data-dir /tmp/wxo-bench-XXXX``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import numpy as np
import numpy.typing as npt
import psycopg
from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from beir import default_index, read_jsonl
from threads import ManagedServer, machine_info, percentile, token_claims

import wxo.models  # noqa: F401  (every table, so that ORM inserts resolve foreign keys)
from wxo.core.db import create_engine, create_sessionmaker
from wxo.documents.languages import configuration
from wxo.documents.models import Document, DocumentStatus
from wxo.llm.local.minilm import MiniLMEncoder
from wxo.retrieval import repository, search
from wxo.retrieval.chunking import ChunkDraft, SourceElement, chunk_elements
from wxo.retrieval.retrieve import EXACT_SEARCH_LIMIT, HNSW_EF_SEARCH

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "scifact"
COLLECTION = "bench-retrieval"
KINDS = ("alive", "embed", "vector", "keyword", "hybrid")
RETRIEVE_MODES: tuple[search.Mode, ...] = ("vector", "keyword", "hybrid")
HNSW_INDEX = "ix_chunk_embedding_hnsw_384"
DIMS = 384
TARGET_HYBRID_P95_MS = 60.0
TARGET_RECALL = 0.98
DOCS_PER_COMMIT = 250

# The worker's posting build (`repository._POSTINGS`) over a whole index rather than a document.
_ALL_POSTINGS = (
    "INSERT INTO bm25_posting (index_id, term, chunk_seq, tf, dl)"
    " SELECT c.index_id, t.lexeme, c.seq, least(array_length(t.positions, 1), 32767), c.length"
    " FROM chunk c CROSS JOIN LATERAL unnest(to_tsvector(CAST(c.language AS regconfig),"
    " c.context || E'\\n' || c.text)) AS t"
    " WHERE c.index_id = %(index_id)s ORDER BY c.seq"
)

# Exact top 10 for one vector: `+ 0` hides the expression from the HNSW index.
_EXACT_SQL = (
    "SELECT id::text, 1 - (CAST(embedding AS vector(384)) <=> CAST(%(q)s AS vector(384)))"
    " FROM chunk WHERE index_id = %(index_id)s AND dims = 384"
    " ORDER BY (CAST(embedding AS vector(384)) <=> CAST(%(q)s AS vector(384))) + 0 LIMIT %(k)s"
)


# --------------------------------------------------------------------------------------------
# Server, collection, small helpers
# --------------------------------------------------------------------------------------------


def start_server(data_dir: Path | None, keep: bool) -> ManagedServer:
    """`wxo serve` on a fresh data directory, or on `data_dir` (which is then always kept)."""
    if data_dir is None:
        return ManagedServer(workers=None, keep_data=keep)
    data_dir.mkdir(parents=True, exist_ok=True)
    with mock.patch("threads.tempfile.mkdtemp", return_value=str(data_dir)):
        return ManagedServer(workers=None, keep_data=True)


def load_average() -> str:
    """`uptime`'s load averages (1, 5, 15 min)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def vector_literal(vector: Sequence[float] | npt.NDArray[np.float32]) -> str:
    """The pgvector text of a vector, written as the server writes query vectors."""
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"


def async_dsn(dsn: str) -> str:
    """SQLAlchemy URL of a libpq DSN (psycopg 3 driver)."""
    return dsn.replace("postgresql://", "postgresql+psycopg://", 1)


def ensure_collection(http: httpx.Client) -> tuple[dict[str, Any], dict[str, Any]]:
    """The benchmark's collection (created with its default index when missing) and its index."""
    page = http.get("/v1/document-collections", params={"names": COLLECTION})
    page.raise_for_status()
    found = page.json()["data"]
    if found:
        collection: dict[str, Any] = found[0]
    else:
        created = http.post("/v1/document-collections", json={"name": COLLECTION})
        created.raise_for_status()
        collection = created.json()
    return collection, default_index(http, str(collection["id"]))


def index_chunk_count(dsn: str, index_id: str) -> int:
    """Chunks the index holds (counted)."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM chunk WHERE index_id = %s", (index_id,)).fetchone()
    return int(row[0]) if row else 0


def index_generation(dsn: str, index_id: str) -> int:
    """The index's generation (not in the API): chunks are stored under it."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT generation FROM vector_index WHERE id = %s", (index_id,))
        return int(row.fetchone()[0])  # type: ignore[index]


# --------------------------------------------------------------------------------------------
# Loading 100k chunks
# --------------------------------------------------------------------------------------------


@dataclass
class CorpusDoc:
    """One SciFact abstract and its chunks at the index's settings."""

    id: str
    title: str
    text: str
    drafts: list[ChunkDraft]

    @property
    def markdown(self) -> str:
        """The bytes `bench/beir.py` would upload for it."""
        return f"# {self.title}\n\n{self.text}" if self.title else self.text


@dataclass
class LoadResult:
    """How the index was filled."""

    documents: int = 0
    chunks: int = 0
    corpus_documents: int = 0
    corpus_chunks: int = 0
    distinct_texts: int = 0
    replicas: int = 0
    sigma: float = 0.0
    vectors_cached: bool = False
    embed_seconds: float = 0.0
    insert_seconds: float = 0.0
    total_seconds: float = 0.0
    chunks_per_s_insert: float = 0.0


def read_corpus(path: Path, chunk_size: int, chunk_overlap: int) -> list[CorpusDoc]:
    """The corpus, chunked as the worker chunks a Markdown upload (`# title`, then the text)."""
    docs: list[CorpusDoc] = []
    for row in read_jsonl(path):
        title, body = str(row.get("title") or "").strip(), str(row.get("text") or "")
        elements = [SourceElement("title", "Title", title)] if title else []
        elements.append(SourceElement("body", "NarrativeText", body))
        drafts = chunk_elements(
            elements, chunk_size=chunk_size, chunk_overlap=chunk_overlap, title=title or None
        )
        docs.append(CorpusDoc(str(row["_id"]), title, body, drafts))
    return docs


def perturbed(
    vectors: npt.NDArray[np.float32], rng: np.random.Generator, sigma: float
) -> npt.NDArray[np.float32]:
    """`vectors` plus Gaussian noise of standard deviation `sigma`, renormalised to length 1."""
    noisy = vectors + rng.normal(0.0, sigma, vectors.shape).astype(np.float32)
    normalised: npt.NDArray[np.float32] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
    return normalised


def replica_plan(corpus: Sequence[CorpusDoc], target: int) -> Iterator[tuple[int, CorpusDoc]]:
    """(replica, document) in load order until `target` chunks are reached (whole documents)."""
    total = 0
    for replica in itertools.count():
        for doc in corpus:
            if total >= target:
                return
            if doc.drafts:
                total += len(doc.drafts)
                yield replica, doc


def embed_cached(
    encoder: MiniLMEncoder, texts: Sequence[str], cache_dir: Path | None
) -> tuple[npt.NDArray[np.float32], bool]:
    """`encoder.encode(texts)` kept in `cache_dir` (keyed by model and texts); from the cache?"""
    if cache_dir is None:
        return encoder.encode(texts), False
    digest = hashlib.sha256(encoder.model_id.encode())
    for item in texts:
        digest.update(item.encode("utf-8") + b"\0")
    path = cache_dir / f"vectors-{digest.hexdigest()[:16]}.npy"
    if path.exists():
        cached: npt.NDArray[np.float32] = np.load(path)
        print(f"vectors from {path}", flush=True)
        return cached, True
    vectors = encoder.encode(texts)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors, False


@dataclass
class LoadContext:
    """Who owns the loaded rows."""

    dsn: str
    tenant_id: uuid.UUID
    user_id: uuid.UUID | None
    collection_id: uuid.UUID
    index_id: uuid.UUID
    generation: int
    language: str


def _document_row(ctx: LoadContext, doc: CorpusDoc, replica: int, chunks: int) -> dict[str, Any]:
    body = doc.markdown.encode("utf-8")
    suffix = f"~{replica}" if replica else ""
    return {
        "id": uuid.uuid4(),
        "tenant_id": ctx.tenant_id,
        "collection_id": ctx.collection_id,
        "name": f"{doc.id}{suffix}.md",
        "title": doc.title or None,
        "content_type": "text/markdown",
        "size_bytes": len(body),
        "content_hash": hashlib.sha256(body + suffix.encode()).hexdigest(),
        "status": DocumentStatus.READY,
        "chunk_count": chunks,
        "created_by": ctx.user_id,
    }


def _chunk_rows(
    ctx: LoadContext,
    document: dict[str, Any],
    drafts: Sequence[ChunkDraft],
    vectors: npt.NDArray[np.float32],
    lengths: Sequence[int],
) -> list[dict[str, Any]]:
    """Chunk rows as `wxo.retrieval.indexing._rows` builds them."""
    return [
        {
            "id": uuid.uuid4(),
            "tenant_id": ctx.tenant_id,
            "index_id": ctx.index_id,
            "document_id": document["id"],
            "collection_id": ctx.collection_id,
            "ord": draft.ord,
            "text": draft.text,
            "context": draft.context,
            "heading_path": list(draft.heading_path),
            "page_number": draft.page_number,
            "element_types": list(draft.element_types),
            "tags": [],
            "meta": {},
            "content_type": "text/markdown",
            "source_date": None,
            "language": ctx.language,
            "length": length,
            "dims": DIMS,
            "embedding": vector,
            "metadata_": {},
        }
        for draft, vector, length in zip(drafts, vectors, lengths, strict=True)
    ]


async def load_index(
    ctx: LoadContext,
    corpus: Sequence[CorpusDoc],
    encoder: MiniLMEncoder,
    target: int,
    sigma: float,
    seed: int,
    cache_dir: Path | None,
) -> LoadResult:
    """Fill the index with `target` chunks (see the module docstring); the timings."""
    result = LoadResult(sigma=sigma, corpus_documents=len(corpus))
    started = time.perf_counter()
    texts = list(dict.fromkeys(d.indexed_text for doc in corpus for d in doc.drafts))
    result.corpus_chunks = sum(len(doc.drafts) for doc in corpus)
    result.distinct_texts = len(texts)
    clock = time.perf_counter()
    base_vectors, result.vectors_cached = embed_cached(encoder, texts, cache_dir)
    result.embed_seconds = time.perf_counter() - clock
    print(f"{len(texts)} distinct chunk texts embedded in {result.embed_seconds:.1f}s", flush=True)
    position = {t: i for i, t in enumerate(texts)}
    engine = create_engine(async_dsn(ctx.dsn), pool_size=2)
    sessionmaker = create_sessionmaker(engine)
    clock = time.perf_counter()
    async with sessionmaker() as session:
        counted = await repository.term_lengths(session, ctx.language, texts)
    length_of = dict(zip(texts, counted, strict=True))
    rng = np.random.default_rng(seed)
    vectors_by_replica: dict[int, npt.NDArray[np.float32]] = {0: base_vectors}
    plan = list(replica_plan(corpus, target))
    try:
        for start in range(0, len(plan), DOCS_PER_COMMIT):
            batch = plan[start : start + DOCS_PER_COMMIT]
            async with sessionmaker() as session:
                documents = [_document_row(ctx, doc, r, len(doc.drafts)) for r, doc in batch]
                await session.execute(insert(Document), documents)
                for (replica, doc), document in zip(batch, documents, strict=True):
                    if replica not in vectors_by_replica:
                        vectors_by_replica = {replica: perturbed(base_vectors, rng, sigma)}
                    rows = [position[d.indexed_text] for d in doc.drafts]
                    vectors = vectors_by_replica[replica][rows]
                    lengths = [length_of[d.indexed_text] for d in doc.drafts]
                    await repository.replace_chunks(
                        session,
                        index_id=ctx.index_id,
                        document_id=document["id"],
                        content_hash=document["content_hash"],
                        generation=ctx.generation,
                        rows=_chunk_rows(ctx, document, doc.drafts, vectors, lengths),
                    )
                    result.chunks += len(doc.drafts)
                    result.documents += 1
                    result.replicas = replica + 1
                await session.commit()
            elapsed = time.perf_counter() - clock
            print(
                f"  {result.documents} documents, {result.chunks} chunks, {elapsed:.0f}s "
                f"({result.chunks / elapsed:.0f} chunks/s)",
                flush=True,
            )
        async with sessionmaker() as session:  # as the worker does on a first document
            await session.execute(
                text(
                    "UPDATE vector_index SET dimensions = :d WHERE id = :i AND dimensions IS NULL"
                ),
                {"d": DIMS, "i": ctx.index_id},
            )
            await session.commit()
    finally:
        await engine.dispose()
    result.insert_seconds = time.perf_counter() - clock
    result.total_seconds = time.perf_counter() - started
    result.chunks_per_s_insert = result.chunks / result.insert_seconds
    return result


# --------------------------------------------------------------------------------------------
# Build time and disk size
# --------------------------------------------------------------------------------------------


def rebuild_timings(dsn: str, index_id: str) -> dict[str, Any]:
    """Time a REINDEX of the HNSW index, a rebuild of all postings, then VACUUM ANALYZE."""
    notices: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.add_notice_handler(lambda d: notices.append(str(d.message_primary)))
        settings = {
            name: str(conn.execute(f"SHOW {name}").fetchone()[0])  # type: ignore[index]
            for name in ("maintenance_work_mem", "max_parallel_maintenance_workers", "work_mem")
        }
        others = conn.execute(
            "SELECT count(*) FROM bm25_posting WHERE index_id <> %s", (index_id,)
        ).fetchone()
        clock = time.perf_counter()
        conn.execute(f"REINDEX INDEX {HNSW_INDEX}")
        reindex_s = time.perf_counter() - clock
        postings_s: float | None = None
        if others and int(others[0]) == 0:  # only this index's postings: rebuild them all
            clock = time.perf_counter()
            with conn.transaction():
                conn.execute("TRUNCATE bm25_posting, bm25_df")  # TRUNCATE fires no trigger
                conn.execute(_ALL_POSTINGS, {"index_id": index_id})
            postings_s = time.perf_counter() - clock
        clock = time.perf_counter()
        conn.execute("VACUUM ANALYZE chunk")
        conn.execute("VACUUM ANALYZE bm25_posting")
        conn.execute("VACUUM ANALYZE bm25_df")
        vacuum_s = time.perf_counter() - clock
    return {
        "reindex_hnsw_s": round(reindex_s, 1),
        "postings_rebuild_s": round(postings_s, 1) if postings_s is not None else None,
        "vacuum_analyze_s": round(vacuum_s, 1),
        "settings": settings,
        "notices": notices,
    }


#: What a retrieve reads, smallest first: the last ones stay if shared_buffers is small (the
#: chunks' TOAST table, where long texts live, is read last).
_PREWARM = ("pk_bm25_df", "bm25_stat", "chunk", HNSW_INDEX, "pk_bm25_posting")


def prewarm(dsn: str) -> dict[str, Any]:
    """Read the relations a retrieve uses into PostgreSQL's buffers (and the OS page cache).

    A server answering queries all day holds them; one just started (and the benchmark starts
    one) would spend its first minutes reading pages, which is not what the cells measure.
    """
    clock = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        toast = conn.execute(
            "SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = 'chunk'::regclass"
        ).fetchone()
        names = [*_PREWARM, *([toast[0]] if toast and toast[0] != "-" else [])]
        blocks = {
            name: int(conn.execute("SELECT pg_prewarm(%s)", (name,)).fetchone()[0])  # type: ignore[index]
            for name in names
        }
        buffers = str(conn.execute("SHOW shared_buffers").fetchone()[0])  # type: ignore[index]
    return {"blocks": blocks, "shared_buffers": buffers, "s": round(time.perf_counter() - clock, 1)}


def disk_sizes(dsn: str, index_id: str) -> dict[str, Any]:
    """Sizes (MiB) of the chunk table, its HNSW index, the postings and their key."""
    queries = {
        "chunk_total": "pg_total_relation_size('chunk')",
        "chunk_heap": "pg_relation_size('chunk')",
        "chunk_toast": "coalesce(pg_total_relation_size(nullif(reltoastrelid, 0)), 0)",
        "chunk_hnsw_384": f"pg_relation_size('{HNSW_INDEX}')",
        "chunk_indexes_all": "pg_indexes_size('chunk')",
        "bm25_posting_total": "pg_total_relation_size('bm25_posting')",
        "bm25_posting_heap": "pg_relation_size('bm25_posting')",
        "pk_bm25_posting": "pg_relation_size('pk_bm25_posting')",
        "bm25_df_total": "pg_total_relation_size('bm25_df')",
    }
    select = ", ".join(f"{sql} AS {name}" for name, sql in queries.items())
    with psycopg.connect(dsn) as conn:
        sql = f"SELECT {select} FROM pg_class WHERE oid = 'chunk'::regclass"  # noqa: S608
        row = conn.execute(sql).fetchone()
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM chunk WHERE index_id = %(i)s),"
            " (SELECT count(*) FROM bm25_posting WHERE index_id = %(i)s),"
            " (SELECT count(*) FROM chunk)",
            {"i": index_id},
        ).fetchone()
    assert row is not None
    assert counts is not None
    sizes = {name: round(int(v) / 2**20, 1) for name, v in zip(queries, row, strict=True)}
    chunks, postings, all_chunks = (int(v) for v in counts)
    per_100k = 100_000 / max(all_chunks, 1)
    return {
        "chunks": chunks,
        "chunks_in_table": all_chunks,
        "postings": postings,
        "postings_per_chunk": round(postings / max(chunks, 1), 1),
        "mib": sizes,
        "mib_per_100k_chunks": {k: round(v * per_100k, 1) for k, v in sizes.items()},
    }


# --------------------------------------------------------------------------------------------
# Latency
# --------------------------------------------------------------------------------------------


@dataclass
class Cell:
    """One kind of request at one concurrency."""

    kind: str
    concurrency: int
    duration_s: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    client_cpu_cores: float
    server_ms: dict[str, float] = field(default_factory=dict)  # timings_ms medians
    results_p50: float = 0.0  # results per answer


def request_of(
    kind: str, query: str, index_id: str, model: str | None
) -> tuple[str, str, dict[str, Any] | None]:
    """(method, path, JSON body) of one request of a kind."""
    if kind == "alive":
        return "GET", "/health/alive", None
    if kind == "embed":
        return "POST", "/v1/embeddings", {"input": query, "model": model}
    body = {"query": query, "top_k": 10, "mode": kind}
    return "POST", f"/v1/vector-indices/{index_id}/retrieve", body


async def _closed_loop(
    http: httpx.AsyncClient,
    kind: str,
    concurrency: int,
    seconds: float,
    queries: Sequence[str],
    counter: Iterator[int],
    target: tuple[str, str | None],
) -> tuple[list[float], int, list[dict[str, Any]], list[int]]:
    """Run `concurrency` clients for `seconds`: latencies (ms), errors, timings_ms, hit counts."""
    latencies: list[float] = []
    timings: list[dict[str, Any]] = []
    hits: list[int] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            method, path, body = request_of(kind, queries[next(counter) % len(queries)], *target)
            clock = time.perf_counter()
            try:
                response = await http.request(method, path, json=body)
            except httpx.HTTPError:
                errors += 1
                continue
            elapsed = (time.perf_counter() - clock) * 1000
            if response.status_code != 200:
                errors += 1
                continue
            latencies.append(elapsed)
            if kind in RETRIEVE_MODES:
                data = response.json()
                timings.append(data.get("timings_ms") or {})
                hits.append(len(data.get("results") or []))

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, errors, timings, hits


async def measure_cell(
    url: str,
    token: str,
    kind: str,
    concurrency: int,
    durations: tuple[float, float],
    queries: Sequence[str],
    target: tuple[str, str | None],
) -> Cell:
    """Warm up, then measure one kind of request at one concurrency."""
    warmup, duration = durations
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    counter = itertools.count()
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as http:
        await _closed_loop(http, kind, concurrency, warmup, queries, counter, target)
        cpu, clock = time.process_time(), time.perf_counter()
        latencies, errors, timings, hits = await _closed_loop(
            http, kind, concurrency, duration, queries, counter, target
        )
        wall = time.perf_counter() - clock
        client_cpu = (time.process_time() - cpu) / wall
    latencies.sort()
    server_ms = {
        key: round(statistics.median(float(t[key]) for t in timings if key in t), 2)
        for key in ("embed", "search", "total")
        if any(key in t for t in timings)
    }
    return Cell(
        kind=kind,
        concurrency=concurrency,
        duration_s=round(wall, 1),
        requests=len(latencies),
        errors=errors,
        rps=round(len(latencies) / wall, 1),
        p50_ms=round(percentile(latencies, 50), 1),
        p95_ms=round(percentile(latencies, 95), 1),
        p99_ms=round(percentile(latencies, 99), 1),
        max_ms=round(latencies[-1], 1) if latencies else 0.0,
        client_cpu_cores=round(client_cpu, 2),
        server_ms=server_ms,
        results_p50=float(statistics.median(hits)) if hits else 0.0,
    )


# --------------------------------------------------------------------------------------------
# Recall and plans
# --------------------------------------------------------------------------------------------


def spread(items: Sequence[str], n: int) -> list[str]:
    """`n` items evenly spread over `items` (all of them when fewer)."""
    if n >= len(items):
        return list(items)
    return [items[i * len(items) // n] for i in range(n)]


def hnsw_recall(
    http: httpx.Client,
    dsn: str,
    index_id: str,
    encoder: MiniLMEncoder,
    queries: Sequence[str],
    k: int = 10,
) -> dict[str, Any]:
    """Recall@k of the server's vector retrieve against the exact top k computed in SQL."""
    vectors = encoder.encode(list(queries))
    recalls: list[float] = []
    tie_recalls: list[float] = []
    score_diffs: list[float] = []
    exact_ms: list[float] = []
    with psycopg.connect(dsn) as conn:
        conn.execute("SET max_parallel_workers_per_gather = 0")
        for query, vector in zip(queries, vectors, strict=True):
            answer = http.post(
                f"/v1/vector-indices/{index_id}/retrieve",
                json={"query": query, "top_k": k, "mode": "vector", "highlight": False},
            )
            answer.raise_for_status()
            results = answer.json()["results"]
            clock = time.perf_counter()
            exact = conn.execute(
                _EXACT_SQL, {"q": vector_literal(vector), "index_id": index_id, "k": k}
            ).fetchall()
            exact_ms.append((time.perf_counter() - clock) * 1000)
            exact_ids = {str(r[0]) for r in exact}
            got = [(str(r["chunk_id"]), float(r["scores"]["vector"])) for r in results]
            recalls.append(len({c for c, _ in got} & exact_ids) / k)
            # Equal distances (identical chunk texts) make the exact set itself arbitrary.
            kth = float(exact[-1][1])
            tie_recalls.append(min(k, sum(1 for _, s in got if s >= kth - 1e-6)) / k)
            if got and exact:
                score_diffs.append(abs(got[0][1] - float(exact[0][1])))
    return {
        "queries": len(queries),
        "k": k,
        "recall_mean": round(statistics.fmean(recalls), 4),
        "recall_min": round(min(recalls), 4),
        "recall_with_ties_mean": round(statistics.fmean(tie_recalls), 4),
        "queries_below_1": sum(1 for r in recalls if r < 1),
        "top_score_max_abs_diff": max(score_diffs) if score_diffs else None,
        "exact_search_ms_p50": round(statistics.median(exact_ms), 1),
    }


def explain_modes(
    dsn: str, tenant_id: uuid.UUID, index_id: str, encoder: MiniLMEncoder, query: str
) -> dict[str, Any]:
    """EXPLAIN ANALYZE of the server's SQL for one query in each mode (HNSW path, ef_search)."""
    embedding = vector_literal(encoder.encode([query])[0])
    found: dict[str, Any] = {}
    with psycopg.connect(dsn) as conn:
        for mode in RETRIEVE_MODES:
            candidates = 100 if mode == "hybrid" else 10
            plan = search.Plan(
                tenant_id=tenant_id,
                index_id=uuid.UUID(index_id),
                mode=mode,
                limit=10,
                candidates=candidates,
                dims=DIMS,
                embedding=None if mode == "keyword" else embedding,
                query=query,
            )
            sql, params = search.retrieval_sql(plan)
            with conn.transaction():
                conn.execute(
                    "SELECT set_config('hnsw.ef_search', %s, true),"
                    " set_config('hnsw.iterative_scan', 'relaxed_order', true)",
                    (str(max(HNSW_EF_SEARCH, candidates)),),
                )
                lines = [
                    str(r[0])
                    for r in _sa_execute(conn, f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
                ]
            total = next((ln for ln in lines if ln.startswith("Execution Time")), "")
            found[mode] = {
                "uses_hnsw": any(HNSW_INDEX in ln for ln in lines),
                "execution_ms": float(total.split(":")[1].split()[0]) if total else None,
                "plan": lines,
            }
    return found


def _sa_execute(conn: psycopg.Connection[Any], sql: str, params: dict[str, Any]) -> list[Any]:
    """Run SQLAlchemy-style `:name` SQL on a psycopg connection (`::type` casts left alone)."""
    converted = re.sub(r"(?<![:\w]):([A-Za-z_]\w*)", r"%(\1)s", sql)
    return list(conn.execute(converted, params).fetchall())


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def verdicts(report: dict[str, Any]) -> dict[str, str]:
    """Met/missed for the issue's targets."""
    found: dict[str, str] = {}
    hybrid = [c for c in report["latency"] if c["kind"] == "hybrid" and c["concurrency"] == 1]
    if hybrid:
        p95 = hybrid[0]["p95_ms"]
        found["hybrid p95 <= 60 ms at 1 client"] = (
            f"{'met' if p95 <= TARGET_HYBRID_P95_MS else 'missed'} ({p95:.1f} ms)"
        )
    if report.get("recall"):
        mean = report["recall"]["recall_mean"]
        found["HNSW recall@10 >= 0.98"] = (
            f"{'met' if mean >= TARGET_RECALL else 'missed'} ({mean:.4f} mean)"
        )
    return found


def markdown(report: dict[str, Any]) -> str:
    """The report as markdown."""
    machine, sizes = report["machine"], report["disk"]
    out = [
        f"Run {machine['date_utc']} UTC, git {machine['git']}, {machine['nproc']} cores "
        f"({machine['cpu_model']}), {machine['ram_gib']} GiB RAM; load average before "
        f"{report['load_before']}, after {report['load_after']}.",
        "",
        f"Index: {sizes['chunks']:,} chunks of the collection's default index "
        f"(chunk_size {report['index']['chunk_size']}, overlap {report['index']['chunk_overlap']}"
        f"), {sizes['postings']:,} BM25 postings ({sizes['postings_per_chunk']} per chunk).",
    ]
    if load := report.get("load"):
        out += [
            "",
            f"Loaded straight into PostgreSQL (not through the API): {load['corpus_documents']:,} "
            f"SciFact abstracts = {load['corpus_chunks']:,} chunks ({load['distinct_texts']:,} "
            f"distinct texts embedded once in-process"
            + (" earlier, read from the vector cache" if load["vectors_cached"] else "")
            + f" in {load['embed_seconds']:.0f} s), "
            f"replicated {load['replicas']}x under new document ids to {load['chunks']:,} chunks "
            f"in {load['documents']:,} documents; replica vectors + N(0, {load['sigma']}) noise, "
            f"renormalised. Rows written by `repository.replace_chunks` in "
            f"{load['insert_seconds']:.0f} s ({load['chunks_per_s_insert']:.0f} chunks/s, HNSW "
            "and postings maintained incrementally).",
        ]
    if build := report.get("build"):
        out += [
            "",
            "| build step | seconds | settings |",
            "|---|---:|---|",
            f"| `REINDEX INDEX {HNSW_INDEX}` | {build['reindex_hnsw_s']} | "
            + ", ".join(f"{k}={v}" for k, v in build["settings"].items())
            + " |",
            f"| all postings (`TRUNCATE` + `INSERT ... SELECT to_tsvector`) | "
            f"{build['postings_rebuild_s']} | |",
            f"| `VACUUM ANALYZE` chunk, bm25_posting | {build['vacuum_analyze_s']} | |",
        ]
        if build["notices"]:
            out += ["", "Notices: " + "; ".join(build["notices"])]
    mib, per = sizes["mib"], sizes["mib_per_100k_chunks"]
    out += ["", "| relation | MiB | MiB per 100k chunks |", "|---|---:|---:|"]
    out += [f"| {name} | {mib[name]} | {per[name]} |" for name in mib]
    out += [
        "",
        "| request | clients | requests | req/s | p50 ms | p95 ms | p99 ms | errors "
        "| server embed / search / total ms (p50) | client CPU (cores) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for c in report["latency"]:
        server = " / ".join(
            f"{c['server_ms'][k]:.1f}" if k in c["server_ms"] else "-"
            for k in ("embed", "search", "total")
        )
        out.append(
            f"| {c['kind']} | {c['concurrency']} | {c['requests']} | {c['rps']} | {c['p50_ms']} "
            f"| {c['p95_ms']} | {c['p99_ms']} | {c['errors']} | {server} "
            f"| {c['client_cpu_cores']} |"
        )
    if recall := report.get("recall"):
        out += [
            "",
            f"HNSW recall@10 against exact search over {recall['queries']} queries "
            f"(ef_search {report['ef_search']}, HNSW above {EXACT_SEARCH_LIMIT:,} chunks): mean "
            f"{recall['recall_mean']}, min {recall['recall_min']} ({recall['queries_below_1']} "
            f"queries below 1; counting equal-distance ties as hits: "
            f"{recall['recall_with_ties_mean']}); top score differs from the exact one by at "
            f"most {recall['top_score_max_abs_diff']:.2e} (same query vectors); the exact scan "
            f"takes {recall['exact_search_ms_p50']} ms p50.",
        ]
    if plans := report.get("plans"):
        out += [
            "",
            "EXPLAIN ANALYZE of one query: "
            + ", ".join(
                f"{m} {p['execution_ms']} ms{' (HNSW)' if p['uses_hnsw'] else ''}"
                for m, p in plans.items()
            )
            + ".",
        ]
    out += ["", "Targets: " + "; ".join(f"{k}: {v}" for k, v in verdicts(report).items()) + "."]
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the SciFact folder")
    p.add_argument("--chunks", type=int, default=100_000, help="chunks in the index")
    p.add_argument("--duration", type=float, default=20.0, help="seconds measured per cell")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds discarded per cell")
    p.add_argument("--concurrency", default="1,16", help="client counts, comma separated")
    p.add_argument("--kinds", default=",".join(KINDS), help=f"of {', '.join(KINDS)}")
    p.add_argument("--recall-queries", type=int, default=200)
    p.add_argument("--sigma", type=float, default=0.02, help="replica vector noise")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--vector-cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "wxo-bench-retrieval",
        help="keep the corpus vectors here (embedding SciFact takes minutes); '' to disable",
    )
    p.add_argument("--out", type=Path, help="write the JSON report here")
    p.add_argument("--doc", type=Path, help="write the markdown report here")
    p.add_argument("--keep", action="store_true", help="keep the fresh data directory")
    p.add_argument("--data-dir", type=Path, help="reuse (or fill) this data directory")
    p.add_argument("--rebuild", action="store_true", help="time the rebuilds on a loaded index")
    args = p.parse_args(argv)
    args.vector_cache = args.vector_cache if str(args.vector_cache) not in ("", ".") else None
    args.levels = [int(c) for c in str(args.concurrency).split(",") if c]
    args.kind_list = [k for k in str(args.kinds).split(",") if k]
    unknown = set(args.kind_list) - set(KINDS)
    if unknown:
        p.error(f"unknown kinds: {sorted(unknown)}")
    return args


def prepare_index(
    args: argparse.Namespace,
    server: ManagedServer,
    http: httpx.Client,
    token: str,
    encoder: MiniLMEncoder,
) -> dict[str, Any]:
    """Make sure the index holds the chunks; the load, build and index parts of the report."""
    dsn = server.dsn()
    collection, index = ensure_collection(http)
    held = index_chunk_count(dsn, str(index["id"]))
    part: dict[str, Any] = {
        "collection_id": collection["id"],
        "index": {k: index[k] for k in ("id", "chunk_size", "chunk_overlap")},
        "load": None,
        "build": None,
    }
    if held and held < args.chunks:
        raise SystemExit(f"index {index['id']} holds {held} chunks, fewer than {args.chunks}")
    if not held:
        corpus = read_corpus(
            args.data / "corpus.jsonl", index["chunk_size"], index["chunk_overlap"]
        )
        claims = token_claims(token)
        settings = collection.get("settings") or {}
        ctx = LoadContext(
            dsn=dsn,
            tenant_id=uuid.UUID(claims["tenant_id"]),
            user_id=uuid.UUID(claims["sub"]) if claims.get("sub") else None,
            collection_id=uuid.UUID(str(collection["id"])),
            index_id=uuid.UUID(str(index["id"])),
            generation=index_generation(dsn, str(index["id"])),
            language=configuration(str(settings.get("language", "auto")), "en"),
        )
        load = asyncio.run(
            load_index(ctx, corpus, encoder, args.chunks, args.sigma, args.seed, args.vector_cache)
        )
        part["load"] = asdict(load)
    if not held or args.rebuild:
        print("timing REINDEX and the postings rebuild ...", flush=True)
        part["build"] = rebuild_timings(dsn, str(index["id"]))
    part["disk"] = disk_sizes(dsn, str(index["id"]))
    return part


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the markdown report, write JSON."""
    args = parse_args(argv)
    report: dict[str, Any] = {"argv": sys.argv[1:], "load_before": load_average()}
    queries = [str(q["text"]) for q in read_jsonl(args.data / "queries-train.jsonl")]
    server = start_server(args.data_dir, args.keep)
    print(f"starting: {server.command}", flush=True)
    try:
        token = server.wait_ready()
        dsn = server.dsn()
        encoder = MiniLMEncoder(cache_dir=server.data_dir / "models", threads=2)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=120) as http:
            report |= prepare_index(args, server, http, token, encoder)
            index = default_index(http, str(report["collection_id"]))
            print(f"index {index['id']}: {index['status']}, {index.get('stats')}", flush=True)
            index_id, model = str(index["id"]), index.get("embeddings_model_name")
            report["ef_search"] = HNSW_EF_SEARCH  # the server: max(this, candidates)
            report["prewarm"] = prewarm(dsn)
            print(f"prewarmed: {report['prewarm']}", flush=True)
            report["plans"] = explain_modes(
                dsn, uuid.UUID(token_claims(token)["tenant_id"]), index_id, encoder, queries[0]
            )
            cells: list[Cell] = []
            for level in args.levels:
                for kind in args.kind_list:
                    cell = asyncio.run(
                        measure_cell(
                            server.url,
                            token,
                            kind,
                            level,
                            (args.warmup, args.duration),
                            queries,
                            (index_id, model),
                        )
                    )
                    print(
                        f"{kind:8s} x{level:<3d} {cell.rps:7.1f} req/s  p50 {cell.p50_ms:6.1f}  "
                        f"p95 {cell.p95_ms:6.1f} ms  errors {cell.errors}  server {cell.server_ms}",
                        flush=True,
                    )
                    cells.append(cell)
            report["latency"] = [asdict(c) for c in cells]
            if args.recall_queries:
                picked = spread(queries, args.recall_queries)
                report["recall"] = hnsw_recall(http, dsn, index_id, encoder, picked)
        encoder.close()
    except BaseException:
        print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        report["load_after"] = load_average()
        server.stop()
    report["machine"] = machine_info()
    report["server_command"] = server.command
    report["data_dir"] = str(server.data_dir) if server.keep_data else None
    text = markdown(report)
    print(text)
    if args.doc:
        args.doc.write_text(text + "\n")
    if args.out:
        args.out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
