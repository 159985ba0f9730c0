"""Request bodies PostgreSQL can store: refused with 422 up front rather than 500 later."""

from __future__ import annotations

import math

from pydantic import BaseModel, model_validator

MAX_JSON_DEPTH = 64
"""Deepest nesting accepted in a body (the response serializer stops at about 250 levels)."""


def unstorable(value: object) -> str | None:
    """Why this JSON value could not be stored and returned, or None.

    PostgreSQL refuses NUL characters in text and NaN/Infinity in JSON; very deep nesting could
    not be serialized back. Iterative, so deep input cannot exhaust the recursion limit.
    """
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str) and "\x00" in item:
            return "strings may not contain NUL (\\u0000) characters"
        if isinstance(item, float) and not math.isfinite(item):
            return "numbers must be finite (no NaN or Infinity)"
        if isinstance(item, dict | list) and depth >= MAX_JSON_DEPTH:
            return f"objects and arrays may be nested at most {MAX_JSON_DEPTH} levels deep"
        if isinstance(item, dict):
            pending.extend((k, depth + 1) for k in item)
            pending.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            pending.extend((v, depth + 1) for v in item)
    return None


class StorableBody(BaseModel):
    """A request body whose values PostgreSQL can store (else a validation error, 422)."""

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: object) -> object:
        reason = unstorable(data)
        if reason:
            raise ValueError(reason)
        return data
