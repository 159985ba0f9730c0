"""Tune retrieval on a BEIR folder in-process: the server's chunking and SQL, no HTTP pipeline.

`bench/beir.py` is the measurement of record (upload API, workers, retrieve endpoint). It takes
tens of minutes per ingest on 2 cores, too slow to compare settings. This tool loads the corpus
once straight into a database with the server's own functions (`chunk_elements`,
`repository.replace_chunks`, which writes the BM25 postings and statistics as the worker does)
and the local MiniLM, then evaluates any number of retrieval configurations with
`search.retrieval_sql`, the statement the retrieve route runs. Each corpus document is the
elements [Title(title), NarrativeText(text)], as the Markdown upload of `beir.py` extracts.

    .venv/bin/python bench/beir_direct.py --data ../shared/data/scifact --split train
        --configs '{"bm25": {"mode": "keyword"}, "hybrid": {"mode": "hybrid"}}'

With no `--dsn` it starts an embedded PostgreSQL in a temporary folder and migrates it.
Vectors are cached in `--cache` (one `.npy` per chunking), so re-runs skip the embedding.
Config keys are `search.Plan` fields (`mode`, `k1`, `b`, `fusion`, `alpha`, `rrf_k`,
`candidates`, `exact`); vector search is exact unless `"exact": false`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent))
from beir import load_dataset
from ir_metrics import evaluate

import wxo.models  # noqa: F401  (every table: foreign keys resolve)
from wxo.core import migrate
from wxo.core.db import create_engine, create_sessionmaker
from wxo.llm.local.minilm import MiniLMEncoder
from wxo.retrieval import repository, search
from wxo.retrieval.chunking import ChunkDraft, SourceElement, chunk_elements
from wxo.runtime.embedded import EmbeddedPostgres


def drafts_of(corpus: list[Any], size: int, overlap: int) -> list[list[ChunkDraft]]:
    """Chunks of every document, as the index stage makes them."""
    out = []
    for doc in corpus:
        elements = [SourceElement("t", "Title", doc.title)] if doc.title else []
        elements.append(SourceElement("b", "NarrativeText", doc.text))
        out.append(chunk_elements(elements, chunk_size=size, chunk_overlap=overlap))
    return out


def vectors(encoder: MiniLMEncoder, texts: list[str], cache: Path) -> npt.NDArray[np.float32]:
    """Embeddings of `texts`, from the cache file when it matches."""
    if cache.exists():
        cached: npt.NDArray[np.float32] = np.load(cache)
        if len(cached) == len(texts):
            return cached
    started = time.perf_counter()
    found = encoder.encode(texts)
    print(f"embedded {len(texts)} chunks in {time.perf_counter() - started:.0f}s", flush=True)
    np.save(cache, found)
    return found


async def load(
    sessionmaker: async_sessionmaker[AsyncSession],
    corpus: list[Any],
    drafts: list[list[ChunkDraft]],
    embedded: npt.NDArray[np.float32],
    size: int,
    overlap: int,
) -> tuple[uuid.UUID, uuid.UUID]:
    """A tenant, collection, index and documents holding the chunks; (tenant id, index id)."""
    tenant, collection, index = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with sessionmaker() as session:
        await session.execute(
            text("INSERT INTO tenant (id, name) VALUES (:t, :n)"),
            {"t": tenant, "n": f"beir-{tenant.hex[:8]}"},
        )
        await session.execute(
            text("INSERT INTO document_collection (id, tenant_id, name) VALUES (:c, :t, 'beir')"),
            {"c": collection, "t": tenant},
        )
        await session.execute(
            text(
                "INSERT INTO vector_index (id, tenant_id, name, chunk_size, chunk_overlap, top_k,"
                " dimensions) VALUES (:i, :t, 'beir', :size, :overlap, 10, :dims)"
            ),
            {"i": index, "t": tenant, "size": size, "overlap": overlap, "dims": embedded.shape[1]},
        )
        row = 0
        for doc, chunks in zip(corpus, drafts, strict=True):
            document = uuid.uuid4()
            await session.execute(
                text(
                    "INSERT INTO document (id, tenant_id, collection_id, name, content_hash, status)"
                    " VALUES (:d, :t, :c, :n, 'h', 'ready')"
                ),
                {"d": document, "t": tenant, "c": collection, "n": doc.id},
            )
            lengths = await repository.term_lengths(
                session, "english", [c.indexed_text for c in chunks]
            )
            rows = []
            for chunk, length in zip(chunks, lengths, strict=True):
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "tenant_id": tenant,
                        "index_id": index,
                        "document_id": document,
                        "collection_id": collection,
                        "ord": chunk.ord,
                        "text": chunk.text,
                        "context": chunk.context,
                        "heading_path": list(chunk.heading_path),
                        "element_types": list(chunk.element_types),
                        "language": "english",
                        "length": length,
                        "dims": embedded.shape[1],
                        "embedding": [float(x) for x in embedded[row]],
                    }
                )
                row += 1
            await repository.replace_chunks(
                session,
                index_id=index,
                document_id=document,
                content_hash="h",
                generation=1,
                rows=rows,
            )
        await session.commit()
        await session.execute(text("ANALYZE chunk"))
    return tenant, index


async def evaluate_configs(
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: uuid.UUID,
    index: uuid.UUID,
    dataset: Any,
    query_vectors: npt.NDArray[np.float32],
    configs: dict[str, dict[str, Any]],
) -> dict[str, dict[str, float]]:
    """nDCG@10 and recall@100 of every configuration (top 100 documents, best chunk wins)."""
    results: dict[str, dict[str, float]] = {}
    ids = list(dataset.queries)
    for name, config in configs.items():
        rankings: dict[str, list[str]] = {}
        started = time.perf_counter()
        async with sessionmaker() as session:
            await session.execute(text("SET hnsw.iterative_scan = relaxed_order"))
            await session.execute(text("SET hnsw.ef_search = 300"))
            for query_id, vector in zip(ids, query_vectors, strict=True):
                plan = search.Plan(
                    **{
                        "tenant_id": tenant,
                        "index_id": index,
                        "mode": "hybrid",
                        "limit": 300,
                        "candidates": 300,
                        "dims": len(vector),
                        "embedding": "[" + ",".join(repr(float(x)) for x in vector) + "]",
                        "query": dataset.queries[query_id],
                        "highlight": False,
                        "exact": True,
                        **config,
                    }
                )
                sql, params = search.retrieval_sql(plan)
                rows = (await session.execute(text(sql), params)).mappings().all()
                ranking: list[str] = []
                for row in rows:
                    if row["document_name"] not in ranking:
                        ranking.append(row["document_name"])
                rankings[query_id] = ranking[:100]
        seconds = time.perf_counter() - started
        metrics = evaluate(dataset.qrels, rankings)
        results[name] = {
            "ndcg_at_10": metrics.ndcg_at_10,
            "recall_at_100": metrics.recall_at_100,
            "ms_per_query": seconds * 1000 / max(len(ids), 1),
        }
        print(
            f"{name:>16}  nDCG@10 {metrics.ndcg_at_10:.4f}  recall@100 "
            f"{metrics.recall_at_100:.4f}  ({seconds * 1000 / max(len(ids), 1):.1f} ms/query)",
            flush=True,
        )
    return results


async def run(args: argparse.Namespace, dsn: str) -> dict[str, Any]:
    """Load, then evaluate."""
    dataset = load_dataset(args.data, args.split, None, None)
    encoder = MiniLMEncoder(cache_dir=args.cache / "onnx")
    drafts = drafts_of(dataset.corpus, args.chunk_size, args.chunk_overlap)
    texts = [c.indexed_text for chunks in drafts for c in chunks]
    cache = args.cache / f"{args.data.name}-{args.chunk_size}-{args.chunk_overlap}.npy"
    embedded = vectors(encoder, texts, cache)
    engine = create_engine(dsn.replace("postgresql://", "postgresql+psycopg://", 1))
    sessionmaker = create_sessionmaker(engine)
    started = time.perf_counter()
    tenant, index = await load(
        sessionmaker, dataset.corpus, drafts, embedded, args.chunk_size, args.chunk_overlap
    )
    print(f"loaded {len(texts)} chunks in {time.perf_counter() - started:.0f}s", flush=True)
    query_vectors = encoder.encode(list(dataset.queries.values()))
    results = await evaluate_configs(
        sessionmaker, tenant, index, dataset, query_vectors, json.loads(args.configs)
    )
    await engine.dispose()
    return {"chunks": len(texts), "chunk_size": args.chunk_size, "results": results}


def main() -> int:
    """Parse arguments, start a database if needed, run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--split", required=True)
    parser.add_argument("--configs", required=True, help="JSON: name -> Plan fields")
    parser.add_argument("--chunk-size", type=int, default=200)
    parser.add_argument("--chunk-overlap", type=int, default=20)
    parser.add_argument("--dsn", help="a migrated database (default: a temporary embedded one)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "wxo-beir")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    server: EmbeddedPostgres | None = None
    dsn = args.dsn
    if dsn is None:
        server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="wxo-beir-pg-", dir="/tmp")))
        dsn = server.start()
        migrate.upgrade(dsn)
    try:
        report = asyncio.run(run(args, dsn))
    finally:
        if server is not None:
            server.stop()
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
