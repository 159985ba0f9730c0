"""Errors of `POST /v1/extract` (no HTTP here: `wxo.api.errors` maps them)."""

from wxo.core.errors import PayloadTooLargeError


class InputTooLargeError(PayloadTooLargeError):
    """The file (or the fetched URL) is larger than the synchronous extraction limit."""
