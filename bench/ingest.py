"""Ingestion benchmark: real documents through the API and the worker, next to the raw library.

A benchmark, not a test: it prints a markdown report (``--doc`` writes it to a file too) and
writes raw numbers as JSON (``--out``); nothing asserts timings. Targets (issue "Document Store
and Information Extraction") on 2 cores: text PDFs >= 20 pages/s, HTML >= 50 docs/s (no
embedding yet), pipeline <= 1.3x the raw library's time, and API p95 of ``GET /v1/threads``
within 1.5x of idle while a large batch ingests.

What it does:

1. Collects real documents nobody here wrote: Debian's HTML manuals and PDF manuals under
   ``--docs`` (default ``/usr/share/doc``; ``*.pdf.gz`` are decompressed into a temp folder).
2. **Raw library**: what the pipeline runs, in this process, file after file (what one worker
   process does), timed per file, best of ``--raw-repeat``: the extract stage's extractor
   (``wxo.extraction.service.extract_lean``, the default of ``WXO_DOCUMENTS__EXTRACTOR``), and
   apart from it the annotate stage's ``annotate`` (keywords and named entities) on its text.
3. **Pipeline**: starts ``wxo serve`` as ``make run`` does (fresh data directory, its
   default worker processes), creates one collection per set, uploads each set through
   ``POST /v1/document-collections/{id}/documents`` in batches of ``--batch`` files, and polls
   the number of documents still queued or extracting (count-only ``GET /v1/documents``, every
   0.25 s) until none is left. The time runs from the first upload to the last document out of
   extraction. The HTML target excludes embedding, so the collections are created with
   ``settings.default_index: false`` (no vector index, no embedding) unless ``--embedding``;
   the time until every document is ``ready`` and then annotated (keywords, entities: the
   annotate stage, at low priority after ``ready``) is reported next to it, and the next set
   starts only then. ``--worker-concurrency`` is passed to ``wxo serve`` when given (by default
   ``wxo serve`` starts a worker process per core, at most four, as ``make run`` does; the raw
   run uses one process). Per-stage times come from ``status_detail.stages``; the CPU seconds of the
   server's process groups (API, worker, PostgreSQL, Redis) over the same window, from
   ``/proc``, say where the time went.
4. **API latency under ingestion**: a probe process (not a thread: it would share this
   process's GIL with the uploads) sends ``GET /v1/threads`` one after the other
   (``--probe-seconds`` idle first, then during the pipeline runs) and reports p50/p95 of
   each window.

Run: ``.venv/bin/python bench/ingest.py [--docs /usr/share/doc] [--doc out.md] [--out r.json]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import multiprocessing
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from threads import ManagedServer, ServerProcesses, find_postmaster_pid

CPU_GROUPS = ("api", "worker", "postgres", "redis", "machine")
TARGETS = {"pdf_pages_per_s": 20.0, "html_docs_per_s": 50.0, "overhead": 1.3, "api_p95": 1.5}


@dataclass
class DocSet:
    """The files of one kind."""

    kind: str  # "html" | "pdf"
    files: list[Path]

    @property
    def megabytes(self) -> float:
        """Total size in MB."""
        return sum(f.stat().st_size for f in self.files) / 1e6


@dataclass
class RawResult:
    """The extraction library alone on one set."""

    kind: str
    files: int
    failed: int
    pages: int
    seconds: float
    cpu_seconds: float = 0.0  # this process's CPU time: robust to other load on the machine
    per_file_ms: list[float] = field(default_factory=list)
    annotate_seconds: float = 0.0  # `annotate` on the extracted texts, timed apart


@dataclass
class PipelineResult:
    """The same set through the API and the worker."""

    kind: str
    files: int
    ready: int
    failed: int
    pages: int
    seconds: float  # to the last document out of extraction (the target excludes embedding)
    ready_seconds: float = 0.0  # to the last document out of indexing (chunks embedded)
    annotated_seconds: float = 0.0  # to the last document annotated (keywords, entities)
    stage_ms: dict[str, float] = field(default_factory=dict)  # median per document
    failures: list[str] = field(default_factory=list)
    # CPU seconds of each group of server processes (api, worker, postgres, ...) from the first
    # upload to the last document out of extraction: where the time went.
    cpu_seconds: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Collecting documents
# --------------------------------------------------------------------------------------------


def collect(docs: Path, workdir: Path, max_files: int) -> list[DocSet]:
    """Debian's HTML and PDF documentation (PDFs decompressed into `workdir`)."""
    html = sorted(p for p in docs.rglob("*.html") if p.is_file() and p.stat().st_size > 0)
    pdfs: list[Path] = []
    for path in sorted(docs.rglob("*.pdf*")):
        if path.name.endswith(".pdf"):
            pdfs.append(path)
        elif path.name.endswith(".pdf.gz"):
            target = workdir / f"{len(pdfs):03d}-{path.name[:-3]}"
            target.write_bytes(gzip.decompress(path.read_bytes()))
            pdfs.append(target)
    return [DocSet("html", html[:max_files]), DocSet("pdf", pdfs[:max_files])]


# --------------------------------------------------------------------------------------------
# Raw library
# --------------------------------------------------------------------------------------------


def run_raw(doc_set: DocSet, repeat: int) -> RawResult:
    """`extract_lean` on every file, sequentially, then `annotate` on the texts; best of `repeat`."""
    from wxo.extraction.base import ExtractionError
    from wxo.extraction.service import annotate
    from wxo.extraction.service import extract_lean as extract

    best: RawResult | None = None
    for _ in range(repeat):
        result = RawResult(doc_set.kind, len(doc_set.files), 0, 0, 0.0)
        texts: list[tuple[str, str | None]] = []
        started, cpu_started = time.perf_counter(), time.process_time()
        for path in doc_set.files:
            data = path.read_bytes()
            t0 = time.perf_counter()
            try:
                extraction = extract(data, filename=path.name, declared_type=None)
                result.pages += extraction.page_count or 0
                texts.append((extraction.text, extraction.language))
            except ExtractionError:
                result.failed += 1
            result.per_file_ms.append((time.perf_counter() - t0) * 1000)
        result.seconds = time.perf_counter() - started
        result.cpu_seconds = time.process_time() - cpu_started
        annotate("warm up", "en")  # the spaCy model loads once per worker process
        t0 = time.perf_counter()
        for text, language in texts:
            annotate(text, language)
        result.annotate_seconds = time.perf_counter() - t0
        if best is None or result.seconds < best.seconds:
            best = result
    assert best is not None
    return best


# --------------------------------------------------------------------------------------------
# Pipeline
# --------------------------------------------------------------------------------------------


def batches(items: Sequence[Path], size: int) -> Iterator[Sequence[Path]]:
    """`items` in chunks of `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def all_documents(http: httpx.Client, collection_id: str) -> list[dict[str, Any]]:
    """Every document of a collection (paged)."""
    found: list[dict[str, Any]] = []
    while True:
        page = http.get(
            "/v1/documents",
            params={"collection_id": collection_id, "limit": 500, "offset": len(found)},
        )
        page.raise_for_status()
        data = page.json()["data"]
        found += data
        if not data or len(found) >= page.json()["total"]:
            return found


def pending(
    http: httpx.Client, collection_id: str, statuses: Sequence[str] = ("queued", "extracting")
) -> int:
    """Documents of the collection in one of `statuses` (one count-only request each)."""
    total = 0
    for status in statuses:
        page = http.get(
            "/v1/documents", params={"collection_id": collection_id, "status": status, "limit": 1}
        )
        page.raise_for_status()
        total += int(page.json()["total"])
    return total


def unannotated(http: httpx.Client, collection_id: str) -> int:
    """Ready documents of the collection without an `annotate` stage yet."""
    return sum(
        d["status"] == "ready"
        and not any(s.get("name") == "annotate" for s in d["status_detail"].get("stages", []))
        for d in all_documents(http, collection_id)
    )


def run_pipeline(
    http: httpx.Client,
    doc_set: DocSet,
    batch: int,
    timeout: float,
    *,
    embedding: bool,
    processes: ServerProcesses,
) -> PipelineResult:
    """Upload the set into a fresh collection and wait until every document is done."""
    name = f"bench-{doc_set.kind}-{int(time.time())}"
    body: dict[str, Any] = {"name": name}
    if not embedding:
        body["settings"] = {"default_index": False}
    created = http.post("/v1/document-collections", json=body)
    created.raise_for_status()
    collection_id = created.json()["id"]
    cpu_before = processes.cpu_seconds()
    started = time.perf_counter()
    for chunk in batches(doc_set.files, batch):
        files = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in chunk]
        response = http.post(f"/v1/document-collections/{collection_id}/documents", files=files)
        response.raise_for_status()
    deadline = time.monotonic() + timeout
    while pending(http, collection_id) and time.monotonic() < deadline:
        time.sleep(0.25)  # counts only: a client watching progress, not load of its own
    seconds = time.perf_counter() - started
    cpu_after = processes.cpu_seconds()
    # Then the index stage (chunking and embedding), so the next set starts on an idle worker.
    while pending(http, collection_id, ("indexing",)) and time.monotonic() < deadline:
        time.sleep(0.25)
    ready_seconds = time.perf_counter() - started
    while unannotated(http, collection_id) and time.monotonic() < deadline:
        time.sleep(1.0)
    annotated_seconds = time.perf_counter() - started
    documents = all_documents(http, collection_id)
    stages: dict[str, list[float]] = {}
    for document in documents:
        for stage in document["status_detail"].get("stages", []):
            if stage.get("duration_ms") is not None:
                stages.setdefault(stage["name"], []).append(float(stage["duration_ms"]))
    failed = [d for d in documents if d["status"] == "failed"]
    return PipelineResult(
        kind=doc_set.kind,
        files=len(documents),
        ready=sum(d["status"] == "ready" for d in documents),
        failed=len(failed),
        pages=sum(d.get("page_count") or 0 for d in documents),
        seconds=seconds,
        ready_seconds=ready_seconds,
        annotated_seconds=annotated_seconds,
        stage_ms={name: statistics.median(v) for name, v in stages.items()},
        cpu_seconds={
            name: round(cpu_after[name] - cpu_before[name], 2)
            for name in cpu_after
            if name != "iowait"
        },
        failures=[
            f"{d['name']}: {(d['status_detail'].get('error') or {}).get('message', '?')}"
            for d in failed
        ],
    )


# --------------------------------------------------------------------------------------------
# API latency probe
# --------------------------------------------------------------------------------------------


class Probe:
    """`GET /v1/threads` back to back, from a process of its own; latencies tagged by window.

    Not a thread of this process: it would wait for the GIL while the main thread encodes and
    sends the uploads, and report that wait as the server's latency.
    """

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        context = multiprocessing.get_context("spawn")
        self._window: Any = context.Array("c", 64)  # `.value`: bytes (typeshed lacks it)
        self._halt = context.Event()
        self._results, sender = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_probe, args=(url, headers, self._window, self._halt, sender), daemon=True
        )
        self.window = "idle"
        self.samples: dict[str, list[float]] = {}

    @property
    def window(self) -> str:
        """The name the next latencies are filed under."""
        return bytes(self._window.value).decode()

    @window.setter
    def window(self, name: str) -> None:
        self._window.value = name.encode()

    def start(self) -> None:
        """Start probing."""
        self._process.start()

    def stop(self) -> None:
        """Stop, and collect the latencies."""
        self._halt.set()
        self.samples = self._results.recv()
        self._process.join(10)


def _probe(url: str, headers: dict[str, str], window: Any, halt: Any, results: Any) -> None:
    samples: dict[str, list[float]] = {}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        while not halt.is_set():
            t0 = time.perf_counter()
            http.get("/v1/threads", params={"limit": 20}).raise_for_status()
            name = bytes(window.value).decode()
            samples.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
            time.sleep(0.01)
    results.send(samples)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def report(
    sets: list[DocSet],
    raw: dict[str, RawResult],
    piped: dict[str, PipelineResult],
    probe: dict[str, list[float]],
    command: str,
) -> str:
    """The markdown section for docs/benchmarks.md."""
    lines = [
        "## Ingestion (`bench/ingest.py`)",
        "",
        f"Command: `{command}`",
        "",
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, "
        f"nproc={__import__('os').cpu_count()}, Python {platform.python_version()}",
        "- Documents: "
        + "; ".join(f"{s.kind}: {len(s.files)} files, {s.megabytes:.1f} MB" for s in sets),
        "",
        "| set | path | files | ready / failed | pages | seconds | docs/s | pages/s | MB/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for doc_set in sets:
        r, p = raw[doc_set.kind], piped[doc_set.kind]
        mb = doc_set.megabytes
        lines.append(
            f"| {doc_set.kind} | raw library | {r.files} | {r.files - r.failed} / {r.failed} | "
            f"{r.pages} | {r.seconds:.2f} | {r.files / r.seconds:.1f} | "
            f"{r.pages / r.seconds:.1f} | {mb / r.seconds:.2f} |"
        )
        lines.append(
            f"| {doc_set.kind} | API + worker | {p.files} | {p.ready} / {p.failed} | {p.pages} | "
            f"{p.seconds:.2f} | {p.files / p.seconds:.1f} | {p.pages / p.seconds:.1f} | "
            f"{mb / p.seconds:.2f} |"
        )
    lines += [
        "",
        "| set | pipeline / raw time | median stage ms | to ready (s) | to annotated (s) "
        "| raw annotate (s) |",
        "|---|---|---|---|---|---|",
    ]
    for doc_set in sets:
        r, p = raw[doc_set.kind], piped[doc_set.kind]
        stages = ", ".join(f"{k} {v:.0f}" for k, v in p.stage_ms.items())
        lines.append(
            f"| {doc_set.kind} | {p.seconds / r.seconds:.2f}x | {stages} | {p.ready_seconds:.1f} "
            f"| {p.annotated_seconds:.1f} | {r.annotate_seconds:.1f} |"
        )
    lines += [
        "",
        "| set | raw library wall ms per file: median / mean / p95 | CPU s | docs per CPU s |",
        "|---|---|---|---|",
    ]
    for doc_set in sets:
        r = raw[doc_set.kind]
        ms = r.per_file_ms
        lines.append(
            f"| {doc_set.kind} | {statistics.median(ms):.0f} / {statistics.mean(ms):.0f} / "
            f"{percentile(ms, 95):.0f} | {r.cpu_seconds:.2f} | "
            f"{r.files / max(r.cpu_seconds, 1e-9):.1f} |"
        )
    lines += [
        "",
        "| set | CPU seconds, first upload to last out of extraction: "
        + " / ".join(CPU_GROUPS)
        + " |",
        "|---|---|",
    ]
    for doc_set in sets:
        cpu = piped[doc_set.kind].cpu_seconds
        shown = " / ".join(f"{cpu.get(g, 0.0):.2f}" for g in CPU_GROUPS)
        lines.append(f"| {doc_set.kind} | {shown} |")
    load = __import__("os").getloadavg()
    lines += ["", f"Load average at the end: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}."]
    idle = probe.get("idle", [])
    busy = [v for k, vs in probe.items() if k != "idle" for v in vs]
    if idle and busy:
        ratio = percentile(busy, 95) / percentile(idle, 95)
        lines += [
            "",
            f"`GET /v1/threads` p50/p95: idle {percentile(idle, 50):.1f} / "
            f"{percentile(idle, 95):.1f} ms ({len(idle)} requests); while ingesting "
            f"{percentile(busy, 50):.1f} / {percentile(busy, 95):.1f} ms ({len(busy)} "
            f"requests): p95 ratio {ratio:.2f}x (target <= {TARGETS['api_p95']}x).",
        ]
    failures = [f for p in piped.values() for f in p.failures]
    if failures:
        lines += ["", "Failed documents (pipeline):", *(f"- {f}" for f in failures[:20])]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=Path("/usr/share/doc"))
    parser.add_argument("--max-files", type=int, default=1000, help="per set")
    parser.add_argument("--batch", type=int, default=50, help="files per upload request")
    parser.add_argument("--raw-repeat", type=int, default=2)
    parser.add_argument("--probe-seconds", type=float, default=10.0, help="idle probe window")
    parser.add_argument("--timeout", type=float, default=1800.0, help="per set")
    parser.add_argument("--doc", type=Path, help="also write the markdown section here")
    parser.add_argument("--out", type=Path, help="write raw results as JSON here")
    parser.add_argument(
        "--embedding", action="store_true", help="keep the default vector index (embed chunks)"
    )
    parser.add_argument(
        "--worker-concurrency", type=int, help="`wxo serve` option (default: the server's)"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="wxo-ingest-") as tmp:
        sets = [s for s in collect(args.docs, Path(tmp), args.max_files) if s.files]
        if not sets:
            print(f"no HTML or PDF documents under {args.docs}", file=sys.stderr)
            return 2
        raw = {s.kind: run_raw(s, args.raw_repeat) for s in sets}
        for r in raw.values():
            print(f"raw {r.kind}: {r.files} files, {r.pages} pages in {r.seconds:.2f}s")
        server = ManagedServer(
            workers=None,
            keep_data=False,
            serve_args=(
                ["--worker-concurrency", str(args.worker_concurrency)]
                if args.worker_concurrency
                else []
            ),
        )
        try:
            token = server.wait_ready()
            processes = ServerProcesses(
                server.process.pid, find_postmaster_pid(server.process.pid, server.data_dir)
            )
            headers = {"Authorization": f"Bearer {token}"}
            probe = Probe(server.url, headers)
            probe.start()
            time.sleep(args.probe_seconds)
            piped: dict[str, PipelineResult] = {}
            with httpx.Client(base_url=server.url, headers=headers, timeout=120) as http:
                for doc_set in sets:
                    probe.window = doc_set.kind
                    piped[doc_set.kind] = run_pipeline(
                        http,
                        doc_set,
                        args.batch,
                        args.timeout,
                        embedding=args.embedding,
                        processes=processes,
                    )
                    p = piped[doc_set.kind]
                    print(
                        f"pipeline {p.kind}: {p.ready} ready, {p.failed} failed, {p.seconds:.2f}s"
                    )
            probe.stop()
        finally:
            server.stop()
        command = "python bench/ingest.py " + " ".join(argv if argv is not None else sys.argv[1:])
        text = report(sets, raw, piped, probe.samples, command.strip())
    print(text)
    if args.doc:
        args.doc.write_text(text)
    if args.out:
        payload = {
            "raw": {k: asdict(v) for k, v in raw.items()},
            "pipeline": {k: asdict(v) for k, v in piped.items()},
            "probe": probe.samples,
        }
        args.out.write_text(json.dumps(payload, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
