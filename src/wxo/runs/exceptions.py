"""Run errors (no HTTP here: `wxo.api.errors` maps them)."""

from wxo.core.errors import ConflictError, InvalidInputError, NotFoundError


class RunNotFoundError(NotFoundError):
    """No run with this id in the caller's tenant."""

    def __init__(self, message: str = "Run not found") -> None:
        """The standard message unless another is given."""
        super().__init__(message)


class RunFinishedError(ConflictError):
    """The run already ended (completed, failed or cancelled): it cannot be cancelled."""


class InvalidEventCursorError(InvalidInputError):
    """An `after` / `Last-Event-ID` value that is not an event id of this run."""


class AssistantNotFoundError(NotFoundError):
    """No custom assistant with this id in the caller's tenant."""

    def __init__(self, message: str = "Assistant not found") -> None:
        """The standard message unless another is given."""
        super().__init__(message)
