"""Start `wxo serve` as a real process, as a user would, on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    """A running `wxo serve` and what a client needs to call it."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        """The development token `wxo serve` wrote on first start."""
        return (self.data_dir / "dev-token").read_text().strip()

    @property
    def headers(self) -> dict[str, str]:
        """Authorization header with the development token."""
        return {"Authorization": f"Bearer {self.token}"}

    def env(self) -> dict[str, str]:
        """Environment for wxo commands against this server's data directory."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("WXO_")}
        env["WXO_DATA_DIR"] = str(self.data_dir)
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 90.0) -> None:
        """Start and wait until `/v1/health/ready` says ready (worker included)."""
        self.log_path = self.data_dir.parent / f"serve-{self.port}-{int(time.time())}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "wxo", "serve", "--port", str(self.port)],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as a terminal's job
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"wxo serve exited early:\n{self.log_path.read_text()}")
            try:
                response = httpx.get(f"{self.url}/v1/health/ready", timeout=5)
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"wxo serve not ready in {timeout}s:\n{self.log_path.read_text()}")

    def ensure_running(self) -> None:
        """Start the server if an earlier test stopped it (or it never ran)."""
        if self.process is None or self.process.poll() is not None:
            self.start()

    def descendants(self) -> list[psutil.Process]:
        """Every process started under `wxo serve` (worker, Redis, PostgreSQL's are its own)."""
        assert self.process is not None
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 60.0) -> int:
        """Send `sig` and wait; returns the exit code."""
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout)

    def ctrl_c(self, timeout: float = 60.0) -> int:
        """SIGINT to the whole process group, as a terminal's Ctrl-C; wait, return the code."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout)


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    """PostgreSQL postmasters serving `data_dir`."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and str(data_dir / "postgres") in cmdline:
            found.append(proc)
    return found


@contextmanager
def running(instance: ServerProcess) -> Iterator[ServerProcess]:
    """Start `instance`, and stop it afterwards if it is still running."""
    instance.start()
    try:
        yield instance
    finally:
        if instance.process is not None and instance.process.poll() is None:
            instance.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One `wxo serve` per test module, stopped at the end."""
    with running(ServerProcess(data_dir=tmp_path_factory.mktemp("serve") / "data")) as instance:
        yield instance
