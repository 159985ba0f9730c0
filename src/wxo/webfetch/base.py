"""What `fetch` returns and raises, and the limits it works within."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FetchLimits:
    """Bounds of one fetch: bytes, total seconds, redirects, and networks let through."""

    max_bytes: int = 100 * 1024 * 1024
    timeout_seconds: float = 30.0
    max_redirects: int = 5
    # Networks that may be fetched from although they are internal ("127.0.0.1/32").
    allow_networks: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Fetched:
    """A downloaded resource: where it ended up, its declared type, a file name and the bytes."""

    final_url: str
    content_type: str | None  # as the server declared it (extraction sniffs the bytes)
    filename: str
    data: bytes
    redirects: int = 0


class FetchError(Exception):
    """The URL cannot be fetched.

    `code` is machine readable: `bad_url`, `blocked_address`, `unresolvable_host`,
    `connection_failed`, `too_many_redirects`, `too_large`, `timeout` or `http_error`;
    `message` says what happened in words a user can act on.
    """

    def __init__(self, code: str, message: str) -> None:
        """Name the failure."""
        super().__init__(message)
        self.code = code
        self.message = message
