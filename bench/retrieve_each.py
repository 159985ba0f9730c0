"""Every query once, one at a time, through the retrieve API: latency over the whole query set.

`bench/retrieval.py` measures timed cells, and a 20 s cell at 1 client covers the first few
hundred queries only, a different number each run; for an A/B of two server builds this sends
each of the SciFact train claims once, sequentially, `--passes` times (the last pass is the
one reported, the others warm the server), and prints client-side p50/p95/p99 with the
medians and p95s of the server's `timings_ms`.

Run against a server already holding an index (e.g. the one `bench/retrieval.py --data-dir
DIR` built): ``.venv/bin/python bench/retrieve_each.py --url http://127.0.0.1:4398 --token
"$(cat DIR/dev-token)" --index INDEX_ID [--mode hybrid] [--passes 2]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from beir import read_jsonl
from threads import percentile

DEFAULT_QUERIES = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact" / "queries-train.jsonl"
)


def one_pass(
    http: httpx.Client, index_id: str, mode: str, queries: Sequence[str]
) -> list[tuple[float, dict[str, float]]]:
    """(client ms, server timings_ms) of each query, in order."""
    out: list[tuple[float, dict[str, float]]] = []
    for query in queries:
        clock = time.perf_counter()
        answer = http.post(
            f"/v1/vector-indices/{index_id}/retrieve",
            json={"query": query, "top_k": 10, "mode": mode},
        )
        elapsed = (time.perf_counter() - clock) * 1000
        answer.raise_for_status()
        out.append((elapsed, dict(answer.json().get("timings_ms") or {})))
    return out


def summary(rows: Sequence[tuple[float, dict[str, float]]]) -> dict[str, Any]:
    """Client p50/p95/p99 and, per server timing, its p50 and p95 (ms)."""
    client = sorted(ms for ms, _ in rows)
    report: dict[str, Any] = {
        "queries": len(rows),
        "client": {
            q: round(percentile(client, p), 1) for q, p in (("p50", 50), ("p95", 95), ("p99", 99))
        },
    }
    for name in sorted({k for _, timings in rows for k in timings}):
        values = sorted(t[name] for _, t in rows if name in t)
        report[name] = {
            "p50": round(percentile(values, 50), 1),
            "p95": round(percentile(values, 95), 1),
        }
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Send every query `--passes` times; print the last pass's summary as JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--index", required=True, help="the vector index id")
    p.add_argument("--mode", default="hybrid", choices=("hybrid", "vector", "keyword"))
    p.add_argument("--passes", type=int, default=2)
    p.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    args = p.parse_args(argv)
    queries = [str(q["text"]) for q in read_jsonl(args.queries)]
    headers = {"Authorization": f"Bearer {args.token}"}
    with httpx.Client(base_url=args.url, headers=headers, timeout=120) as http:
        for _ in range(args.passes - 1):
            one_pass(http, args.index, args.mode, queries)
        rows = one_pass(http, args.index, args.mode, queries)
    print(json.dumps(summary(rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
