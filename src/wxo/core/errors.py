"""Errors a client may see. No HTTP here: `wxo.api.errors` maps them to status codes."""

from typing import ClassVar


class AppError(Exception):
    """Base class for errors a client may see."""

    code: ClassVar[str] = "error"


class NotFoundError(AppError):
    """The object does not exist, or belongs to another tenant."""

    code = "not_found"


class ConflictError(AppError):
    """The request conflicts with the current state."""

    code = "conflict"


class PermissionDeniedError(AppError):
    """The caller is known but may not do this."""

    code = "permission_denied"


class AuthenticationError(AppError):
    """Missing, malformed, expired or revoked credentials."""

    code = "unauthenticated"


class InvalidInputError(AppError):
    """Input that passed schema validation but breaks a rule of the domain."""

    code = "invalid_input"


class UpstreamError(AppError):
    """A provider or backing service failed."""

    code = "upstream_error"


class RateLimitedError(AppError):
    """Too many requests, here or at a provider."""

    code = "rate_limited"


class UpstreamTimeoutError(UpstreamError):
    """A provider or backing service did not answer in time."""

    code = "upstream_timeout"


class UpstreamAuthError(UpstreamError):
    """A provider rejected the credentials configured for it."""

    code = "upstream_unauthorized"


class BusyError(AppError):
    """The server is too busy to take this work now; `retry_after` seconds is a fair wait."""

    code = "busy"

    def __init__(self, message: str, *, retry_after: int = 30) -> None:
        """Say why, and when to try again."""
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLargeError(AppError):
    """The input is larger than allowed."""

    code = "payload_too_large"
