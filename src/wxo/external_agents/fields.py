"""Rules shared by every registered assistant or agent: names, nicknames and stored secrets.

Names: "If only one of the fields name or nickname is provided, the system automatically
generates the other" (IBM's register page). The generated `name` is the nickname made an
identifier (lower case, runs of other characters as `_`); the generated `nickname` is the name
as given. With neither, both come from `title`. Secrets (`api_key`, `token`, `*_key`,
`*_secret`, `password`... see `wxo.llm.crypto.is_secret`) are encrypted with a key derived
from the server secret and read back as `********`; a write that sends `********` keeps the
stored secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from wxo.core.errors import InvalidInputError
from wxo.llm import crypto

_NOT_IDENT = re.compile(r"[^a-z0-9_]+")


def identifier(text: str) -> str:
    """`"Sales Helper!"` → `"sales_helper"` (never empty: `"assistant"` then)."""
    ident = _NOT_IDENT.sub("_", text.strip().lower()).strip("_")
    return ident[:128] or "assistant"


def name_and_nickname(name: str | None, nickname: str | None, title: str | None) -> tuple[str, str]:
    """Fill in the missing one of name and nickname (from title when both are missing).

    Raises:
        InvalidInputError: none of name, nickname and title is given.
    """
    name = (name or "").strip() or None
    nickname = (nickname or "").strip() or None
    if name is None and nickname is None:
        if not title or not title.strip():
            raise InvalidInputError("Give a name, a nickname or a title")
        return identifier(title), title.strip()
    if name is not None:
        return name, nickname or name
    return identifier(nickname or ""), nickname or ""


def seal(
    plain: Mapping[str, Any], key: str, stored: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The stored form of a flat object: secret values encrypted (`********` keeps `stored`'s)."""
    return crypto.seal(plain, crypto.secret_box(key), stored=stored)


def unseal(stored: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The plain object (internal use only: never return or log it)."""
    return crypto.unseal(stored, crypto.secret_box(key))


def redact(stored: Mapping[str, Any]) -> dict[str, Any]:
    """The object as the API shows it: every secret as `********`."""
    return crypto.redact(stored)
