"""Search Engine latency: p50/p95 of `POST /v1/search-engines/{id}/search` (no answer).

A benchmark, not a test: it prints and (``--json``) writes the numbers; nothing asserts them.
Target (issue "Search Engine"): p95 <= 80 ms at 1 client on SciFact (5k abstracts).

What it does:

1. Loads a BEIR-layout folder with ``bench/beir.py``'s loader (``--limit-docs`` and
   ``--limit-queries`` cut it down for quick runs) and, without ``--url``, starts ``wxo serve``
   on a fresh data directory with ``bench/threads.py``'s ``ManagedServer`` (stopped at the end).
2. Ingests the corpus into a fresh collection with ``beir.ingest`` (or, with
   ``--reuse-collection NAME``, uses that collection) and creates a search engine over the
   collection's automatic index (``--mode``: the engine's retrieval mode; default the index's).
3. For each ``--concurrency`` (default ``1,16``): that many clients send the judged queries
   round-robin, back to back, for ``--warmup`` seconds (not counted) and then ``--duration``
   seconds; reports requests/s, p50/p95/p99 and the server's own ``timings_ms`` medians.

Run: ``.venv/bin/python bench/search.py --data ../shared/data/scifact --split train``
(quick check: ``--limit-docs 200 --limit-queries 20 --duration 5``).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from beir import default_index, find_collection, ingest, ingest_lines, load_dataset, percentile
from threads import ManagedServer


@dataclass
class Cell:
    """Searches at one concurrency."""

    concurrency: int
    duration_s: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    results_p50: float
    server_ms: dict[str, float] = field(default_factory=dict)


async def _closed_loop(
    http: httpx.AsyncClient,
    path: str,
    body: dict[str, Any],
    queries: Sequence[str],
    counter: Iterator[int],
    concurrency: int,
    seconds: float,
) -> tuple[list[float], int, list[dict[str, Any]], list[int]]:
    """`concurrency` clients for `seconds`: latencies (ms), errors, timings_ms, result counts."""
    latencies: list[float] = []
    timings: list[dict[str, Any]] = []
    counts: list[int] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            query = queries[next(counter) % len(queries)]
            clock = time.perf_counter()
            try:
                response = await http.post(path, json={**body, "query": query})
            except httpx.HTTPError:
                errors += 1
                continue
            elapsed = (time.perf_counter() - clock) * 1000
            if response.status_code != 200:
                errors += 1
                continue
            latencies.append(elapsed)
            data = response.json()
            timings.append(data.get("timings_ms") or {})
            counts.append(len(data.get("results") or []))

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, errors, timings, counts


async def measure(
    url: str,
    token: str,
    engine_id: str,
    queries: Sequence[str],
    concurrency: int,
    args: argparse.Namespace,
) -> Cell:
    """Warm up, then measure searches at one concurrency."""
    path = f"/v1/search-engines/{engine_id}/search"
    body = {"page": 1, "page_size": args.page_size, "answer": False}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    counter = itertools.count()
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as http:
        await _closed_loop(http, path, body, queries, counter, concurrency, args.warmup)
        clock = time.perf_counter()
        latencies, errors, timings, counts = await _closed_loop(
            http, path, body, queries, counter, concurrency, args.duration
        )
        wall = time.perf_counter() - clock
    latencies.sort()
    keys = sorted({key for t in timings for key in t})
    return Cell(
        concurrency=concurrency,
        duration_s=round(wall, 1),
        requests=len(latencies),
        errors=errors,
        rps=round(len(latencies) / wall, 1),
        p50_ms=round(percentile(latencies, 50), 1),
        p95_ms=round(percentile(latencies, 95), 1),
        p99_ms=round(percentile(latencies, 99), 1),
        max_ms=round(latencies[-1], 1) if latencies else 0.0,
        results_p50=statistics.median(counts) if counts else 0.0,
        server_ms={
            key: round(statistics.median(float(t[key]) for t in timings if key in t), 2)
            for key in keys
        },
    )


def create_engine(http: httpx.Client, index_id: str, mode: str | None) -> str:
    """A fresh search engine over the index."""
    settings: dict[str, Any] = {"mode": mode} if mode else {}
    response = http.post(
        "/v1/search-engines",
        json={"name": f"bench-{int(time.time())}", "index_ids": [index_id], "settings": settings},
    )
    response.raise_for_status()
    return str(response.json()["id"])


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--data", type=Path, default=Path("../shared/data/scifact"))
    p.add_argument("--split", default="train", help="queries-SPLIT.jsonl, qrels-SPLIT.tsv")
    p.add_argument("--url", help="a running server (default: start one)")
    p.add_argument("--token", help="with --url")
    p.add_argument("--reuse-collection", metavar="NAME", help="search it, do not ingest")
    p.add_argument("--limit-docs", type=int, help="load at most N corpus documents")
    p.add_argument("--limit-queries", type=int, help="send at most N judged queries")
    p.add_argument("--concurrency", default="1,16", help="client counts, comma separated")
    p.add_argument("--duration", type=float, default=30.0, help="seconds measured per cell")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring")
    p.add_argument("--page-size", type=int, default=10)
    p.add_argument("--mode", choices=["keyword", "vector", "hybrid"], help="engine mode")
    p.add_argument("--batch", type=int, default=100, help="files per upload request")
    p.add_argument("--timeout", type=float, default=3600.0, help="ingest timeout, seconds")
    p.add_argument("--workers", type=int, help="`wxo serve --workers` (own server only)")
    p.add_argument("--keep-data", action="store_true", help="keep own server's data dir")
    p.add_argument("--json", type=Path, help="write the report as JSON here")
    return p.parse_args(argv)


def run(url: str, token: str, args: argparse.Namespace) -> dict[str, Any]:
    """Ingest (unless reusing), create the engine, measure every concurrency."""
    dataset = load_dataset(args.data, args.split, args.limit_docs, args.limit_queries)
    queries = list(dataset.queries.values())
    print(f"{args.data.name}/{args.split}: {len(dataset.corpus)} documents, {len(queries)} queries")
    headers = {"Authorization": f"Bearer {token}"}
    ingest_json = None
    with httpx.Client(base_url=url, headers=headers, timeout=300) as http:
        if args.reuse_collection:
            collection_id = find_collection(http, args.reuse_collection)
        else:
            name = f"search-{args.data.name}-{int(time.time())}"
            result, _ = ingest(http, dataset.corpus, name, args.batch, args.timeout)
            print("\n".join(ingest_lines(result)))
            collection_id = result.collection_id
            ingest_json = {"documents": result.documents, "seconds": result.seconds}
        index_id = str(default_index(http, collection_id)["id"])
        engine_id = create_engine(http, index_id, args.mode)
    cells = []
    for concurrency in (int(c) for c in args.concurrency.split(",")):
        cell = asyncio.run(measure(url, token, engine_id, queries, concurrency, args))
        print(
            f"c={cell.concurrency}: {cell.requests} searches, {cell.rps}/s, errors {cell.errors},"
            f" p50 {cell.p50_ms} ms, p95 {cell.p95_ms} ms, p99 {cell.p99_ms} ms;"
            f" results p50 {cell.results_p50}; server {cell.server_ms}"
        )
        cells.append(asdict(cell))
    return {
        "dataset": str(args.data),
        "documents": len(dataset.corpus),
        "queries": len(queries),
        "mode": args.mode or "index default",
        "page_size": args.page_size,
        "engine_id": engine_id,
        "index_id": index_id,
        "ingest": ingest_json,
        "cells": cells,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark."""
    args = parse_args(argv)
    server: ManagedServer | None = None
    try:
        if args.url:
            url, token = str(args.url), str(args.token)
        else:
            server = ManagedServer(workers=args.workers, keep_data=args.keep_data)
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
