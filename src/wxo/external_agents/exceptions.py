"""External chat agent errors (no HTTP here: `wxo.api.errors` maps them)."""

from wxo.core.errors import ConflictError, NotFoundError


class ExternalAgentNotFoundError(NotFoundError):
    """No such external chat agent in the caller's tenant."""

    def __init__(self, message: str = "Assistant not found") -> None:
        """The message IBM's client looks for on a 404."""
        super().__init__(message)


class ExternalAgentNameTakenError(ConflictError):
    """The tenant already has an external chat agent with this name."""

    def __init__(self, name: str) -> None:
        """Name the clash."""
        super().__init__(f"An external chat agent named '{name}' already exists")
