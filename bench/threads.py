"""Message Threads benchmark: create-thread, append-message and list-last-50 under load.

A benchmark, not a test: it prints a markdown table and writes JSON; nothing asserts timings.
See docs/benchmarks.md for how to read the output and for recorded results.

What it does:

1. Without ``--url`` it starts ``wxo serve`` exactly as ``make run`` does (plus ``--port`` and a
   fresh ``WXO_DATA_DIR``), waits for ``/v1/health/ready`` and reads ``<data_dir>/dev-token``.
2. Preloads ``--threads`` threads x ``--messages`` messages straight into PostgreSQL
   (INSERT ... SELECT generate_series; ~25 s for 1M messages) when it can reach the
   database, else through the HTTP API (slow). Then validates the API on a few threads.
3. For ``--rounds`` rounds runs, ``--duration`` seconds each at ``--concurrency`` connections:
   ``baseline`` (``GET /health/alive``: no auth, no database), ``create`` (POST /v1/threads),
   ``append`` (POST a message to a random preloaded thread) and ``list50`` (the last 50 messages
   of a random preloaded thread). Reports medians over the rounds and ratios to the baseline
   measured in the same round, plus the CPU the API processes, PostgreSQL and the load generator
   used (they all share the machine).
4. Soaks ``--soak`` seconds of mixed load (10% create, 40% append, 50% list50) while sampling
   the resident memory of the API process(es) every ``--sample-interval`` seconds.

The load generator is ``wrk`` (``apt-get install wrk``) when it is on PATH, else an
httpx.AsyncClient load loop (``--client`` chooses). wrk is a C event loop that needs a
fraction of the CPU per request that Python needs, so it leaves more of the two cores to the
server; both are closed-loop generators (each connection waits for its response).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import json
import math
import os
import platform
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("baseline", "create", "append", "list50")
MIX = (("create", 10), ("append", 40), ("list50", 50))  # the soak's request mix, in percent
TARGETS = {"append": (400.0, 50.0), "list50": (600.0, 50.0)}  # (min req/s, max p95 ms)
TEXT_PADDING = "lorem ipsum dolor sit amet " * 4  # ~110 characters of message text


# --------------------------------------------------------------------------------------------
# Data classes
# --------------------------------------------------------------------------------------------


@dataclass
class Target:
    """One preloaded thread and the path that lists its last messages."""

    thread_id: str
    list_path: str


@dataclass
class PhaseResult:
    """One measured run of one kind of request."""

    phase: str
    client: str
    duration_s: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    cpu_cores: dict[str, float] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class MemorySample:
    """Resident memory (MiB) at one moment of the soak."""

    t_s: float
    api_rss_mib: float
    api_processes: int
    worker_rss_mib: float
    postgres_pss_mib: float
    redis_rss_mib: float


# --------------------------------------------------------------------------------------------
# The server under test
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ManagedServer:
    """`wxo serve` started by the benchmark on a fresh data directory."""

    def __init__(
        self,
        *,
        workers: int | None,
        keep_data: bool,
        patches: Sequence[str] = (),
        extra_env: dict[str, str] | None = None,
        serve_args: Sequence[str] = (),
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="wxo-bench-"))
        self.keep_data = keep_data
        self.log_path = self.data_dir / "serve.log"
        env = dict(os.environ, WXO_DATA_DIR=str(self.data_dir), **(extra_env or {}))
        if patches:  # what-if experiments: see bench/serve_patched.py
            env["WXO_BENCH_PATCHES"] = ",".join(patches)
            args = [
                str(ROOT / ".venv" / "bin" / "python"),
                str(ROOT / "bench" / "serve_patched.py"),
            ]
        else:
            args = [str(ROOT / ".venv" / "bin" / "wxo")]
        args += ["serve", "--port", str(self.port)]
        if workers:
            args += ["--workers", str(workers)]
        args += serve_args
        shown_env = {k: v for k, v in env.items() if k not in os.environ or k == "WXO_DATA_DIR"}
        self.command = " ".join([*(f"{k}={v}" for k, v in shown_env.items()), *args])
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )

    def wait_ready(self, timeout: float = 180.0) -> str:
        """Wait for `/v1/health/ready`; return the development token."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"wxo serve exited early:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/v1/health/ready", timeout=5).status_code == 200:
                    return (self.data_dir / "dev-token").read_text().strip()
            time.sleep(0.5)
        raise RuntimeError(f"wxo serve not ready after {timeout:.0f}s:\n{self.log_tail()}")

    def dsn(self) -> str:
        """The embedded PostgreSQL's DSN, from its postmaster.pid (Unix socket)."""
        lines = (self.data_dir / "postgres" / "postmaster.pid").read_text().splitlines()
        port, socket_dir = lines[3].strip(), lines[4].strip()
        if socket_dir:
            return f"postgresql://postgres@/wxo?host={socket_dir}&port={port}"
        return f"postgresql://postgres@127.0.0.1:{port}/wxo"

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 90.0) -> None:
        """SIGTERM, wait (the server stops its worker, Redis and PostgreSQL), then clean up."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                print(f"wxo serve did not stop in {timeout:.0f}s; killing it", file=sys.stderr)
                self.process.kill()
                self.process.wait()
        if self.keep_data:
            print(f"data directory kept: {self.data_dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.data_dir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Processes: which are the API, the worker, PostgreSQL, Redis; their CPU and memory
# --------------------------------------------------------------------------------------------


def _cmdline(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return ""


def find_server_pid(url: str) -> int | None:
    """The `wxo serve` process listening on the URL's port (for `--url` runs on this host)."""
    port = httpx.URL(url).port or 80
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            if conn.pid is None:
                continue
            proc = psutil.Process(conn.pid)
            while (parent := proc.parent()) is not None and "wxo serve" in _cmdline(parent):
                proc = parent
            return proc.pid
    return None


def find_postmaster_pid(server_pid: int, data_dir: Path | None) -> int | None:
    """The embedded PostgreSQL's postmaster (it daemonizes, so it is not in the server's tree)."""
    if data_dir is None:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied, KeyError):
            data_dir = Path(psutil.Process(server_pid).environ()["WXO_DATA_DIR"])
    if data_dir is not None and (pid_file := data_dir / "postgres" / "postmaster.pid").exists():
        return int(pid_file.read_text().splitlines()[0])
    return None


class ServerProcesses:
    """Groups the server's processes: api, supervisor, worker, postgres, redis."""

    def __init__(self, server_pid: int, postmaster_pid: int | None) -> None:
        self.server = psutil.Process(server_pid)
        self.postmaster = psutil.Process(postmaster_pid) if postmaster_pid else None

    def groups(self) -> dict[str, list[psutil.Process]]:
        """The current processes of each group."""
        groups: dict[str, list[psutil.Process]] = {
            "api": [],
            "supervisor": [],
            "worker": [],
            "postgres": [],
            "redis": [],
        }
        api_children: list[psutil.Process] = []
        worker_roots: set[int] = set()
        try:
            children = self.server.children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        for child in children:
            cmd = _cmdline(child)
            if "redis-server" in cmd:
                groups["redis"].append(child)
            elif "wxo worker" in cmd or child.ppid() in worker_roots:
                worker_roots.add(child.pid)
                groups["worker"].append(child)
            elif "multiprocessing" in cmd and "resource_tracker" not in cmd:
                api_children.append(child)
            else:
                groups["supervisor"].append(child)
        if api_children:  # uvicorn --workers N: the parent only supervises
            groups["api"] = api_children
            groups["supervisor"].append(self.server)
        else:
            groups["api"] = [self.server]
        if self.postmaster is not None:
            with contextlib.suppress(psutil.NoSuchProcess):
                groups["postgres"] = [self.postmaster, *self.postmaster.children(recursive=True)]
        return groups

    def cpu_seconds(self) -> dict[str, float]:
        """User+system CPU seconds used so far by each group, and by the whole machine.

        PostgreSQL backends that exit (a connection closed by the pool) are counted through the
        postmaster's reaped-children times, so connection churn is not lost.
        """
        result: dict[str, float] = {}
        for name, procs in self.groups().items():
            total = 0.0
            for proc in procs:
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    times = proc.cpu_times()
                    total += times.user + times.system
                    if proc == self.postmaster:
                        total += times.children_user + times.children_system
            result[name] = total
        machine = psutil.cpu_times()
        result["machine"] = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
        result["iowait"] = getattr(machine, "iowait", 0.0)
        return result

    def memory(self, t_s: float) -> MemorySample:
        """RSS of the API processes, worker and Redis; PSS of PostgreSQL (shared buffers once)."""
        groups = self.groups()

        def rss(procs: list[psutil.Process]) -> float:
            total = 0
            for proc in procs:
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    total += proc.memory_info().rss
            return total / 2**20

        pss = 0
        for proc in groups["postgres"]:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                pss += proc.memory_full_info().pss
        return MemorySample(
            t_s=round(t_s, 1),
            api_rss_mib=round(rss(groups["api"]), 1),
            api_processes=len(groups["api"]),
            worker_rss_mib=round(rss(groups["worker"]), 1),
            postgres_pss_mib=round(pss / 2**20, 1),
            redis_rss_mib=round(rss(groups["redis"]), 1),
        )


def cpu_delta(before: dict[str, float], after: dict[str, float], wall: float) -> dict[str, float]:
    """Cores used by each group between two snapshots."""
    if wall <= 0:
        return {}
    return {name: round((after[name] - before.get(name, 0.0)) / wall, 2) for name in after}


# --------------------------------------------------------------------------------------------
# Token, preload and validation
# --------------------------------------------------------------------------------------------


def token_claims(token: str) -> dict[str, Any]:
    """The JWT's claims, unverified (we only need the tenant and user it names)."""
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def list_path(thread_id: str, newest_message_id: str, query: str) -> str:
    """The request that lists a thread's last 50 messages (`query` from --list-query)."""
    q = query.format(thread=thread_id, last=newest_message_id)
    return f"/v1/threads/{thread_id}/messages" + (f"?{q}" if q else "")


_PRELOAD_SQL_MESSAGES = """
INSERT INTO thread_message
    (id, tenant_id, thread_id, seq, role, content, created_by, created_by_username,
     created_at, updated_at)
SELECT gen_random_uuid(), %(tenant)s, b.id, s,
       CASE WHEN s %% 2 = 1 THEN 'user' ELSE 'assistant' END,
       jsonb_build_array(jsonb_build_object(
           'response_type', 'text',
           'text', 'Preloaded message ' || s || ' of thread ' || b.n || '. ' || %(padding)s)),
       %(user)s, %(username)s,
       %(t0)s + s * interval '1 second' + b.n * interval '1 microsecond',
       %(t0)s + s * interval '1 second' + b.n * interval '1 microsecond'
FROM bench_ids b CROSS JOIN generate_series(1, %(messages)s) s
ORDER BY s, b.n
"""


def preload_db(
    dsn: str, token: str, threads: int, messages: int, query: str, *, stored_json: bool = True
) -> list[Target]:
    """Insert threads and messages with INSERT ... SELECT generate_series, in one transaction.

    Messages are inserted interleaved (message 1 of every thread, then message 2, ...), as if all
    threads had been active at once, so a thread's messages are spread over many heap pages as
    in real use rather than packed together. Foreign-key triggers are skipped
    (session_replication_role = replica, superuser only): the rows are consistent by
    construction. VACUUM ANALYZE afterwards, as autovacuum would do, and a CHECKPOINT.
    """
    import psycopg

    from wxo.threads.repository import backfill_rendered_sql

    claims = token_claims(token)
    params: dict[str, Any] = {
        "tenant": claims["tenant_id"],
        "user": claims["sub"],
        "username": claims.get("username"),
        "threads": threads,
        "messages": messages,
        "padding": TEXT_PADDING,
        "t0": dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
    }
    with psycopg.connect(dsn, autocommit=True) as conn:
        _check_columns(conn)
        with conn.transaction():
            try:
                with conn.transaction():
                    conn.execute("SET LOCAL session_replication_role = replica")
            except psycopg.errors.InsufficientPrivilege:
                print("not a superuser: foreign keys are checked (slower)", file=sys.stderr)
            conn.execute(
                "CREATE TEMP TABLE bench_ids ON COMMIT DROP AS "
                "SELECT gen_random_uuid() AS id, g AS n FROM generate_series(1, %(threads)s) g",
                params,
            )
            conn.execute(
                "INSERT INTO thread (id, tenant_id, title, status, created_by, "
                "created_by_username, message_count, created_at, updated_at) "
                "SELECT id, %(tenant)s, 'bench thread ' || n, 'ready', %(user)s, %(username)s, "
                "%(messages)s, %(t0)s, %(t0)s + %(messages)s * interval '1 second' FROM bench_ids",
                params,
            )
            conn.execute(_PRELOAD_SQL_MESSAGES, params)
            # what an append stores with each message (its rendered JSON), as the API would
            if stored_json:
                conn.execute(backfill_rendered_sql())
            rows = conn.execute(
                "SELECT b.id::text, m.id::text FROM bench_ids b "
                "JOIN thread_message m ON m.thread_id = b.id AND m.seq = %(messages)s "
                "ORDER BY b.n",
                params,
            ).fetchall()
        conn.execute("VACUUM ANALYZE thread")
        conn.execute("VACUUM ANALYZE thread_message")
        # Write the preload's dirty pages out now: otherwise the checkpointer does it during
        # the first measured round (seen: that round 20-30% slower than the next ones).
        conn.execute("CHECKPOINT")
    return [Target(t, list_path(t, m, query)) for t, m in rows]


def _check_columns(conn: Any) -> None:
    """Fail clearly if the tables gained required columns this preload does not fill."""
    filled = {
        "thread": {"id", "tenant_id", "title", "status", "created_by", "created_by_username",
                   "message_count", "created_at", "updated_at"},
        "thread_message": {"id", "tenant_id", "thread_id", "seq", "role", "content", "created_by",
                           "created_by_username", "created_at", "updated_at"},
    }  # fmt: skip
    for table, columns in filled.items():
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND is_nullable = 'NO' AND column_default IS NULL",
            (table,),
        ).fetchall()
        if not rows:
            raise RuntimeError(f"table {table!r} not found: are the migrations applied?")
        missing = {r[0] for r in rows} - columns
        if missing:
            raise RuntimeError(f"preload does not fill required {table} columns: {missing}")


async def preload_http(
    url: str, token: str, threads: int, messages: int, query: str, concurrency: int
) -> list[Target]:
    """Create threads and messages through the API (slow: one request per message)."""
    targets: list[Target] = []
    done = 0
    started = time.monotonic()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=60
    ) as client:
        next_index = 0

        async def one_thread(i: int) -> None:
            nonlocal done
            r = await client.post("/v1/threads", json={"title": f"bench thread {i}"})
            r.raise_for_status()
            thread_id = str(r.json()["id"])
            last = ""
            for s in range(1, messages + 1):
                body = {
                    "role": "user" if s % 2 else "assistant",
                    "content": f"Preloaded message {s} of thread {i}. {TEXT_PADDING}",
                }
                r = await client.post(f"/v1/threads/{thread_id}/messages", json=body)
                r.raise_for_status()
                last = str(r.json()["id"])
            targets.append(Target(thread_id, list_path(thread_id, last, query)))
            done += 1
            if done % 100 == 0:
                rate = done * (messages + 1) / (time.monotonic() - started)
                print(f"  preload: {done}/{threads} threads ({rate:.0f} req/s)", file=sys.stderr)

        async def loop() -> None:
            nonlocal next_index
            while next_index < threads:
                i = next_index
                next_index += 1
                await one_thread(i)

        await asyncio.gather(*(loop() for _ in range(concurrency)))
    return targets


def validate(url: str, token: str, targets: Sequence[Target], messages: int) -> dict[str, Any]:
    """Check the routes behave as the benchmark assumes; return what was observed."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for n in range(3):
            r = client.post("/v1/threads", json={"title": f"bench validation {n}"})
            if r.status_code != 201 or "id" not in r.json():
                raise RuntimeError(f"POST /v1/threads: {r.status_code} {r.text[:300]}")
            thread_id = r.json()["id"]
            for k in range(3):
                r = client.post(
                    f"/v1/threads/{thread_id}/messages",
                    json={"role": "user", "content": f"validation {k}"},
                )
                if r.status_code != 201:
                    raise RuntimeError(f"POST messages: {r.status_code} {r.text[:300]}")
            r = client.get(f"/v1/threads/{thread_id}/messages", params={"limit": 50})
            texts = [m["content"][0]["text"] for m in r.json()] if r.status_code == 200 else []
            if texts != [f"validation {k}" for k in range(3)]:
                raise RuntimeError(f"GET messages: {r.status_code} {r.text[:300]}")
        # A preloaded thread: which messages does the benchmark's list request return?
        sample = targets[len(targets) // 2]
        r = client.get(sample.list_path)
        if r.status_code != 200 or not isinstance(r.json(), list):
            raise RuntimeError(f"GET {sample.list_path}: {r.status_code} {r.text[:300]}")
        body = r.json()
        seqs = [int(m["content"][0]["text"].split()[2]) for m in body]
        observed = {
            "list_request": sample.list_path.replace(sample.thread_id, "{thread}"),
            "list_returned": len(body),
            "list_first_seq": seqs[0] if seqs else None,
            "list_last_seq": seqs[-1] if seqs else None,
            "list_response_bytes": len(r.content),
        }
        if seqs != sorted(seqs):
            raise RuntimeError(f"messages not oldest-first: {seqs}")
        if len(body) != 50 or seqs[-1] < messages - 1:
            print(f"WARNING: the list request does not return the last 50: {observed}")
    return observed


# --------------------------------------------------------------------------------------------
# Load generators
# --------------------------------------------------------------------------------------------

WRK_SCRIPT = r"""
-- wxo threads benchmark: args = mode, token, targets file ("thread_id list_path" per line)
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

local mode, ids, paths, n = nil, {}, {}, 0
function init(args)
  mode = args[1]
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
  if args[3] and args[3] ~= "" then
    for line in io.lines(args[3]) do
      local t, p = line:match("^(%S+)%s+(%S+)$")
      if t then ids[#ids + 1] = t; paths[#paths + 1] = p end
    end
  end
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  wrk.headers["Content-Type"] = "application/json"
end

local function create()
  return wrk.format("POST", "/v1/threads", nil,
    '{"title":"bench ' .. tid .. '-' .. n .. '"}')
end
local function append()
  local i = math.random(#ids)
  return wrk.format("POST", "/v1/threads/" .. ids[i] .. "/messages", nil,
    '{"role":"user","content":"bench message ' .. tid .. '-' .. n .. '"}')
end
local function list50()
  return wrk.format("GET", paths[math.random(#paths)])
end

function request()
  n = n + 1
  if mode == "baseline" then return wrk.format("GET", "/health/alive") end
  if mode == "create" then return create() end
  if mode == "append" then return append() end
  if mode == "list50" then return list50() end
  local r = math.random(100)
  if r <= MIX_CREATE then return create() end
  if r <= MIX_CREATE + MIX_APPEND then return append() end
  return list50()
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,' ..
    '"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max))
end
"""


class LoadGenerator:
    """Runs one phase at fixed concurrency for a fixed time; wrk or httpx."""

    def __init__(
        self,
        *,
        client: str,
        url: str,
        token: str,
        targets: Sequence[Target],
        concurrency: int,
        workdir: Path,
    ) -> None:
        self.client = client
        self.url = url
        self.token = token
        self.targets = list(targets)
        self.concurrency = concurrency
        self.workdir = workdir
        self.script = workdir / "threads.lua"
        mix = dict(MIX)
        self.script.write_text(
            WRK_SCRIPT.replace("MIX_CREATE", str(mix["create"])).replace(
                "MIX_APPEND", str(mix["append"])
            )
        )
        self.targets_file = workdir / "targets.txt"
        self.targets_file.write_text("".join(f"{t.thread_id} {t.list_path}\n" for t in targets))

    def run(
        self, phase: str, duration: float, during: Callable[[float], None] | None = None
    ) -> PhaseResult:
        """Run `phase` ("baseline", "create", "append", "list50" or "mixed")."""
        if self.client == "wrk":
            return self._run_wrk(phase, duration, during)
        return self._run_httpx(phase, duration, during)

    # wrk ------------------------------------------------------------------------------------

    def _run_wrk(
        self, phase: str, duration: float, during: Callable[[float], None] | None
    ) -> PhaseResult:
        wrk = shutil.which("wrk")
        if wrk is None:
            raise RuntimeError("wrk not found (apt-get install wrk) - or use --client httpx")
        args = [
            wrk,
            f"-t{min(2, self.concurrency)}",
            f"-c{self.concurrency}",
            f"-d{max(1, round(duration))}s",
            "--timeout", "30s",
            "-s", str(self.script),
            self.url,
            "--", phase, self.token, str(self.targets_file),
        ]  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while proc.poll() is None:
            if during is not None:
                during(time.monotonic() - started)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(0.2)
        out, err = proc.communicate()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        line = next((x for x in out.splitlines() if x.startswith("WRKJSON ")), None)
        if proc.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed ({proc.returncode}):\n{out}\n{err}")
        raw: dict[str, int] = json.loads(line[len("WRKJSON ") :])
        wall = raw["duration_us"] / 1e6
        errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
        client_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return PhaseResult(
            phase=phase,
            client="wrk",
            duration_s=round(wall, 2),
            requests=raw["requests"],
            errors=errors,
            rps=round(raw["requests"] / wall, 1),
            p50_ms=raw["p50_us"] / 1000,
            p95_ms=raw["p95_us"] / 1000,
            p99_ms=raw["p99_us"] / 1000,
            max_ms=raw["max_us"] / 1000,
            cpu_cores={"client": round(client_cpu / wall, 2)},
            detail={"wrk": raw},
        )

    # httpx ----------------------------------------------------------------------------------

    def _request(self, phase: str, rng: random.Random, n: int) -> tuple[str, str, bytes | None]:
        if phase == "mixed":
            r = rng.randrange(100)
            acc = 0
            for name, share in MIX:
                acc += share
                if r < acc:
                    phase = name
                    break
        if phase == "baseline":
            return "GET", "/health/alive", None
        if phase == "create":
            return "POST", "/v1/threads", json.dumps({"title": f"bench {n}"}).encode()
        target = self.targets[rng.randrange(len(self.targets))]
        if phase == "append":
            body = json.dumps({"role": "user", "content": f"bench message {n}"}).encode()
            return "POST", f"/v1/threads/{target.thread_id}/messages", body
        return "GET", target.list_path, None

    def _run_httpx(
        self, phase: str, duration: float, during: Callable[[float], None] | None
    ) -> PhaseResult:
        before = resource.getrusage(resource.RUSAGE_SELF)
        latencies, statuses, errors, wall = asyncio.run(self._httpx_loop(phase, duration, during))
        after = resource.getrusage(resource.RUSAGE_SELF)
        latencies.sort()
        client_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return PhaseResult(
            phase=phase,
            client="httpx",
            duration_s=round(wall, 2),
            requests=len(latencies),
            errors=errors,
            rps=round(len(latencies) / wall, 1),
            p50_ms=percentile(latencies, 50) * 1000,
            p95_ms=percentile(latencies, 95) * 1000,
            p99_ms=percentile(latencies, 99) * 1000,
            max_ms=(latencies[-1] if latencies else 0.0) * 1000,
            cpu_cores={"client": round(client_cpu / wall, 2)},
            detail={"statuses": {str(k): v for k, v in sorted(statuses.items())}},
        )

    async def _httpx_loop(
        self, phase: str, duration: float, during: Callable[[float], None] | None
    ) -> tuple[list[float], dict[int, int], int, float]:
        limits = httpx.Limits(
            max_connections=self.concurrency, max_keepalive_connections=self.concurrency
        )
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        errors = 0
        async with httpx.AsyncClient(
            base_url=self.url, headers=headers, limits=limits, timeout=30
        ) as client:
            started = time.perf_counter()
            deadline = started + duration

            async def worker(wid: int) -> None:
                nonlocal errors
                rng = random.Random(wid * 7919 + time.time_ns())
                n = 0
                while time.perf_counter() < deadline:
                    n += 1
                    method, path, body = self._request(phase, rng, wid * 10_000_000 + n)
                    t0 = time.perf_counter()
                    try:
                        response = await client.request(method, path, content=body)
                        await response.aread()
                    except httpx.HTTPError:
                        errors += 1
                        continue
                    latencies.append(time.perf_counter() - t0)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    if response.status_code >= 400:
                        errors += 1

            async def ticker() -> None:
                while time.perf_counter() < deadline:
                    if during is not None:
                        await asyncio.to_thread(during, time.perf_counter() - started)
                    await asyncio.sleep(0.2)

            await asyncio.gather(ticker(), *(worker(i) for i in range(self.concurrency)))
            wall = time.perf_counter() - started
        return latencies, statuses, errors, wall


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending sequence (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


# --------------------------------------------------------------------------------------------
# Phases, soak, report
# --------------------------------------------------------------------------------------------


class DbStats:
    """Counters of the server's database (pg_stat_database), to explain a phase's cost.

    `sessions` counts connections that ended, so sessions per request > 0 means the API's pool
    opens and closes PostgreSQL connections under load.
    """

    QUERY = (
        "SELECT xact_commit + xact_rollback, sessions, blks_hit + blks_read, tup_returned, "
        "tup_fetched, tup_inserted + tup_updated FROM pg_stat_database "
        "WHERE datname = current_database()"
    )
    NAMES = ("transactions", "sessions_ended", "blocks", "tup_returned", "tup_fetched", "writes")

    def __init__(self, dsn: str) -> None:
        import psycopg

        self.conn = psycopg.connect(dsn, autocommit=True)

    def snapshot(self) -> dict[str, float]:
        """The counters now (after a moment for backends to flush their statistics)."""
        self.conn.execute("SELECT pg_stat_clear_snapshot()")
        row = self.conn.execute(self.QUERY).fetchone()
        values = dict(zip(self.NAMES, (float(v) for v in row or ()), strict=True))
        backends = self.conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_type = 'client backend'"
        ).fetchone()
        values["connections"] = float(backends[0]) - 1 if backends else 0.0  # minus our own
        return values

    @staticmethod
    def per_request(
        before: dict[str, float], after: dict[str, float], requests: int
    ) -> dict[str, float]:
        """Counter increments per request, and the connections open at the end."""
        out = {
            f"{k}_per_req": round((after[k] - before[k]) / max(1, requests), 3)
            for k in DbStats.NAMES
        }
        out["connections_at_end"] = after["connections"]
        return out

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


KNOWN_GROUPS = ("api", "supervisor", "worker", "postgres", "redis", "client")


def measure(
    gen: LoadGenerator,
    procs: ServerProcesses | None,
    phase: str,
    duration: float,
    during: Callable[[float], None] | None = None,
    profile: tuple[str, Path] | None = None,
    db: DbStats | None = None,
) -> PhaseResult:
    """One phase, with the CPU each process group used during it.

    `other` is the machine's busy CPU not explained by the server and the load generator (other
    people's processes on a shared machine); `*_ms_per_req` is CPU time per request, which is
    less sensitive to such noise than req/s. `profile` = (py-spy executable, output prefix)
    records the API processes while the phase runs.
    """
    spies: list[subprocess.Popen[bytes]] = []
    if profile is not None and procs is not None:
        spy, prefix = profile
        for proc in procs.groups()["api"]:
            args = [spy, "record", "-p", str(proc.pid), "-d", str(max(1, int(duration) - 1))]
            args += ["-r", "100", "-f", "raw", "--nonblocking", "-o", f"{prefix}-{proc.pid}.txt"]
            spies.append(
                subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
    db_before = db.snapshot() if db else None
    before = procs.cpu_seconds() if procs else None
    started = time.monotonic()
    result = gen.run(phase, duration, during)
    wall = time.monotonic() - started
    if procs is not None and before is not None:
        cores = cpu_delta(before, procs.cpu_seconds(), wall)
        result.cpu_cores.update(cores)
        known = sum(result.cpu_cores.get(k, 0.0) for k in KNOWN_GROUPS)
        result.cpu_cores["other"] = round(max(0.0, cores["machine"] - known), 2)
        if result.rps > 0:
            for group in ("api", "postgres"):
                result.detail[f"{group}_cpu_ms_per_req"] = round(
                    result.cpu_cores[group] * 1000 / result.rps, 3
                )
    if db is not None and db_before is not None:
        time.sleep(1.0)  # backends flush their statistics at most once a second
        result.detail["db"] = DbStats.per_request(db_before, db.snapshot(), result.requests)
    for spy_process in spies:
        spy_process.wait()
    return result


def machine_busy(seconds: float) -> float:
    """Cores the machine keeps busy over `seconds` (nothing of ours is running)."""
    before = psutil.cpu_times()
    time.sleep(seconds)
    after = psutil.cpu_times()
    idle = (after.idle - before.idle) + (
        getattr(after, "iowait", 0.0) - getattr(before, "iowait", 0.0)
    )
    return round(((sum(after) - sum(before)) - idle) / seconds, 2)


def wait_quiet(timeout: float, threshold: float = 0.3) -> float:
    """Wait up to `timeout` s for the machine to be idle (< `threshold` cores); last reading."""
    deadline = time.monotonic() + timeout
    busy = machine_busy(3)
    while busy >= threshold and time.monotonic() < deadline:
        print(f"machine busy ({busy:.2f} cores used by others); waiting", file=sys.stderr)
        time.sleep(10)
        busy = machine_busy(3)
    return busy


def soak(
    gen: LoadGenerator,
    procs: ServerProcesses | None,
    duration: float,
    interval: float,
    db: DbStats | None,
) -> tuple[PhaseResult, list[MemorySample]]:
    """Mixed load for `duration` seconds, sampling memory every `interval` seconds."""
    samples: list[MemorySample] = []
    next_at = 0.0
    lock = threading.Lock()

    def sample(elapsed: float) -> None:
        nonlocal next_at
        with lock:
            if procs is None or elapsed < next_at:
                return
            next_at += interval
        samples.append(procs.memory(elapsed))

    if procs is not None:
        samples.append(procs.memory(0.0))
    result = measure(gen, procs, "mixed", duration, sample, db=db)
    if procs is not None:
        samples.append(procs.memory(result.duration_s))
    return result, samples


def slope_mib_per_min(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB) points, in MiB per minute."""
    if len(points) < 2:
        return 0.0
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    if den == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den * 60


def memory_summary(samples: Sequence[MemorySample]) -> dict[str, Any]:
    """Start/end/max RSS of the API, its slope overall and over the second half, a verdict."""
    if not samples:
        return {}
    api = [(s.t_s, s.api_rss_mib) for s in samples]
    half = [p for p in api if p[0] >= api[-1][0] / 2]
    second_half_growth = slope_mib_per_min(half) * (api[-1][0] - half[0][0]) / 60
    return {
        # "flat": the second half (after warm-up) grows < 2 MiB or < 2% of the start
        "api_flat": second_half_growth < max(2.0, 0.02 * api[0][1]),
        "api_second_half_growth_mib": round(second_half_growth, 1),
        "api_rss_start_mib": api[0][1],
        "api_rss_end_mib": api[-1][1],
        "api_rss_max_mib": max(p[1] for p in api),
        "api_slope_mib_per_min": round(slope_mib_per_min(api), 2),
        "api_slope_second_half_mib_per_min": round(slope_mib_per_min(half), 2),
        "worker_rss_start_end_mib": [samples[0].worker_rss_mib, samples[-1].worker_rss_mib],
        "postgres_pss_start_end_mib": [samples[0].postgres_pss_mib, samples[-1].postgres_pss_mib],
        "redis_rss_start_end_mib": [samples[0].redis_rss_mib, samples[-1].redis_rss_mib],
    }


def summarize(rounds: Sequence[dict[str, PhaseResult]]) -> dict[str, dict[str, Any]]:
    """Median over rounds of each phase's numbers and of its ratio to the same round's baseline."""
    summary: dict[str, dict[str, Any]] = {}
    for phase in PHASES:
        runs = [r[phase] for r in rounds if phase in r]
        if not runs:
            continue
        ratios_rps = [r[phase].rps / r["baseline"].rps for r in rounds if r["baseline"].rps]
        ratios_p50 = [
            r[phase].p50_ms / r["baseline"].p50_ms for r in rounds if r["baseline"].p50_ms
        ]
        cpu_keys = sorted({k for run in runs for k in run.cpu_cores})
        summary[phase] = {
            "rps": round(statistics.median(x.rps for x in runs), 1),
            "rps_min": min(x.rps for x in runs),
            "rps_max": max(x.rps for x in runs),
            "p50_ms": round(statistics.median(x.p50_ms for x in runs), 2),
            "p95_ms": round(statistics.median(x.p95_ms for x in runs), 2),
            "p99_ms": round(statistics.median(x.p99_ms for x in runs), 2),
            "errors": sum(x.errors for x in runs),
            "requests": sum(x.requests for x in runs),
            "rps_vs_baseline": round(statistics.median(ratios_rps), 3) if ratios_rps else None,
            "p50_vs_baseline": round(statistics.median(ratios_p50), 2) if ratios_p50 else None,
            "cpu_cores": {
                k: round(statistics.median(x.cpu_cores.get(k, 0.0) for x in runs), 2)
                for k in cpu_keys
            },
        }
        db_keys = sorted({k for run in runs for k in run.detail.get("db", {})})
        if db_keys:
            summary[phase]["db"] = {
                k: round(statistics.median(x.detail["db"][k] for x in runs if "db" in x.detail), 3)
                for k in db_keys
            }
        for key in ("api_cpu_ms_per_req", "postgres_cpu_ms_per_req"):
            values = [x.detail[key] for x in runs if key in x.detail]
            if values:
                summary[phase][key] = round(statistics.median(values), 3)
    return summary


def target_verdicts(summary: dict[str, dict[str, Any]]) -> dict[str, str]:
    """For each phase with a target: "met" or "MISSED (...)"."""
    verdicts: dict[str, str] = {}
    for phase, (min_rps, max_p95) in TARGETS.items():
        if phase not in summary:
            continue
        s = summary[phase]
        misses = []
        if s["rps"] < min_rps:
            misses.append(f"{s['rps']:.0f} < {min_rps:.0f} req/s")
        if s["p95_ms"] > max_p95:
            misses.append(f"p95 {s['p95_ms']:.1f} > {max_p95:.0f} ms")
        verdicts[phase] = "met" if not misses else "MISSED (" + "; ".join(misses) + ")"
    return verdicts


def markdown_table(summary: dict[str, dict[str, Any]], verdicts: dict[str, str]) -> str:
    """The results table for docs/benchmarks.md."""
    lines = [
        "| phase | req/s (median; min-max) | p50 ms | p95 ms | p99 ms | errors "
        "| req/s vs baseline | p50 vs baseline | CPU ms/req: api / postgres "
        "| cores: api / postgres / client / other | target |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for phase, s in summary.items():
        cpu = s["cpu_cores"]
        cores = " / ".join(
            f"{cpu[k]:.2f}" if k in cpu else "-" for k in ("api", "postgres", "client", "other")
        )
        per_req = " / ".join(
            f"{s[k]:.2f}" if k in s else "-"
            for k in ("api_cpu_ms_per_req", "postgres_cpu_ms_per_req")
        )
        lines.append(
            f"| {phase} | {s['rps']:.0f} ({s['rps_min']:.0f}-{s['rps_max']:.0f}) "
            f"| {s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {s['p99_ms']:.1f} | {s['errors']} "
            f"| {s['rps_vs_baseline']:.3f} | {s['p50_vs_baseline']:.1f}x | {per_req} | {cores} "
            f"| {verdicts.get(phase, '-')} |"
        )
    return "\n".join(lines)


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    commit = ""
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    wrk_version = ""
    if wrk := shutil.which("wrk"):
        wrk_version = subprocess.run(
            [wrk, "-v"], capture_output=True, text=True, check=False
        ).stdout.splitlines()[0]
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": wrk_version,
        "git": commit,
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
    }


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--url", help="target a running server (default: start `wxo serve`)")
    p.add_argument("--token", help="bearer token for --url (tenant-scoped)")
    p.add_argument("--dsn", help="PostgreSQL DSN for the bulk preload with --url")
    p.add_argument("--threads", type=int, default=10_000)
    p.add_argument("--messages", type=int, default=100, help="messages per preloaded thread")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--duration", type=float, default=20.0, help="seconds per measured phase")
    p.add_argument("--rounds", type=int, default=3, help="rounds of all phases (median)")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of each phase, unrecorded")
    p.add_argument("--soak", type=float, default=300.0, help="seconds of mixed load; 0 skips")
    p.add_argument("--sample-interval", type=float, default=5.0)
    p.add_argument("--workers", type=int, help="`wxo serve --workers N` (API processes)")
    p.add_argument("--client", choices=("auto", "wrk", "httpx"), default="auto")
    p.add_argument("--preload", choices=("auto", "db", "http"), default="auto")
    p.add_argument(
        "--list-query",
        default="limit=50&before={last}",
        help="query string of the list-last-50 request; {last} is the newest preloaded message",
    )
    p.add_argument("--phases", default=",".join(PHASES[1:]), help="phases besides the baseline")
    p.add_argument("--server-pid", type=int, help="with --url: the `wxo serve` pid to sample")
    p.add_argument("--keep-data", action="store_true", help="keep the temporary data directory")
    p.add_argument(
        "--without-stored-json",
        action="store_true",
        help="preload messages without their rendered JSON (the list builds it: the old path)",
    )
    p.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="environment for the started server, e.g. WXO_DATABASE__POOL_SIZE=40 (repeatable)",
    )
    p.add_argument(
        "--patch",
        action="append",
        default=[],
        choices=("inline-sync-deps", "gc-freeze", "no-pre-ping"),
        help="what-if: start the server through bench/serve_patched.py with this patch",
    )
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        help="wait up to this many seconds for other processes to leave the CPU idle",
    )
    p.add_argument(
        "--py-spy",
        metavar="PY_SPY",
        help="record the API processes with this py-spy during each measured phase "
        "(raw stacks next to --out; costs CPU, so not for the recorded numbers)",
    )
    p.add_argument("--pause", action="store_true", help="wait for Enter before the phases")
    p.add_argument(
        "--out", type=Path, help="JSON results (default bench/results/threads-<time>.json)"
    )
    args = p.parse_args(argv)
    if args.url and not args.token:
        p.error("--url needs --token")
    return args


@dataclass
class Endpoint:
    """The server to benchmark."""

    url: str
    token: str
    dsn: str | None
    pid: int | None
    data_dir: Path | None
    command: str = ""


@contextlib.contextmanager
def server_under_test(args: argparse.Namespace) -> Iterator[Endpoint]:
    """The server to benchmark: `--url`, or `wxo serve` started (and stopped) here."""
    if args.url:
        pid = args.server_pid or find_server_pid(args.url)
        yield Endpoint(args.url.rstrip("/"), args.token, args.dsn, pid, None)
        return
    extra_env = dict(item.split("=", 1) for item in args.server_env)
    server = ManagedServer(
        workers=args.workers, keep_data=args.keep_data, patches=args.patch, extra_env=extra_env
    )
    print(f"starting: {server.command}", file=sys.stderr)
    try:
        token = server.wait_ready()
        yield Endpoint(
            server.url, token, server.dsn(), server.process.pid, server.data_dir, server.command
        )
    except BaseException:
        print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print a markdown table and write JSON."""
    args = parse_args(argv)
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "httpx"
    if client == "httpx":
        print(
            "WARNING: the httpx load generator needs ~2 ms of CPU per request on the same cores "
            "as the server (it tops out near 400 req/s on 2 cores): numbers measure the client. "
            "Install wrk (apt-get install wrk) for the recorded results.",
            file=sys.stderr,
        )
    phases = [p for p in args.phases.split(",") if p]
    out: Path = args.out or ROOT / "bench" / "results" / (
        "threads-" + dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + ".json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "command": " ".join(["python", "bench/threads.py", *(argv or sys.argv[1:])]),
        "machine": machine_info(),
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "client": client,
    }
    report["config"].pop("token", None)
    with server_under_test(args) as server, tempfile.TemporaryDirectory() as tmp:
        url, token, dsn, pid = server.url, server.token, server.dsn, server.pid
        report["server_command"] = server.command
        procs = ServerProcesses(pid, find_postmaster_pid(pid, server.data_dir)) if pid else None
        if procs is not None:
            report["processes"] = {
                k: [_cmdline(p)[:120] for p in v] for k, v in procs.groups().items()
            }
        preload_mode = args.preload
        if preload_mode == "auto":
            preload_mode = "db" if dsn else "http"
        print(
            f"preloading {args.threads} threads x {args.messages} messages ({preload_mode})",
            file=sys.stderr,
        )
        started = time.monotonic()
        if preload_mode == "db":
            if not dsn:
                raise SystemExit("--preload db needs --dsn with --url")
            targets = preload_db(
                dsn,
                token,
                args.threads,
                args.messages,
                args.list_query,
                stored_json=not args.without_stored_json,
            )
        else:
            targets = asyncio.run(
                preload_http(
                    url, token, args.threads, args.messages, args.list_query, args.concurrency
                )
            )
        report["preload"] = {"mode": preload_mode, "seconds": round(time.monotonic() - started, 1)}
        print(f"preloaded in {report['preload']['seconds']}s", file=sys.stderr)
        report["validation"] = validate(url, token, targets, args.messages)
        print(f"validated: {report['validation']}", file=sys.stderr)
        if args.pause:
            input("press Enter to start the phases ")

        gen = LoadGenerator(
            client=client,
            url=url,
            token=token,
            targets=targets,
            concurrency=args.concurrency,
            workdir=Path(tmp),
        )
        db = DbStats(dsn) if dsn else None
        if args.warmup > 0:
            for phase in ["baseline", *phases]:
                gen.run(phase, args.warmup)
        report["other_cores_before"] = (
            wait_quiet(args.wait_quiet) if args.wait_quiet > 0 else machine_busy(3)
        )
        rounds: list[dict[str, PhaseResult]] = []
        for i in range(args.rounds):
            results: dict[str, PhaseResult] = {}
            for phase in ["baseline", *phases]:
                profile = None
                if args.py_spy:
                    profile = (args.py_spy, out.with_name(f"{out.stem}-{phase}-r{i + 1}"))
                results[phase] = measure(gen, procs, phase, args.duration, profile=profile, db=db)
                r = results[phase]
                print(
                    f"round {i + 1} {phase:8s} {r.rps:8.1f} req/s  p50 {r.p50_ms:6.1f}  "
                    f"p95 {r.p95_ms:6.1f}  p99 {r.p99_ms:6.1f} ms  errors {r.errors}  "
                    f"cpu {r.cpu_cores} db {r.detail.get('db')}",
                    file=sys.stderr,
                )
            rounds.append(results)
        report["rounds"] = [{k: asdict(v) for k, v in r.items()} for r in rounds]
        summary = summarize(rounds)
        verdicts = target_verdicts(summary)
        report["summary"] = summary
        report["targets"] = verdicts

        if args.soak > 0:
            print(f"soak: {args.soak:.0f}s of mixed load", file=sys.stderr)
            soak_result, samples = soak(gen, procs, args.soak, args.sample_interval, db)
            report["soak"] = {
                "result": asdict(soak_result),
                "memory": memory_summary(samples),
                "samples": [asdict(s) for s in samples],
            }
        if db is not None:
            db.close()

    table = markdown_table(summary, verdicts)
    print(
        f"\nclient: {client}, concurrency {args.concurrency}, {args.duration:.0f}s x "
        f"{args.rounds} rounds (medians; ratios vs GET /health/alive in the same round)\n"
    )
    print(table)
    if "soak" in report:
        s = report["soak"]["result"]
        print(
            f"\nsoak (mixed {dict(MIX)}): {s['rps']:.0f} req/s, p50 {s['p50_ms']:.1f} ms, "
            f"p95 {s['p95_ms']:.1f} ms, errors {s['errors']}"
        )
        print(f"memory: {json.dumps(report['soak']['memory'])}")
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
