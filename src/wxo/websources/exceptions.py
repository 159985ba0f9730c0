"""Web source and refresh errors (no HTTP here: `wxo.api.errors` maps them)."""

from wxo.core.errors import InvalidInputError, NotFoundError


class WebSourceNotFoundError(NotFoundError):
    """The collection has no web source."""

    def __init__(self, message: str = "The collection has no web source") -> None:
        """The standard message unless another is given."""
        super().__init__(message)


class RefreshRunNotFoundError(NotFoundError):
    """No refresh run with this id in the caller's tenant."""

    def __init__(self, message: str = "Refresh run not found") -> None:
        """The standard message unless another is given."""
        super().__init__(message)


class InvalidWebSourceError(InvalidInputError):
    """A web source whose URL is refused by the URL-safety rules (e.g. a private address)."""
