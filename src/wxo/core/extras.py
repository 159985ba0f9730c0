"""Fields a body carries that its model does not declare, kept so they round-trip."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel


def extra_fields(body: BaseModel, server_keys: frozenset[str]) -> dict[str, Any]:
    """The fields of a body that its model does not declare, minus `server_keys`."""
    extra = body.model_extra or {}
    return {k: v for k, v in extra.items() if k not in server_keys}


def merge_extra(current: Mapping[str, Any] | None, patch: Mapping[str, Any]) -> dict[str, Any]:
    """`current` with `patch` applied: a key sent as null is removed, others are set."""
    merged = dict(current or {})
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
