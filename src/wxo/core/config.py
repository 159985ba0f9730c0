"""Settings: one `Settings` object with nested sections, built once and passed in."""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, PrivateAttr, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDER = "change-me"


class DatabaseSettings(BaseModel):
    """PostgreSQL. Without `url` an embedded server is started under the data directory."""

    url: str | None = None
    # Per process: the default two API processes, the worker and admin commands stay well under
    # PostgreSQL's default max_connections (100).
    pool_size: int = 20
    max_overflow: int = 10
    echo: bool = False
    # The embedded server's shared_buffers in MiB; None: an eighth of the machine's memory,
    # 128 MiB to 8 GiB (`wxo.runtime.embedded.default_shared_buffers_mb`).
    embedded_shared_buffers_mb: int | None = Field(default=None, ge=16)

    @property
    def async_url(self) -> str | None:
        """The URL with the psycopg 3 driver, whatever scheme it was given with."""
        return normalise_dsn(self.url) if self.url else None


class RedisSettings(BaseModel):
    """Redis (Celery broker and pub/sub). Without `url` an embedded server is started."""

    url: str | None = None


class AuthSettings(BaseModel):
    """Token signing and the development bootstrap account."""

    secret_key: SecretStr = SecretStr(_PLACEHOLDER)
    token_cache_seconds: float = 5.0
    dev_tenant: str = "wxo-dev"
    dev_username: str = "wxo.archer@ibm.com"
    dev_password: SecretStr = SecretStr("watsonx")


class LLMSettings(BaseModel):
    """Model Proxy behaviour."""

    request_timeout: float = 120.0
    max_retries: int = 2
    retry_base_delay: float = 0.5
    retry_max_delay: float = 8.0
    max_embedding_inputs: int = 2048
    local_threads: int | None = None
    # Resolved models (registry row + decrypted secrets) are reused this long; registry writes
    # in the same process forget them at once, other processes see changes within this time.
    resolve_cache_seconds: float = 5.0
    # Usage counters are written in batches at most this often (reads flush first).
    usage_flush_seconds: float = 1.0


class ServerSettings(BaseModel):
    """HTTP server."""

    host: str = "127.0.0.1"
    port: int = 4321
    max_body_bytes: int = 10 * 1024 * 1024
    # API processes: one per core, at most two by default (measured in bench/threads.py: the
    # second process nearly doubles throughput on two cores; more only add memory).
    workers: int = Field(default_factory=lambda: max(1, min(os.cpu_count() or 1, 2)))
    # Worker processes `wxo serve` starts (ingestion, embedding, runs): one per core, at most
    # four. They run at `documents.worker_nice`, so requests take a core from them at once;
    # with one worker on two cores, half the machine sat idle during a batch (bench/ingest.py).
    worker_concurrency: int = Field(
        default_factory=lambda: max(1, min(os.cpu_count() or 1, 4)), ge=1
    )
    # The API processes' garbage-collector thresholds (`gc.set_threshold`). Python's default
    # (700, 10, 10) collects every few requests; measured in bench/threads.py (list-50 at 32
    # connections), these raise throughput by about a tenth and cut p95 by about an eighth.
    gc_thresholds: tuple[int, int, int] = (50_000, 20, 100)


class ConsoleSettings(BaseModel):
    """The web console served at `/` (plain ES modules; npm installs its libraries)."""

    enabled: bool = True
    # The console's folder (index.html, src/, node_modules/); None: `web/` of the source checkout.
    dir: Path | None = None


class DocumentSettings(BaseModel):
    """Document Store limits and the extraction backend."""

    # Worker processes run at this `nice` level (0-19), and so do their PostgreSQL backends when
    # the database runs on this machine: on a machine shared with the API, batch work then
    # yields the CPU to interactive requests (bench/ingest.py measures the effect: with a
    # worker per core, 19 kept `GET /v1/threads` p95 lower than 10).
    worker_nice: int = Field(default=19, ge=0, le=19)

    # Largest accepted file (upload, text or fetched URL): larger ones are refused with 413.
    max_file_bytes: int = 100 * 1024 * 1024
    # Largest multipart request of `POST /document-collections/{id}/documents` (many files).
    max_batch_bytes: int = 512 * 1024 * 1024
    # `module:function` with the signature of `wxo.extraction.service.extract`. The default gives
    # the structure only: keywords and entities come from the annotate stage once the document is
    # searchable. Keywords or entities an extractor returns anyway are stored as they are.
    extractor: str = "wxo.extraction.service:extract_lean"
    # A batch upload's documents go to the extract stage in jobs of up to this many documents
    # and bytes of originals (one job, two transactions for all: bench/ingest.py); 1 sends one
    # job per document. A document whose extraction was cut short before runs alone.
    extract_batch_documents: int = Field(default=16, ge=1, le=256)
    extract_batch_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
    # Celery retries of a stage after a transient failure (exponential back-off, capped).
    max_retries: int = 5
    retry_backoff_max: int = 300
    # The sweeper (Celery beat) runs this often and re-enqueues documents left `queued` or
    # `extracting` longer than `sweep_stuck_after_seconds` (a job lost between commit and enqueue,
    # or a worker killed mid-stage). 0 turns the schedule off.
    sweep_interval_seconds: float = Field(default=60.0, ge=0)
    # Backpressure: new documents are refused (503 + Retry-After) while this many jobs wait in
    # the queue (0: no limit). Ingestion then slows the clients, not the API or the broker.
    max_queued_jobs: int = Field(default=10_000, ge=0)
    sweep_stuck_after_seconds: float = Field(default=900.0, gt=0)
    # Fetching `source_uri` URLs (and `POST /v1/extract` with a `url`). Internal addresses
    # (loopback, private, link-local, ...) are refused unless a network here allows them,
    # e.g. ["127.0.0.1/32"] in tests. `fetch_max_bytes` unset means `max_file_bytes`.
    fetch_max_bytes: int | None = Field(default=None, gt=0)
    fetch_timeout_seconds: float = Field(default=30.0, gt=0)
    fetch_max_redirects: int = Field(default=5, ge=0)
    fetch_allow_networks: list[str] = Field(default_factory=list)
    # `POST /v1/extract` (synchronous, not stored): largest input (413 above) and time limit.
    extract_max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    extract_timeout_seconds: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _check_fetch_allow_networks(self) -> DocumentSettings:
        for entry in self.fetch_allow_networks:
            ipaddress.ip_network(entry.strip(), strict=False)  # ValueError names the bad entry
        return self

    @property
    def fetch_byte_limit(self) -> int:
        """The largest fetched file: `fetch_max_bytes`, never more than `max_file_bytes`."""
        return min(self.fetch_max_bytes or self.max_file_bytes, self.max_file_bytes)


class RunSettings(BaseModel):
    """Orchestrate runs executed on workers (`wxo.runs`)."""

    # A running run's worker stamps `heartbeat_at` this often; the sweeper (Celery beat, every
    # `documents.sweep_interval_seconds`) fails runs whose stamp is older than `stale_after_seconds`.
    heartbeat_seconds: float = Field(default=3.0, gt=0)
    stale_after_seconds: float = Field(default=30.0, gt=0)
    # `module:function` returning an `Executor` (tests and plug-ins); empty: the built-in default.
    executor: str = ""


class Settings(BaseSettings):
    """All configuration, read from `WXO_*` environment variables (nested with `__`)."""

    model_config = SettingsConfigDict(
        env_prefix="WXO_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path(".data")
    log_level: str = "INFO"
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    documents: DocumentSettings = Field(default_factory=DocumentSettings)
    runs: RunSettings = Field(default_factory=RunSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    # Convenience aliases documented in the README: WXO_DATABASE_URL and WXO_REDIS_URL.
    database_url: str | None = None
    redis_url: str | None = None
    _signing_key: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _apply_aliases(self) -> Settings:
        if self.database_url and not self.database.url:
            self.database.url = self.database_url
        if self.redis_url and not self.redis.url:
            self.redis.url = self.redis_url
        self.data_dir = self.data_dir.expanduser().absolute()
        return self

    @model_validator(mode="after")
    def _enforce_non_default_secrets(self) -> Settings:
        if (
            self.environment == "production"
            and self.auth.secret_key.get_secret_value() == _PLACEHOLDER
        ):
            raise ValueError("WXO_AUTH__SECRET_KEY must be set in production")
        return self

    def require_database_url(self) -> str:
        """The database URL (psycopg 3 scheme); raises if the services were not resolved."""
        url = self.database.async_url
        if url is None:
            raise RuntimeError("database URL not resolved (use wxo.runtime.services)")
        return url

    def require_redis_url(self) -> str:
        """The Redis URL; raises if the services were not resolved."""
        if self.redis.url is None:
            raise RuntimeError("Redis URL not resolved (use wxo.runtime.services)")
        return self.redis.url

    def signing_key(self) -> str:
        """The token signing key; in development a random one is kept in the data directory.

        Read once per settings object (it is needed on every request).
        """
        if self._signing_key is None:
            self._signing_key = self._load_signing_key()
        return self._signing_key

    def _load_signing_key(self) -> str:
        configured = self.auth.secret_key.get_secret_value()
        if configured != _PLACEHOLDER:
            return configured
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


def normalise_dsn(url: str) -> str:
    """Return `url` with the `postgresql+psycopg` scheme (accepts postgres://, postgresql://)."""
    for prefix in (
        "postgres://",
        "postgresql://",
        "postgresql+asyncpg://",
        "postgresql+psycopg2://",
    ):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache
def get_settings() -> Settings:
    """Settings from the environment; call only from entry points (app factory, CLI, worker)."""
    return Settings()
