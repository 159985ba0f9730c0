"""A short-lived per-process cache of resolved models (registry lookup + decrypted secrets)."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from typing import Literal

from wxo.llm.routing import Route

_Key = tuple[uuid.UUID, str, Literal["chat", "embedding"]]


class ResolutionCache:
    """Routes (a model and its fallbacks, or a policy) per tenant, name and kind, kept `ttl` s.

    Registry writes in this process call `forget`; other processes (more API workers, the
    Celery worker) see a change within `ttl`. Errors (unknown model, ...) are never cached.
    """

    def __init__(self, ttl: float, max_entries: int = 1024) -> None:
        """`ttl` 0 disables the cache."""
        self._ttl = ttl
        self._max_entries = max_entries
        self._entries: OrderedDict[_Key, tuple[float, Route]] = OrderedDict()

    def get(
        self, tenant_id: uuid.UUID, name: str, kind: Literal["chat", "embedding"]
    ) -> Route | None:
        """The route resolved less than `ttl` seconds ago, if any."""
        key = (tenant_id, name, kind)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if time.monotonic() - entry[0] >= self._ttl:
            del self._entries[key]
            return None
        return entry[1]

    def put(
        self,
        tenant_id: uuid.UUID,
        name: str,
        kind: Literal["chat", "embedding"],
        route: Route,
    ) -> None:
        """Remember `route` (the oldest entries go when the cache is full)."""
        if self._ttl <= 0:
            return
        self._entries[(tenant_id, name, kind)] = (time.monotonic(), route)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def forget(self, tenant_id: uuid.UUID) -> None:
        """Drop every entry of the tenant (its registry changed)."""
        for key in [key for key in self._entries if key[0] == tenant_id]:
            del self._entries[key]
