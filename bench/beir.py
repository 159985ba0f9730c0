"""Retrieval quality on a BEIR dataset through the real API: nDCG@10 and recall@100.

A benchmark, not a test: it prints metrics and ingest timing, writes a TREC run file and
(``--json``) the numbers as JSON; nothing asserts targets. Targets (issue "Vector Index and
Retrieval") on ``../shared/data/scifact``, train split: BM25 >= 0.66, vector >= 0.63, hybrid
>= 0.70 and above both legs.

What it does:

1. Reads a BEIR-layout folder: ``corpus.jsonl`` (``{_id, title, text}``),
   ``queries-SPLIT.jsonl`` (``{_id, text}``) and ``qrels-SPLIT.tsv`` (header line, then
   ``query-id corpus-id score``). Only judged queries are sent (as BEIR evaluates them).
2. Without ``--url`` starts ``wxo serve`` on a free port and a fresh data directory (as
   ``bench/ingest.py`` does) and stops it at the end; ``--url``/``--token`` (or ``WXO_TOKEN``)
   point it at a running server instead.
3. Creates a fresh collection and uploads every corpus document as a Markdown file
   ``<_id>.md`` holding ``# {title}``, a blank line and ``{text}`` (no title line when the
   title is empty) through ``POST /v1/document-collections/{id}/documents`` in batches of
   ``--batch``; the upload
   responses map each document id back to its BEIR id. It then polls count-only document
   lists until nothing is queued, extracting or indexing, and waits for the collection's
   default vector index to be ``ready``. Ingest time runs from the first upload to the last
   document done; per-stage times (and the index stage's ``embed_ms``) are summed from every
   document's ``status_detail.stages``.
4. Sends every query to ``POST /v1/vector-indices/{index}/retrieve`` (``--concurrency``
   clients, ``top_k`` 300, ``mode`` keyword|vector|hybrid; ``--mode bm25`` is ``keyword``),
   collapses chunk hits to documents (a document's score is its best chunk's), keeps the top
   100 documents and writes them as a TREC run (``qid Q0 docid rank score tag``).
5. Prints nDCG@10 and recall@100 (definitions in ``bench/ir_metrics.py``).

Several modes measure on one ingest: ``--mode bm25,vector,hybrid --run OUT.trec`` writes
``OUT.bm25.trec``, ``OUT.vector.trec`` and ``OUT.hybrid.trec``. ``--reuse-collection NAME``
(or ``--index-id ID``) skips the upload and queries an index already loaded on a running
server (``--url``/``--token``); with ``--index-id`` results map back by document name.
``--limit-docs N`` loads the relevant documents of the chosen queries first, then other
documents up to N, so quick runs still have something to find.

Run: ``.venv/bin/python bench/beir.py --data ../shared/data/scifact --split train
--mode hybrid --run /tmp/hybrid.trec [--limit-queries 50 --limit-docs 500]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ir_metrics import evaluate
from threads import ManagedServer

MODES = {"bm25": "keyword", "vector": "vector", "hybrid": "hybrid"}
DEPTH = 100  # documents per query in the run file (recall@100)
PENDING = ("queued", "extracting", "indexing")


# --------------------------------------------------------------------------------------------
# The dataset
# --------------------------------------------------------------------------------------------


@dataclass
class BeirDoc:
    """One corpus entry."""

    id: str
    title: str
    text: str

    def filename(self) -> str:
        """The uploaded file's name: the BEIR id, so results map back by name too."""
        return f"{self.id}.md"

    def markdown(self) -> str:
        """The uploaded file's content."""
        title = self.title.strip()
        return f"# {title}\n\n{self.text}" if title else self.text


@dataclass
class Dataset:
    """What one run evaluates."""

    corpus: list[BeirDoc]
    queries: dict[str, str]  # query id -> text, file order
    qrels: dict[str, dict[str, int]]  # query id -> document id -> relevance


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSON-lines file (blank lines skipped)."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def load_corpus(path: Path) -> list[BeirDoc]:
    """``corpus.jsonl``: ``{_id, title, text}`` per line (ids as strings)."""
    return [
        BeirDoc(str(row["_id"]), str(row.get("title") or ""), str(row.get("text") or ""))
        for row in read_jsonl(path)
    ]


def load_queries(path: Path) -> dict[str, str]:
    """``queries-SPLIT.jsonl``: ``{_id, text}`` per line."""
    return {str(row["_id"]): str(row["text"]) for row in read_jsonl(path)}


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    """``qrels-SPLIT.tsv``: a header line, then ``query-id corpus-id score`` (tab-separated)."""
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            fields = line.strip().split("\t")
            if len(fields) < 3:  # not tab-separated: any whitespace
                fields = line.split()
            if not fields or (number == 0 and fields[0] == "query-id"):
                continue
            query_id, doc_id, score = (f.strip() for f in fields[:3])
            qrels.setdefault(query_id, {})[doc_id] = int(float(score))
    return qrels


def load_dataset(
    data: Path, split: str, limit_docs: int | None = None, limit_queries: int | None = None
) -> Dataset:
    """The corpus, the judged queries and their qrels, optionally cut down for quick runs.

    `limit_queries` keeps the first judged queries in file order; `limit_docs` keeps the
    documents judged for the kept queries first, then other documents in file order up to the
    limit (the qrels are not changed: a relevant document left out counts as not found).
    """
    corpus = load_corpus(data / "corpus.jsonl")
    queries = load_queries(data / f"queries-{split}.jsonl")
    qrels = load_qrels(data / f"qrels-{split}.tsv")
    missing = [q for q in qrels if q not in queries]
    if missing:
        print(f"warning: {len(missing)} judged queries have no text (first: {missing[0]})")
    judged = {q: text for q, text in queries.items() if q in qrels}
    if limit_queries is not None:
        judged = dict(list(judged.items())[:limit_queries])
    qrels = {q: qrels[q] for q in judged}
    if limit_docs is not None:
        wanted = {d for q in judged for d, score in qrels[q].items() if score > 0}
        first = [d for d in corpus if d.id in wanted]
        rest = [d for d in corpus if d.id not in wanted]
        corpus = (first + rest)[: max(limit_docs, 0)]
    return Dataset(corpus, judged, qrels)


# --------------------------------------------------------------------------------------------
# Ingest
# --------------------------------------------------------------------------------------------


@dataclass
class IngestResult:
    """Loading the corpus through the API and the workers."""

    collection_id: str
    index_id: str
    documents: int
    ready: int
    failed: int
    seconds: float  # first upload -> every document ready or failed
    index_wait_seconds: float  # then -> the vector index ready
    stage_ms: dict[str, float] = field(default_factory=dict)  # summed over documents
    embed_ms: float = 0.0  # summed `embed_ms` of the stages
    index_batches: int = 0  # index jobs that embedded documents (0: not reported)
    annotated_seconds: float | None = None  # first upload -> every document annotated
    outcomes: dict[str, int] = field(default_factory=dict)  # upload outcome -> files
    failures: list[str] = field(default_factory=list)

    @property
    def docs_per_s(self) -> float:
        """Documents (ready) per second of ingest time."""
        return self.ready / self.seconds if self.seconds else 0.0


def batches(items: Sequence[BeirDoc], size: int) -> Iterator[Sequence[BeirDoc]]:
    """`items` in chunks of `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def create_collection(http: httpx.Client, name: str) -> str:
    """A fresh collection (a default vector index comes with it); its id."""
    created = http.post("/v1/document-collections", json={"name": name})
    created.raise_for_status()
    return str(created.json()["id"])


def find_collection(http: httpx.Client, name: str) -> str:
    """The id of the caller's collection called `name`."""
    page = http.get("/v1/document-collections", params={"names": name})
    page.raise_for_status()
    data = page.json()["data"]
    if not data:
        raise SystemExit(f"no collection named {name!r}")
    return str(data[0]["id"])


def upload(
    http: httpx.Client, collection_id: str, docs: Sequence[BeirDoc], batch: int
) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Upload `docs`; return document id -> BEIR ids, and upload outcome -> count.

    A document id may carry several BEIR ids: with the collection's default duplicate policy
    (skip) a second file with the same bytes is reported as the existing document.
    """
    doc_map: dict[str, list[str]] = {}
    outcomes: dict[str, int] = {}
    for chunk in batches(docs, batch):
        files = [
            ("files", (d.filename(), d.markdown().encode("utf-8"), "text/markdown")) for d in chunk
        ]
        response = http.post(f"/v1/document-collections/{collection_id}/documents", files=files)
        response.raise_for_status()
        entries = response.json()["data"]
        if len(entries) != len(chunk):
            raise RuntimeError(f"upload answered {len(entries)} entries for {len(chunk)} files")
        for doc, entry in zip(chunk, entries, strict=True):
            outcomes[entry["outcome"]] = outcomes.get(entry["outcome"], 0) + 1
            if entry["outcome"] == "rejected":
                print(f"warning: {doc.id} rejected: {entry.get('message')}")
                continue
            doc_map.setdefault(str(entry["document"]["id"]), []).append(doc.id)
    return doc_map, outcomes


def pending(http: httpx.Client, collection_id: str) -> int:
    """Documents of the collection not yet ready or failed (count-only requests)."""
    total = 0
    for status in PENDING:
        page = http.get(
            "/v1/documents", params={"collection_id": collection_id, "status": status, "limit": 1}
        )
        page.raise_for_status()
        total += int(page.json()["total"])
    return total


def all_documents(http: httpx.Client, collection_id: str) -> list[dict[str, Any]]:
    """Every document of a collection (paged)."""
    found: list[dict[str, Any]] = []
    while True:
        page = http.get(
            "/v1/documents",
            params={"collection_id": collection_id, "limit": 1000, "offset": len(found)},
        )
        page.raise_for_status()
        body = page.json()
        found += body["data"]
        if not body["data"] or len(found) >= int(body["total"]):
            return found


def default_index(http: httpx.Client, collection_id: str) -> dict[str, Any]:
    """The collection's default vector index (or the first index holding it)."""
    page = http.get("/v1/vector-indices", params={"collection_id": collection_id})
    if page.status_code == 404:
        raise RuntimeError("GET /v1/vector-indices: 404 (does this server have vector indices?)")
    page.raise_for_status()
    indices: list[dict[str, Any]] = page.json()["data"]
    for index in indices:
        if index.get("default_for_collection_id") == collection_id:
            return index
    if indices:
        return indices[0]
    raise RuntimeError(f"collection {collection_id} has no vector index")


def wait_index_ready(http: httpx.Client, collection_id: str, timeout: float) -> dict[str, Any]:
    """Poll the default index until `ready` (raises on `error` or timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        index = default_index(http, collection_id)
        if index["status"] == "ready":
            return index
        if index["status"] == "error":
            raise RuntimeError(f"vector index {index['id']} is in error: {index}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"vector index {index['id']} still {index['status']!r}")
        time.sleep(0.5)


def stage_totals(documents: Iterable[Mapping[str, Any]]) -> tuple[dict[str, float], float, int]:
    """Per-stage time summed over documents, the summed `embed_ms`, and the index batches.

    A stage is counted by its `duration_ms`, except the index stage of a server that embeds
    documents in batches (`batch` in the stage): every document of a batch carries the
    batch's duration, so it is counted by its own share, `chunk_ms + embed_ms + store_ms`.
    (The extract stage's `duration_ms` is the document's own even in a batch.)
    """
    totals: dict[str, float] = {}
    embed = 0.0
    batches: set[str] = set()
    for document in documents:
        for stage in (document.get("status_detail") or {}).get("stages", []):
            name = str(stage.get("name"))
            if name == "index" and stage.get("batch") is not None:
                batches.add(str(stage.get("started_at")))
                share = sum(float(stage.get(k) or 0) for k in ("chunk_ms", "embed_ms", "store_ms"))
                totals[name] = totals.get(name, 0.0) + share
            elif stage.get("duration_ms") is not None:
                totals[name] = totals.get(name, 0.0) + float(stage["duration_ms"])
            if stage.get("embed_ms") is not None:
                embed += float(stage["embed_ms"])
    return totals, embed, len(batches)


def wait_annotated(
    http: httpx.Client, collection_id: str, total: int, timeout: float
) -> float | None:
    """Poll until every document has its `annotate` stage (the server's work after `ready`).

    Returns when that was (`time.perf_counter()`), or None when it did not happen in time.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = sum(
            any(
                s.get("name") == "annotate"
                for s in (d.get("status_detail") or {}).get("stages", [])
            )
            for d in all_documents(http, collection_id)
        )
        if done >= total:
            return time.perf_counter()
        time.sleep(5)
    return None


def ingest(
    http: httpx.Client,
    docs: Sequence[BeirDoc],
    name: str,
    batch: int,
    timeout: float,
    *,
    wait_annotation: bool = False,
) -> tuple[IngestResult, dict[str, list[str]]]:
    """Load `docs` into a fresh collection and wait until they are searchable.

    With `wait_annotation`, also until the server has annotated them (its work after `ready`,
    at low priority): a measurement taken next then has the machine to itself.
    """
    collection_id = create_collection(http, name)
    started = time.perf_counter()
    doc_map, outcomes = upload(http, collection_id, docs, batch)
    uploaded = time.perf_counter()
    print(f"uploaded {len(docs)} files in {uploaded - started:.1f}s; waiting for the workers")
    deadline = time.monotonic() + timeout
    last_report = time.monotonic()
    while left := pending(http, collection_id):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{left} documents still not done after {timeout:.0f}s")
        if time.monotonic() - last_report > 30:
            print(f"  {left} documents pending ({time.perf_counter() - started:.0f}s)")
            last_report = time.monotonic()
        time.sleep(0.25)  # counts only: a client watching progress, not load of its own
    seconds = time.perf_counter() - started
    index = wait_index_ready(http, collection_id, timeout)
    index_wait = time.perf_counter() - started - seconds
    documents = all_documents(http, collection_id)
    stages, embed, index_batches = stage_totals(documents)
    annotated = (
        wait_annotated(http, collection_id, len(documents), timeout) if wait_annotation else None
    )
    failed = [d for d in documents if d["status"] == "failed"]
    result = IngestResult(
        collection_id=collection_id,
        index_id=str(index["id"]),
        documents=len(documents),
        ready=sum(d["status"] == "ready" for d in documents),
        failed=len(failed),
        seconds=seconds,
        index_wait_seconds=index_wait,
        stage_ms=stages,
        embed_ms=embed,
        index_batches=index_batches,
        annotated_seconds=annotated - started if annotated is not None else None,
        outcomes=outcomes,
        failures=[
            f"{d['name']}: {((d.get('status_detail') or {}).get('error') or {}).get('message')}"
            for d in failed
        ],
    )
    return result, doc_map


def index_texts(http: httpx.Client, index_id: str) -> list[str]:
    """What the index embedded: each chunk's context line and text (`ChunkDraft.indexed_text`)."""
    texts: list[str] = []
    while True:
        response = http.get(
            f"/v1/vector-indices/{index_id}/chunks", params={"limit": 1000, "offset": len(texts)}
        )
        response.raise_for_status()
        page = response.json()
        texts += [
            f"{c['context']}\n{c['text']}" if c["context"] else c["text"] for c in page["data"]
        ]
        if not page["data"] or len(texts) >= page["total"]:
            return texts


def embedding_baseline(http: httpx.Client, index_id: str, ingest_seconds: float) -> dict[str, Any]:
    """The embedding model alone on the index's chunks, in this process with every core.

    The same local MiniLM the server's default index uses (ONNX Runtime, length-bucketed
    batches, one thread per core): the yardstick for "the pipeline adds at most 25% over the
    embedding model's own time on the same chunks".
    """
    from wxo.llm.local.minilm import MiniLMEncoder

    texts = index_texts(http, index_id)
    encoder = MiniLMEncoder(cache_dir=Path(tempfile.gettempdir()) / "wxo-bench-onnx")
    encoder.encode(texts[:64])  # warm-up (graph load)
    started = time.perf_counter()
    encoder.encode(texts)
    seconds = time.perf_counter() - started
    encoder.close()
    ratio = ingest_seconds / seconds if seconds else float("nan")
    print(
        f"embedding alone: {len(texts)} chunks in {seconds:.1f}s "
        f"({len(texts) / seconds:.1f} chunks/s); ingest-to-searchable / embedding = {ratio:.2f}"
    )
    return {"chunks": len(texts), "seconds": seconds, "ingest_over_embedding": ratio}


def map_from_documents(documents: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Document id -> BEIR id from an existing collection (the name is ``<_id>.md``)."""
    return {str(d["id"]): [beir_id_from_name(str(d["name"]))] for d in documents}


def beir_id_from_name(name: str) -> str:
    """The BEIR id in an uploaded document's name."""
    return name[: -len(".md")] if name.endswith(".md") else name


# --------------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------------


@dataclass
class QueryResult:
    """One query's documents, best first, and what the request cost."""

    query_id: str
    ranked: list[tuple[str, float]]  # (BEIR document id, score)
    latency_ms: float
    chunks: int  # results returned by the server
    timings_ms: dict[str, float] = field(default_factory=dict)


def collapse(
    results: Sequence[Mapping[str, Any]],
    doc_map: Mapping[str, Sequence[str]],
    *,
    query_id: str | None = None,
    depth: int = DEPTH,
) -> list[tuple[str, float]]:
    """Chunk hits -> (BEIR document id, best chunk score), best first, at most `depth`.

    A result maps through its `document_id` (from the upload responses), else through its
    document's name. Ties keep the server's order. With `query_id`, a document with the same
    id as the query is dropped (BEIR's default `ignore_identical_ids`).
    """
    best: dict[str, tuple[float, int]] = {}
    for position, hit in enumerate(results):
        ids = doc_map.get(str(hit.get("document_id")))
        if ids is None:
            name = (hit.get("document") or {}).get("name")
            if not name:
                continue
            ids = [beir_id_from_name(str(name))]
        score = float(hit.get("score") or 0.0)
        for doc_id in ids:
            if doc_id == query_id:
                continue
            if doc_id not in best or score > best[doc_id][0]:
                best[doc_id] = (score, best.get(doc_id, (0.0, position))[1])
    ordered = sorted(best.items(), key=lambda item: (-item[1][0], item[1][1]))
    return [(doc_id, score) for doc_id, (score, _) in ordered[:depth]]


def run_queries(
    http: httpx.Client,
    index_id: str,
    queries: Mapping[str, str],
    doc_map: Mapping[str, Sequence[str]],
    *,
    mode: str,
    top_k: int,
    concurrency: int,
    ignore_identical_ids: bool = True,
) -> list[QueryResult]:
    """Every query through the retrieve endpoint, `concurrency` at a time (results in order)."""
    path = f"/v1/vector-indices/{index_id}/retrieve"
    lock = threading.Lock()
    done = [0]

    def one(item: tuple[str, str]) -> QueryResult:
        query_id, text = item
        t0 = time.perf_counter()
        response = http.post(path, json={"query": text, "top_k": top_k, "mode": mode})
        latency = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"query {query_id}: HTTP {response.status_code} {response.text}")
        body = response.json()
        results = body.get("results", [])
        ranked = collapse(results, doc_map, query_id=query_id if ignore_identical_ids else None)
        with lock:
            done[0] += 1
            if done[0] % 200 == 0:
                print(f"  {done[0]}/{len(queries)} queries")
        timings = {k: float(v) for k, v in (body.get("timings_ms") or {}).items()}
        return QueryResult(query_id, ranked, latency, len(results), timings)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(one, queries.items()))


def write_run(path: Path, results: Iterable[QueryResult], tag: str) -> None:
    """A TREC run file: ``qid Q0 docid rank score tag``, rank from 1."""
    with path.open("w", encoding="utf-8") as out:
        for result in results:
            for rank, (doc_id, score) in enumerate(result.ranked, start=1):
                out.write(f"{result.query_id} Q0 {doc_id} {rank} {score:.6f} {tag}\n")


def read_run(path: Path) -> dict[str, list[str]]:
    """A TREC run file back as query id -> document ids in rank order."""
    rows: dict[str, list[tuple[int, str]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            query_id, _, doc_id, rank, *_ = line.split()
            rows.setdefault(query_id, []).append((int(rank), doc_id))
    return {q: [d for _, d in sorted(r)] for q, r in rows.items()}


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (0.0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def ingest_lines(result: IngestResult) -> list[str]:
    """What the ingest cost, for the console."""
    lines = [
        f"ingest: {result.ready} ready, {result.failed} failed of {result.documents} documents "
        f"in {result.seconds:.1f}s ({result.docs_per_s:.1f} docs/s); index ready "
        f"{result.index_wait_seconds:.1f}s later; uploads: {result.outcomes}",
    ]
    if result.annotated_seconds is not None:
        lines.append(
            f"every document annotated (keywords, entities) after {result.annotated_seconds:.1f}s"
        )
    if result.index_batches:
        lines.append(
            f"index jobs that embedded: {result.index_batches} "
            f"({result.ready / result.index_batches:.1f} documents each)"
        )
    total = sum(result.stage_ms.values())
    if total:
        stages = ", ".join(f"{k} {v / 1000:.1f}s" for k, v in result.stage_ms.items())
        lines.append(f"stage time summed over documents: {stages} (total {total / 1000:.1f}s)")
        index_ms = result.stage_ms.get("index", 0.0)
        share_index = f"{result.embed_ms / index_ms:.0%} of index" if index_ms else "index 0 ms"
        lines.append(
            f"embedding: {result.embed_ms / 1000:.1f}s = {result.embed_ms / total:.0%} of all "
            f"stage time, {share_index}"
        )
    lines += [f"  failed: {f}" for f in result.failures[:10]]
    return lines


def query_lines(results: Sequence[QueryResult], seconds: float, concurrency: int) -> list[str]:
    """What the queries cost, for the console."""
    latencies = [r.latency_ms for r in results]
    empty = sum(not r.ranked for r in results)
    short = sum(0 < len(r.ranked) < DEPTH for r in results)
    lines = [
        f"queries: {len(results)} in {seconds:.1f}s at concurrency {concurrency} "
        f"({len(results) / seconds if seconds else 0:.1f}/s); latency p50 "
        f"{percentile(latencies, 50):.1f} ms, p95 {percentile(latencies, 95):.1f} ms; "
        f"{empty} with no results, {short} with fewer than {DEPTH} documents",
    ]
    keys = sorted({k for r in results for k in r.timings_ms})
    if keys:
        medians = ", ".join(
            f"{k} {statistics.median(r.timings_ms.get(k, 0.0) for r in results):.1f}" for k in keys
        )
        lines.append(f"server timings_ms (median): {medians}")
    return lines


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="BEIR-layout folder")
    parser.add_argument("--split", required=True, help="queries-SPLIT.jsonl, qrels-SPLIT.tsv")
    parser.add_argument(
        "--mode", required=True, help="bm25|vector|hybrid, or several comma-separated"
    )
    parser.add_argument("--run", type=Path, required=True, help="write the TREC run here")
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--token", default=os.environ.get("WXO_TOKEN"), help="with --url")
    parser.add_argument("--limit-docs", type=int, help="load at most N corpus documents")
    parser.add_argument("--limit-queries", type=int, help="send at most N judged queries")
    parser.add_argument("--concurrency", type=int, default=4, help="queries in flight")
    parser.add_argument("--top-k", type=int, default=300, help="chunks asked per query (<=500)")
    parser.add_argument("--batch", type=int, default=100, help="files per upload request")
    parser.add_argument("--collection-name", help="name of the fresh collection")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--reuse-collection", metavar="NAME", help="query it, do not ingest")
    group.add_argument("--index-id", help="query this vector index, do not ingest")
    parser.add_argument("--tag", help="run tag in the TREC file (default wxo-MODE)")
    parser.add_argument("--json", type=Path, help="write metrics and timings as JSON here")
    parser.add_argument("--timeout", type=float, default=3600.0, help="ingest timeout, seconds")
    parser.add_argument("--workers", type=int, help="`wxo serve --workers` (own server only)")
    parser.add_argument("--keep-data", action="store_true", help="keep own server's data dir")
    parser.add_argument(
        "--embedding-baseline",
        action="store_true",
        help="after ingesting, time the local MiniLM alone on the index's chunks (same run)",
    )
    parser.add_argument(
        "--keep-identical-ids",
        action="store_true",
        help="keep documents whose id equals the query id (BEIR drops them by default)",
    )
    args = parser.parse_args(argv)
    args.modes = [m.strip() for m in str(args.mode).split(",") if m.strip()]
    unknown = [m for m in args.modes if m not in MODES]
    if unknown or not args.modes:
        parser.error(f"--mode: choose from {', '.join(MODES)} (got {args.mode!r})")
    if len(set(args.modes)) != len(args.modes):
        parser.error("--mode: a mode is repeated")
    if args.url and not args.token:
        parser.error("--url needs --token (or WXO_TOKEN)")
    if (args.reuse_collection or args.index_id) and not args.url:
        parser.error("--reuse-collection/--index-id need --url (a fresh server has no data)")
    if not 1 <= args.top_k <= 500:
        parser.error("--top-k must be within 1..500")
    if args.top_k < DEPTH:
        print(f"warning: --top-k {args.top_k} < {DEPTH}: recall@100 is capped", file=sys.stderr)
    return args


def run_path(run: Path, mode: str, modes: Sequence[str]) -> Path:
    """`run` itself for one mode; with several, ``OUT.MODE.trec`` next to it."""
    return run if len(modes) == 1 else run.with_name(f"{run.stem}.{mode}{run.suffix}")


def measure_mode(
    http: httpx.Client,
    args: argparse.Namespace,
    dataset: Dataset,
    index_id: str,
    doc_map: Mapping[str, Sequence[str]],
    mode: str,
) -> dict[str, Any]:
    """Send every query in one mode, write its run, print and return its metrics."""
    started = time.perf_counter()
    results = run_queries(
        http,
        index_id,
        dataset.queries,
        doc_map,
        mode=MODES[mode],
        top_k=args.top_k,
        concurrency=args.concurrency,
        ignore_identical_ids=not args.keep_identical_ids,
    )
    query_seconds = time.perf_counter() - started
    run = run_path(args.run, mode, args.modes)
    write_run(run, results, args.tag or f"wxo-{mode}")
    scores = evaluate(dataset.qrels, {r.query_id: [d for d, _ in r.ranked] for r in results})
    print("\n".join(query_lines(results, query_seconds, args.concurrency)))
    print(
        f"{args.data.name} {args.split} {mode}: nDCG@10 {scores.ndcg_at_10:.4f}, "
        f"recall@100 {scores.recall_at_100:.4f} over {scores.queries} queries "
        f"({len(dataset.corpus)} documents); run written to {run}"
    )
    latencies = [r.latency_ms for r in results]
    return {
        "mode": mode,
        "run": str(run),
        "queries": scores.queries,
        "ndcg@10": scores.ndcg_at_10,
        "recall@100": scores.recall_at_100,
        "query_seconds": query_seconds,
        "latency_ms": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95)},
        "per_query": scores.per_query,
    }


def measure(http: httpx.Client, args: argparse.Namespace, dataset: Dataset) -> dict[str, Any]:
    """Ingest (unless reusing), then every mode on that index; the JSON report."""
    ingest_result: IngestResult | None = None
    baseline: dict[str, Any] | None = None
    doc_map: dict[str, list[str]] = {}
    if args.index_id:
        index_id = str(args.index_id)  # results map back by document name
    elif args.reuse_collection:
        collection_id = find_collection(http, args.reuse_collection)
        index_id = str(default_index(http, collection_id)["id"])
        doc_map = map_from_documents(all_documents(http, collection_id))
        print(f"reusing collection {args.reuse_collection} ({len(doc_map)} documents)")
    else:
        name = args.collection_name or f"beir-{args.data.name}-{args.split}-{int(time.time())}"
        ingest_result, doc_map = ingest(
            http,
            dataset.corpus,
            name,
            args.batch,
            args.timeout,
            wait_annotation=args.embedding_baseline,
        )
        index_id = ingest_result.index_id
        print("\n".join(ingest_lines(ingest_result)))
        print(f"collection {name} ({ingest_result.collection_id}), index {index_id}")
        if args.embedding_baseline:
            baseline = embedding_baseline(http, index_id, ingest_result.seconds)
    modes = [measure_mode(http, args, dataset, index_id, doc_map, m) for m in args.modes]
    ingest_json = None
    if ingest_result is not None:
        ingest_json = asdict(ingest_result) | {"docs_per_s": ingest_result.docs_per_s}
    return {
        "dataset": str(args.data),
        "split": args.split,
        "index_id": index_id,
        "documents": len(dataset.corpus),
        "concurrency": args.concurrency,
        "top_k": args.top_k,
        "ingest": ingest_json,
        "embedding_baseline": baseline,
        "modes": modes,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark."""
    args = parse_args(argv)
    dataset = load_dataset(args.data, args.split, args.limit_docs, args.limit_queries)
    print(
        f"{args.data.name}/{args.split}: {len(dataset.corpus)} documents, "
        f"{len(dataset.queries)} judged queries"
    )
    server: ManagedServer | None = None
    try:
        if args.url:
            url, token = str(args.url), str(args.token)
        else:
            server = ManagedServer(workers=args.workers, keep_data=args.keep_data)
            print(f"starting: {server.command}")
            url, token = server.url, server.wait_ready()
        headers = {"Authorization": f"Bearer {token}"}
        limits = httpx.Limits(max_connections=max(args.concurrency, 1) + 2)
        with httpx.Client(base_url=url, headers=headers, timeout=300, limits=limits) as http:
            report = measure(http, args, dataset)
    finally:
        if server is not None:
            server.stop()
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
