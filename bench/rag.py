"""Query Engine (RAG) quality and latency per retrieval pattern, extractive and with SmolLM2.

A benchmark, not a test: it prints and (``--json``) writes the numbers; nothing asserts them.

What it does:

1. Loads a BEIR-layout folder (default ``../shared/data/scifact``, train split) with
   ``bench/beir.py``'s loader (``--limit-docs`` / ``--limit-queries`` cut it down) and, without
   ``--url``, starts ``wxo serve`` on a fresh data directory with ``bench/threads.py``'s
   ``ManagedServer`` (stopped at the end).
2. Ingests the corpus with ``beir.ingest`` (or, with ``--reuse-collection NAME``, uses that
   collection) and, per model and pattern, creates a query engine over its automatic index.
3. Sends each judged query to ``POST /v1/query-engines/{id}/query``, one at a time, and reports
   per cell (model x pattern):

   - **citation hit rate**: share of queries whose citations include a relevant abstract;
   - **citation precision**: relevant citations / all citations (over every query);
   - p50 / p95 latency of the whole request, and the patterns the server skipped.

Models: ``extractive`` (``local/extractive``: quoted answers; generative patterns are skipped
and reported) and ``smollm2`` (``local/smollm2-135m-instruct`` through the Model Proxy).

Run: ``.venv/bin/python bench/rag.py`` (quick check: ``--limit-docs 50 --limit-queries 5``;
SmolLM2 takes seconds per query on two cores, so full size takes hours).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from beir import (
    Dataset,
    all_documents,
    default_index,
    find_collection,
    ingest,
    ingest_lines,
    load_dataset,
    map_from_documents,
    percentile,
)
from threads import ManagedServer

MODELS = {"extractive": "local/extractive", "smollm2": "local/smollm2-135m-instruct"}
PATTERNS = (
    "none",
    "multi_query",
    "hyde",
    "sub_question",
    "sentence_window",
    "auto_merging",
    "recency",
)


@dataclass
class Cell:
    """One model with one pattern over the judged queries."""

    model: str
    pattern: str
    queries: int
    errors: int
    citation_hit_rate: float
    citation_precision: float
    citations_per_query: float
    p50_ms: float
    p95_ms: float
    skipped: list[str] = field(default_factory=list)


def create_engine(
    http: httpx.Client, index_id: str, model: str, pattern: str, args: argparse.Namespace
) -> str:
    """A fresh query engine with one pattern (or none)."""
    body = {
        "name": f"bench-rag-{model}-{pattern}-{time.time_ns()}",
        "index_ids": [index_id],
        "model_id": MODELS[model],
        "retrieval": {"top_k": args.top_k, "patterns": [] if pattern == "none" else [pattern]},
        "synthesis": {"mode": "compact", "max_tokens": args.max_tokens, "length": "concise"},
    }
    response = http.post("/v1/query-engines", json=body)
    response.raise_for_status()
    return str(response.json()["id"])


def measure(
    http: httpx.Client,
    engine_id: str,
    dataset: Dataset,
    beir_ids: dict[str, list[str]],
    model: str,
    pattern: str,
) -> Cell:
    """Every judged query once, one at a time."""
    latencies: list[float] = []
    hits = relevant = cited = errors = 0
    skipped: set[str] = set()
    for query_id, query in dataset.queries.items():
        relevant_ids = {d for d, score in dataset.qrels[query_id].items() if score > 0}
        clock = time.perf_counter()
        response = http.post(f"/v1/query-engines/{engine_id}/query", json={"query": query})
        elapsed = (time.perf_counter() - clock) * 1000
        if response.status_code != 200:
            errors += 1
            print(f"  {query_id}: {response.status_code} {response.text[:200]}")
            continue
        latencies.append(elapsed)
        body = response.json()
        skipped.update(s["pattern"] for s in body["skipped_patterns"])
        cited_ids = [b for c in body["citations"] for b in beir_ids.get(c["document_id"], [])]
        cited += len(cited_ids)
        relevant += sum(b in relevant_ids for b in cited_ids)
        hits += any(b in relevant_ids for b in cited_ids)
    answered = len(latencies)
    latencies.sort()
    return Cell(
        model=model,
        pattern=pattern,
        queries=answered,
        errors=errors,
        citation_hit_rate=round(hits / answered, 3) if answered else 0.0,
        citation_precision=round(relevant / cited, 3) if cited else 0.0,
        citations_per_query=round(cited / answered, 2) if answered else 0.0,
        p50_ms=round(percentile(latencies, 50), 1),
        p95_ms=round(percentile(latencies, 95), 1),
        skipped=sorted(skipped),
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--data", type=Path, default=Path("../shared/data/scifact"))
    p.add_argument("--split", default="train", help="queries-SPLIT.jsonl, qrels-SPLIT.tsv")
    p.add_argument("--url", help="a running server (default: start one)")
    p.add_argument("--token", help="with --url")
    p.add_argument("--reuse-collection", metavar="NAME", help="query it, do not ingest")
    p.add_argument("--limit-docs", type=int, help="load at most N corpus documents")
    p.add_argument("--limit-queries", type=int, default=50, help="send at most N judged queries")
    p.add_argument(
        "--models", default="extractive,smollm2", help="comma separated: " + ", ".join(MODELS)
    )
    p.add_argument(
        "--patterns", default=",".join(PATTERNS), help="comma separated ('none': no pattern)"
    )
    p.add_argument("--top-k", type=int, default=5, help="retrieval.top_k of the engines")
    p.add_argument("--max-tokens", type=int, default=96, help="synthesis.max_tokens (SmolLM2)")
    p.add_argument("--batch", type=int, default=100, help="files per upload request")
    p.add_argument("--timeout", type=float, default=3600.0, help="ingest timeout, seconds")
    p.add_argument("--keep-data", action="store_true", help="keep own server's data dir")
    p.add_argument("--json", type=Path, help="write the report as JSON here")
    return p.parse_args(argv)


def run(url: str, token: str, args: argparse.Namespace) -> dict[str, Any]:
    """Ingest (unless reusing), then one engine and one pass over the queries per cell."""
    dataset = load_dataset(args.data, args.split, args.limit_docs, args.limit_queries)
    print(
        f"{args.data.name}/{args.split}: {len(dataset.corpus)} documents, {len(dataset.queries)} queries"
    )
    headers = {"Authorization": f"Bearer {token}"}
    cells = []
    with httpx.Client(base_url=url, headers=headers, timeout=600) as http:
        if args.reuse_collection:
            collection_id = find_collection(http, args.reuse_collection)
            beir_ids = map_from_documents(all_documents(http, collection_id))
        else:
            name = f"rag-{args.data.name}-{int(time.time())}"
            result, beir_ids = ingest(http, dataset.corpus, name, args.batch, args.timeout)
            print("\n".join(ingest_lines(result)))
            collection_id = result.collection_id
        index_id = str(default_index(http, collection_id)["id"])
        for model in args.models.split(","):
            for pattern in args.patterns.split(","):
                engine_id = create_engine(http, index_id, model, pattern, args)
                cell = measure(http, engine_id, dataset, beir_ids, model, pattern)
                print(
                    f"{model:10} {pattern:15} hit {cell.citation_hit_rate:.3f}"
                    f" precision {cell.citation_precision:.3f} ({cell.citations_per_query}/query)"
                    f" p50 {cell.p50_ms} ms p95 {cell.p95_ms} ms errors {cell.errors}"
                    + (f" skipped {cell.skipped}" if cell.skipped else "")
                )
                cells.append(asdict(cell))
    return {
        "dataset": str(args.data),
        "documents": len(dataset.corpus),
        "queries": len(dataset.queries),
        "top_k": args.top_k,
        "max_tokens": args.max_tokens,
        "index_id": index_id,
        "cells": cells,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    args = parse_args(argv)
    server: ManagedServer | None = None
    try:
        if args.url:
            url, token = str(args.url), str(args.token)
        else:
            server = ManagedServer(workers=None, keep_data=args.keep_data)
            print(f"starting: {server.command}")
            url, token = server.url, server.wait_ready()
        report = run(url, token, args)
    finally:
        if server is not None:
            server.stop()
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
