"""Orchestrate runs: time to first event, overhead beyond the model, concurrent runs per worker.

A benchmark, not a test: it prints a markdown section and (``--json``) writes the raw numbers;
nothing asserts timings. Target (issue 7): the run's overhead beyond the model's own latency
<= 100 ms p95.

What it does:

1. Starts a **fake model**: a loopback OpenAI-compatible server (this file, ``--fake-model-port``,
   uvicorn + Starlette in its own process) whose streamed chat completion sleeps
   ``--ttft-ms`` before the first token, then sends ``--tokens`` tokens ``--token-ms`` apart,
   a usage chunk and ``[DONE]``: a fixed, known latency, nothing computed.
2. For each ``--worker-concurrency`` C starts ``wxo serve --worker-concurrency C`` on a fresh
   ``WXO_DATA_DIR`` (``bench/threads.py``'s server), registers the fake as
   ``virtual-model/openai-compatible/fast`` (``POST /v1/models``, as ``bench/proxy.py`` does)
   and creates a native agent with that ``llm`` and no tools (``POST /v1/orchestrate/agents``):
   the agent loop (the runs' default executor) then makes exactly one streamed model call.
3. **Sequential** (``--n`` iterations after ``--warmup``), each iteration doing, in an order that
   rotates every iteration:

   * ``direct``: the streamed chat completion straight to the fake (TTFT, total to ``[DONE]``);
   * ``stream``: ``POST /v1/orchestrate/runs?stream=true`` (a new thread each time): time to the
     first event (``run.started``), the first ``message.delta``, ``run.completed`` and ``done``;
   * ``post+follow``: ``POST /v1/orchestrate/runs`` (time until the ids come back), then
     ``GET /runs/{id}/events?follow=true`` until ``done`` (how a client waits for
     ``run.completed`` without polling).

   **Overhead** = run's time to ``done`` - direct total. Reported two ways: the median / p95 of
   the *paired* differences (run i minus the direct call of the same iteration, adjacent in
   time, so drift cancels) and the difference of the medians of the two distributions.
   PostgreSQL transactions per run (``pg_stat_database``) and events per run come with it.
4. **Concurrency**: for each K of ``--clients``, K closed-loop asyncio clients for
   ``--duration`` s, first calling the fake directly, then streaming runs: completed/s, p50/p95
   total, errors, the CPU each server part used per run, and the ratio to the direct baseline
   measured just before. A run occupies one Celery worker process for its whole model call, so
   runs/s is bounded by C / (model latency + overhead).
5. Stops everything (SIGTERM, wait), also on failure.

Run (full size; takes ~10 min on 2 cores)::

    .venv/bin/python bench/runs.py --n 50 --clients 1,4,8 --duration 20 --worker-concurrency 1,2,4 --json bench/results/runs-$(date -u +%F).json

Smoke: ``--n 5 --warmup 2 --clients 1,4 --duration 3 --worker-concurrency 1``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from threads import (
    DbStats,
    ManagedServer,
    ServerProcesses,
    find_postmaster_pid,
    free_port,
    machine_info,
    percentile,
)

ROOT = Path(__file__).resolve().parent.parent
MODEL_NAME = "virtual-model/openai-compatible/fast"
FAKE_KEY = "bench-fake-key"
AGENT_NAME = "bench_fast_agent"
PROMPT = "Say hi"
TARGET_OVERHEAD_P95_MS = 100.0


# --------------------------------------------------------------------------------------------
# The fake model (runs in its own process: `runs.py --fake-model-port P ...`)
# --------------------------------------------------------------------------------------------


def serve_fake_model(port: int, ttft_ms: float, tokens: int, token_ms: float) -> None:
    """An OpenAI-compatible chat endpoint with a fixed latency; blocks until SIGTERM."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    def chunk(rid: str, delta: dict[str, Any], finish: str | None) -> bytes:
        body = {
            "id": rid,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": "fast",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(body)}\n\n".encode()

    usage = {"prompt_tokens": 8, "completion_tokens": tokens, "total_tokens": 8 + tokens}

    async def models(_: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": "fast", "object": "model"}]})

    async def completions(request: Request) -> Response:
        body = await request.json()
        rid = f"chatcmpl-{time.monotonic_ns()}"
        if not body.get("stream"):
            await asyncio.sleep((ttft_ms + token_ms * (tokens - 1)) / 1000)
            text = "".join(f"tok{i} " for i in range(tokens))
            return JSONResponse(
                {
                    "id": rid,
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": "fast",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                }
            )
        with_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        async def events() -> AsyncIterator[bytes]:
            await asyncio.sleep(ttft_ms / 1000)
            for i in range(tokens):
                if i:
                    await asyncio.sleep(token_ms / 1000)
                delta = {"content": f"tok{i} "} | ({"role": "assistant"} if i == 0 else {})
                yield chunk(rid, delta, None)
            yield chunk(rid, {}, "stop")
            if with_usage:
                tail = {"id": rid, "object": "chat.completion.chunk", "created": int(time.time())}
                payload = tail | {"model": "fast", "choices": [], "usage": usage}
                yield f"data: {json.dumps(payload)}\n\n".encode()
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    app = Starlette(
        routes=[
            Route("/v1/models", models),
            Route("/v1/chat/completions", completions, methods=["POST"]),
        ]
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


class FakeModel:
    """The fake model's process."""

    def __init__(self, ttft_ms: float, tokens: int, token_ms: float) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.nominal_ms = ttft_ms + token_ms * (tokens - 1)
        args = [
            sys.executable, __file__, "--fake-model-port", str(self.port),
            "--ttft-ms", str(ttft_ms), "--tokens", str(tokens), "--token-ms", str(token_ms),
        ]  # fmt: skip
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base_url}/models", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the fake model did not start")

    def stop(self) -> None:
        """SIGTERM, wait."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class RunsServer(ManagedServer):
    """``wxo serve --worker-concurrency C`` on a fresh data directory (threads.py's server)."""

    def __init__(self, *, worker_concurrency: int, keep_data: bool) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="wxo-bench-runs-"))
        self.keep_data = keep_data
        self.log_path = self.data_dir / "serve.log"
        args = [str(ROOT / ".venv" / "bin" / "wxo"), "serve", "--port", str(self.port)]
        args += ["--worker-concurrency", str(worker_concurrency)]
        self.command = " ".join(args)
        env = dict(os.environ, WXO_DATA_DIR=str(self.data_dir))
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )


# --------------------------------------------------------------------------------------------
# One request of each kind (async; one shared client per target)
# --------------------------------------------------------------------------------------------


@dataclass
class Sample:
    """Milliseconds from sending the request to each milestone (None: not seen)."""

    total: float
    first: float | None = None  # direct: first token; runs: first event (run.started)
    first_delta: float | None = None
    last_delta: float | None = None  # direct: last token
    accepted: float | None = None  # post+follow: the POST's answer
    completed: float | None = None  # run.completed
    events: int = 0
    deltas: int = 0
    ok: bool = True


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


async def call_direct(client: httpx.AsyncClient, tokens: int) -> Sample:
    """A streamed chat completion straight to the fake model."""
    body = {"model": "fast", "stream": True, "messages": [{"role": "user", "content": PROMPT}]}
    body["stream_options"] = {"include_usage": True}
    started = time.perf_counter()
    first: float | None = None
    last: float | None = None
    seen = 0
    async with client.stream("POST", "/chat/completions", json=body) as response:
        async for line in response.aiter_lines():
            if not line.startswith("data:") or line[5:].strip() == "[DONE]":
                continue
            choices = json.loads(line[5:]).get("choices") or [{}]
            if (choices[0].get("delta") or {}).get("content"):
                seen += 1
                last = _ms(started)
                first = first if first is not None else last
    total = _ms(started)
    return Sample(total=total, first=first, last_delta=last, deltas=seen, ok=seen == tokens)


async def _read_events(response: httpx.Response, sample: Sample, started: float) -> None:
    async for line in response.aiter_lines():
        if not line.strip():
            continue
        event = json.loads(line)["event"]
        sample.events += 1
        if sample.first is None:
            sample.first = _ms(started)
        if event == "message.delta":
            sample.deltas += 1
            sample.last_delta = _ms(started)
            if sample.first_delta is None:
                sample.first_delta = _ms(started)
        elif event == "run.completed":
            sample.completed = _ms(started)
        elif event in ("run.failed", "run.cancelled"):
            sample.ok = False


def _run_body(agent_id: str) -> dict[str, Any]:
    return {"message": {"role": "user", "content": PROMPT}, "agent_id": agent_id}


async def call_run_stream(client: httpx.AsyncClient, agent_id: str) -> Sample:
    """``POST /v1/orchestrate/runs?stream=true`` read to ``done``."""
    sample = Sample(total=0.0)
    started = time.perf_counter()
    async with client.stream(
        "POST", "/orchestrate/runs", params={"stream": "true"}, json=_run_body(agent_id)
    ) as response:
        if response.status_code != 200:
            await response.aread()
            raise RuntimeError(f"stream run: {response.status_code} {response.text}")
        await _read_events(response, sample, started)
    sample.total = _ms(started)
    sample.ok = sample.ok and sample.completed is not None
    return sample


async def call_run_follow(client: httpx.AsyncClient, agent_id: str) -> Sample:
    """``POST /v1/orchestrate/runs`` (ids), then its events with ``follow=true`` to ``done``."""
    sample = Sample(total=0.0)
    started = time.perf_counter()
    response = await client.post("/orchestrate/runs", json=_run_body(agent_id))
    if response.status_code != 200:
        raise RuntimeError(f"run: {response.status_code} {response.text}")
    sample.accepted = _ms(started)
    run_id = response.json()["run_id"]
    async with client.stream(
        "GET", f"/orchestrate/runs/{run_id}/events", params={"follow": "true"}
    ) as events:
        await _read_events(events, sample, started)
    sample.total = _ms(started)
    sample.ok = sample.ok and sample.completed is not None
    return sample


# --------------------------------------------------------------------------------------------
# Phases
# --------------------------------------------------------------------------------------------


def stats(values: Sequence[float | None]) -> dict[str, float | None]:
    """p50 / p95 (nearest rank) of the values that were seen."""
    seen = sorted(v for v in values if v is not None)
    if not seen:
        return {"p50": None, "p95": None}
    return {"p50": round(statistics.median(seen), 1), "p95": round(percentile(seen, 95), 1)}


@dataclass
class Sequential:
    """Per-iteration samples of the three kinds, and what the database did meanwhile."""

    direct: list[Sample] = field(default_factory=list)
    stream: list[Sample] = field(default_factory=list)
    follow: list[Sample] = field(default_factory=list)
    db_per_run: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Milestones, overhead (paired and difference of medians) for each run kind."""
        out: dict[str, Any] = {
            "direct": {"first_token": stats([s.first for s in self.direct]),
                       "last_token": stats([s.last_delta for s in self.direct]),
                       "total": stats([s.total for s in self.direct])},
        }  # fmt: skip
        direct_total = [s.total for s in self.direct]
        for kind, samples in (("stream", self.stream), ("post+follow", self.follow)):
            paired = [r.total - d for r, d in zip(samples, direct_total, strict=True)]
            out[kind] = {
                "accepted": stats([s.accepted for s in samples]),
                "first_event": stats([s.first for s in samples]),
                "first_delta": stats([s.first_delta for s in samples]),
                "last_delta": stats([s.last_delta for s in samples]),
                "done_after_last_delta": stats(
                    [s.total - s.last_delta for s in samples if s.last_delta is not None]
                ),
                "run_completed": stats([s.completed for s in samples]),
                "done": stats([s.total for s in samples]),
                "overhead_paired": stats(paired),
                "overhead_diff_of_medians": round(
                    statistics.median(s.total for s in samples) - statistics.median(direct_total),
                    1,
                ),
                "first_delta_minus_direct_ttft": stats(
                    [
                        r.first_delta - d.first
                        for r, d in zip(samples, self.direct, strict=True)
                        if r.first_delta is not None and d.first is not None
                    ]
                ),
                "events_per_run": statistics.median(s.events for s in samples),
                "failed": sum(not s.ok for s in samples),
            }
        out["db_per_run"] = self.db_per_run
        return out


async def sequential(
    direct: httpx.AsyncClient, api: httpx.AsyncClient, agent_id: str, *, n: int, tokens: int
) -> Sequential:
    """``n`` iterations of direct / stream / post+follow, order rotating."""
    result = Sequential()
    kinds: list[tuple[list[Sample], Callable[[], Awaitable[Sample]]]] = [
        (result.direct, lambda: call_direct(direct, tokens)),
        (result.stream, lambda: call_run_stream(api, agent_id)),
        (result.follow, lambda: call_run_follow(api, agent_id)),
    ]
    for i in range(n):
        for j in range(3):
            bucket, call = kinds[(i + j) % 3]
            bucket.append(await call())
    return result


@dataclass
class LoadResult:
    """K closed-loop clients for a while."""

    mode: str
    clients: int
    wall_s: float
    completed: int
    errors: int
    per_s: float
    p50_ms: float | None
    p95_ms: float | None
    first_p50_ms: float | None
    cpu_ms_per_call: dict[str, float] = field(default_factory=dict)
    db_per_call: dict[str, float] = field(default_factory=dict)


async def load(
    mode: str,
    call: Callable[[], Awaitable[Sample]],
    *,
    clients: int,
    duration: float,
    procs: ServerProcesses | None,
    db: DbStats | None,
) -> LoadResult:
    """``clients`` loops calling ``call`` back to back until ``duration`` s have passed."""
    samples: list[Sample] = []
    errors = 0
    deadline = time.perf_counter() + duration

    async def loop() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            try:
                sample = await call()
            except (httpx.HTTPError, RuntimeError, ValueError):
                errors += 1
                continue
            if sample.ok:
                samples.append(sample)
            else:
                errors += 1

    cpu_before = procs.cpu_seconds() if procs else {}
    db_before = db.snapshot() if db else {}
    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(clients)))
    wall = time.perf_counter() - started
    count = len(samples)
    cpu: dict[str, float] = {}
    if procs:
        after = procs.cpu_seconds()
        cpu = {
            k: round((after[k] - cpu_before.get(k, 0.0)) * 1000 / max(1, count), 1)
            for k in ("api", "worker", "postgres", "redis", "machine")
        }
    db_per = DbStats.per_request(db_before, db.snapshot(), count) if db else {}
    total, first = stats([s.total for s in samples]), stats([s.first for s in samples])
    return LoadResult(
        mode, clients, round(wall, 2), count, errors, round(count / wall, 2),
        total["p50"], total["p95"], first["p50"], cpu, db_per,
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# One server: setup, sequential phase, load phases
# --------------------------------------------------------------------------------------------


def setup(server: RunsServer, token: str, fake: FakeModel) -> str:
    """Register the fake model and create the agent; the agent's id."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"{server.url}/v1", headers=headers, timeout=30) as http:
        model = {
            "name": MODEL_NAME,
            "provider_config": {
                "provider": "openai-compatible",
                "custom_host": fake.base_url,
                "api_key": FAKE_KEY,
            },
        }
        response = http.post("/models", json=model)
        if response.status_code != 201:
            raise RuntimeError(f"registering the model: {response.status_code} {response.text}")
        agent = {"name": AGENT_NAME, "llm": MODEL_NAME, "instructions": "Answer briefly."}
        response = http.post("/orchestrate/agents", json=agent)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"creating the agent: {response.status_code} {response.text}")
        return str(response.json()["id"])


@contextlib.contextmanager
def started_server(concurrency: int, keep_data: bool) -> Iterator[tuple[RunsServer, str]]:
    """A ready server (stopped afterwards, its data kept on failure)."""
    server = RunsServer(worker_concurrency=concurrency, keep_data=keep_data)
    try:
        token = server.wait_ready()
        yield server, token
    except BaseException:
        print(f"wxo serve log tail:\n{server.log_tail()}", file=sys.stderr)
        server.keep_data = True
        raise
    finally:
        server.stop()


async def bench_server(
    server: RunsServer, token: str, fake: FakeModel, args: argparse.Namespace
) -> dict[str, Any]:
    """Everything measured on one server."""
    agent_id = setup(server, token, fake)
    procs = ServerProcesses(
        server.process.pid, find_postmaster_pid(server.process.pid, server.data_dir)
    )
    db = DbStats(server.dsn())
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    timeout = httpx.Timeout(120.0)
    api = httpx.AsyncClient(
        base_url=f"{server.url}/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout,
        limits=limits,
    )
    direct = httpx.AsyncClient(
        base_url=fake.base_url,
        headers={"Authorization": f"Bearer {FAKE_KEY}"},
        timeout=timeout,
        limits=limits,
    )
    try:
        await sequential(direct, api, agent_id, n=args.warmup, tokens=args.tokens)
        before = db.snapshot()
        seq = await sequential(direct, api, agent_id, n=args.n, tokens=args.tokens)
        seq.db_per_run = DbStats.per_request(before, db.snapshot(), 2 * args.n)
        loads: list[LoadResult] = []
        for k in args.clients:
            loads.append(
                await load(
                    "direct",
                    lambda: call_direct(direct, args.tokens),
                    clients=k,
                    duration=args.duration,
                    procs=None,
                    db=None,
                )
            )
            loads.append(
                await load(
                    "runs (stream)",
                    lambda: call_run_stream(api, agent_id),
                    clients=k,
                    duration=args.duration,
                    procs=procs,
                    db=db,
                )
            )
    finally:
        await api.aclose()
        await direct.aclose()
        db.close()
    return {"sequential": seq.summary(), "load": [asdict(r) for r in loads]}


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def _f(value: Any) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _pp(s: dict[str, float | None]) -> str:
    return f"{_f(s['p50'])} / {_f(s['p95'])}"


def report(results: dict[int, dict[str, Any]], args: argparse.Namespace, nominal: float) -> str:
    """The markdown section."""
    lines = [
        "## Orchestrate runs (`bench/runs.py`)",
        "",
        f"Command: `.venv/bin/python bench/runs.py {' '.join(args.argv)}`",
        "",
        f"Fake model: TTFT {args.ttft_ms:g} ms, {args.tokens} tokens {args.token_ms:g} ms apart "
        f"(nominal {nominal:g} ms). Agent with that `llm`, no tools (one model call per run). "
        f"Machine: {json.dumps(machine_info())}.",
        "",
        "Sequential (ms, p50 / p95; overhead = run's `done` - direct total):",
        "",
        "| C | path | accepted | first event | first delta | last delta | run.completed | done "
        "| done - last delta | overhead paired | overhead diff of medians | events/run | failed |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c, res in results.items():
        s = res["sequential"]
        d = s["direct"]
        lines.append(
            f"| {c} | direct | - | - | {_pp(d['first_token'])} (TTFT) | {_pp(d['last_token'])} "
            f"| - | {_pp(d['total'])} | - | - | - | - | - |"
        )
        for kind in ("stream", "post+follow"):
            k = s[kind]
            lines.append(
                f"| {c} | {kind} | {_pp(k['accepted'])} | {_pp(k['first_event'])} "
                f"| {_pp(k['first_delta'])} | {_pp(k['last_delta'])} | {_pp(k['run_completed'])} "
                f"| {_pp(k['done'])} | {_pp(k['done_after_last_delta'])} "
                f"| {_pp(k['overhead_paired'])} | {_f(k['overhead_diff_of_medians'])} "
                f"| {_f(k['events_per_run'])} | {k['failed']} |"
            )
        db = s["db_per_run"]
        lines.append(
            f"| {c} | db per run | transactions {_f(db.get('transactions_per_req'))}, "
            f"writes {_f(db.get('writes_per_req'))} | | | | | | | | | | |"
        )
    lines += [
        "",
        f"Target: overhead p95 <= {TARGET_OVERHEAD_P95_MS:g} ms.",
        "",
        "Concurrency (K closed-loop clients, "
        f"{args.duration:g} s each; CPU ms per completed run by part):",
        "",
        "| C | K | mode | completed/s | x direct | p50 / p95 ms | first p50 ms | errors "
        "| CPU ms/run api, worker, pg, redis | db tx/run |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c, res in results.items():
        direct_rate: dict[int, float] = {}
        for r in res["load"]:
            if r["mode"] == "direct":
                direct_rate[r["clients"]] = r["per_s"]
            ratio = r["per_s"] / direct_rate[r["clients"]] if direct_rate.get(r["clients"]) else 0
            cpu = r["cpu_ms_per_call"]
            cpu_text = ", ".join(_f(cpu.get(p)) for p in ("api", "worker", "postgres", "redis"))
            lines.append(
                f"| {c} | {r['clients']} | {r['mode']} | {_f(r['per_s'])} | {ratio:.2f} "
                f"| {_f(r['p50_ms'])} / {_f(r['p95_ms'])} | {_f(r['first_p50_ms'])} "
                f"| {r['errors']} | {cpu_text if cpu else '-'} "
                f"| {_f(r['db_per_call'].get('transactions_per_req'))} |"
            )
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    ints = lambda text: [int(x) for x in text.split(",") if x]  # noqa: E731
    parser.add_argument("--n", type=int, default=50, help="sequential iterations")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured iterations first")
    parser.add_argument("--clients", type=ints, default=[1, 4, 8], help="K, comma-separated")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per load phase")
    parser.add_argument(
        "--worker-concurrency", type=ints, default=[1, 2, 4], help="C, comma-separated"
    )
    parser.add_argument("--ttft-ms", type=float, default=20.0, help="fake model: first token")
    parser.add_argument("--tokens", type=int, default=16, help="fake model: tokens streamed")
    parser.add_argument("--token-ms", type=float, default=5.0, help="fake model: token gap")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--doc", type=Path, help="write the markdown section here")
    parser.add_argument("--keep-data", action="store_true", help="keep wxo's data directories")
    parser.add_argument("--fake-model-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark."""
    args = parse_args(argv)
    if args.fake_model_port:
        serve_fake_model(args.fake_model_port, args.ttft_ms, args.tokens, args.token_ms)
        return 0
    fake = FakeModel(args.ttft_ms, args.tokens, args.token_ms)
    results: dict[int, dict[str, Any]] = {}
    try:
        for concurrency in args.worker_concurrency:
            with started_server(concurrency, args.keep_data) as (server, token):
                load_before = os.getloadavg()[0]
                results[concurrency] = asyncio.run(bench_server(server, token, fake, args))
                results[concurrency]["load_avg"] = [load_before, os.getloadavg()[0]]
    finally:
        fake.stop()
    section = report(results, args, fake.nominal_ms)
    print(section)
    if args.doc:
        args.doc.write_text(section)
    if args.json:
        args.json.write_text(
            json.dumps({"args": args.argv, "machine": machine_info(), "results": results}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
