"""Auth errors."""

from wxo.core.errors import AuthenticationError, ConflictError, NotFoundError, PermissionDeniedError


class InvalidCredentialsError(AuthenticationError):
    """Username or password is wrong."""


class InvalidTokenError(AuthenticationError):
    """The bearer token is malformed, forged, unknown or revoked."""


class TenantNotFoundError(NotFoundError):
    """No such tenant for this user."""


class TenantExistsError(ConflictError):
    """A tenant with this name already exists."""


class UserExistsError(ConflictError):
    """A user with this name already exists."""


class UserNotFoundError(NotFoundError):
    """No such user."""


class TokenNotFoundError(NotFoundError):
    """No such token."""


class TenantScopeRequiredError(PermissionDeniedError):
    """The token is not scoped to a tenant, but the route needs one."""
