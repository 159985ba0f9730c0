"""Provider secrets at rest: encrypted with a key derived from the server secret, redacted on read.

A provider config is stored as a JSON object whose secret values (see `is_secret`) are replaced by
`{"__enc__": "<Fernet token>"}`. The Fernet key is HKDF-SHA256 of the server secret
(`Settings.signing_key()`), so it never sits next to the data. Reads return secrets as
`"********"` under the same key (IBM's client validates `provider_config` with `extra="forbid"`);
an update that sends `"********"` back keeps the stored secret.

Nothing here logs or reprs a secret; callers must not log configs either.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from wxo.llm.exceptions import SecretDecryptionError

HKDF_INFO = b"wxo model provider secrets"
ENCRYPTED = "__enc__"
REDACTED = "********"
REDACTED_OBJECT: dict[str, str] = {"redacted": REDACTED}
"""How a secret whose type is an object (e.g. `vertex_service_account_json`) is shown."""

SECRET_FIELDS: frozenset[str] = frozenset(
    {
        "api_key",
        "aws_secret_access_key",
        "aws_session_token",
        "azure_ad_token",
        "azure_entra_client_secret",
        "watsonx_cpd_password",
        "vertex_service_account_json",
    }
)
"""Provider-config keys that always hold secrets; `is_secret` adds a suffix rule on top."""

OBJECT_SECRET_FIELDS: frozenset[str] = frozenset({"vertex_service_account_json"})
"""Secret keys whose value is an object, so their placeholder is `REDACTED_OBJECT`."""

SECRET_SUFFIXES: tuple[str, ...] = ("_key", "_secret", "token", "password")


def is_secret(name: str) -> bool:
    """Whether a provider-config key holds a secret (listed, or named `*_key`, `*token`, ...)."""
    lowered = name.lower()
    return lowered in SECRET_FIELDS or lowered.endswith(SECRET_SUFFIXES)


def is_encrypted(value: object) -> bool:
    """Whether `value` is a stored ciphertext (`{"__enc__": "..."}`)."""
    return (
        isinstance(value, dict) and set(value) == {ENCRYPTED} and isinstance(value[ENCRYPTED], str)
    )


def is_redacted(value: object) -> bool:
    """Whether `value` is the placeholder a read returned (`"********"` or its object form)."""
    return value in (REDACTED, REDACTED_OBJECT)


class SecretBox:
    """Encrypts and decrypts JSON values with a key derived from the server secret."""

    __slots__ = ("_fernet",)

    def __init__(self, server_key: str) -> None:
        """Derive the Fernet key: HKDF-SHA256(server_key, info=`HKDF_INFO`), 32 bytes."""
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
            server_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def __repr__(self) -> str:
        """Never shows key material."""
        return "SecretBox(<hidden>)"

    def encrypt(self, value: Any) -> dict[str, str]:
        """The stored form of one secret value (any JSON value)."""
        token = self._fernet.encrypt(json.dumps(value).encode())
        return {ENCRYPTED: token.decode("ascii")}

    def decrypt(self, stored: Any) -> Any:
        """The plain value of a stored ciphertext.

        Raises:
            SecretDecryptionError: not a ciphertext, or made with another key.
        """
        if not is_encrypted(stored):
            raise SecretDecryptionError("A stored secret is not in the encrypted form")
        try:
            plain = self._fernet.decrypt(stored[ENCRYPTED].encode("ascii"))
        except InvalidToken as exc:
            raise SecretDecryptionError(
                "A stored provider secret cannot be decrypted with the server key (was the key "
                "changed?); update the model with its secrets again"
            ) from exc
        return json.loads(plain)


@lru_cache(maxsize=8)
def secret_box(server_key: str) -> SecretBox:
    """The `SecretBox` of a server key (derived once per process)."""
    return SecretBox(server_key)


def seal(
    config: Mapping[str, Any], box: SecretBox, *, stored: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The stored form of a provider config: secret values encrypted, `None` values dropped.

    A secret sent as the redaction placeholder keeps the value in `stored` (the row's current
    config), or is dropped when there is none.
    """
    sealed: dict[str, Any] = {}
    for key, value in config.items():
        if value is None:
            continue
        if not is_secret(key):
            sealed[key] = value
        elif is_redacted(value):
            previous = (stored or {}).get(key)
            if is_encrypted(previous):
                sealed[key] = previous
        else:
            sealed[key] = box.encrypt(value)
    return sealed


def unseal(stored: Mapping[str, Any], box: SecretBox) -> dict[str, Any]:
    """The plain provider config (internal use only).

    Raises:
        SecretDecryptionError: a secret was encrypted with another key.
    """
    return {k: box.decrypt(v) if is_encrypted(v) else v for k, v in stored.items()}


def redact(stored: Mapping[str, Any]) -> dict[str, Any]:
    """The provider config as the API shows it: every secret value replaced by the placeholder."""
    return {k: _placeholder(k) if is_secret(k) or is_encrypted(v) else v for k, v in stored.items()}


def _placeholder(key: str) -> str | dict[str, str]:
    return dict(REDACTED_OBJECT) if key in OBJECT_SECRET_FIELDS else REDACTED
