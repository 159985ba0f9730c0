"""Vector Index errors (no HTTP here: `wxo.api.errors` maps them)."""

from wxo.core.errors import ConflictError, InvalidInputError, NotFoundError


class IndexNotFoundError(NotFoundError):
    """No vector index with this id in the caller's tenant."""

    def __init__(self, message: str = "Vector index not found") -> None:
        """The standard message unless another is given."""
        super().__init__(message)


class TaskNotFoundError(NotFoundError):
    """No such task on this index."""

    def __init__(self) -> None:
        """The standard message."""
        super().__init__("Task not found")


class IndexNameTakenError(ConflictError):
    """Another index of the tenant already has this name."""

    def __init__(self, name: str) -> None:
        """Name the index."""
        super().__init__(f"A vector index named '{name}' already exists")


class UnknownCollectionsError(InvalidInputError):
    """Some collection ids are not the caller's collections."""

    def __init__(self, missing: list[str]) -> None:
        """List them."""
        super().__init__("Unknown document collections: " + ", ".join(missing))


class IndexBusyError(ConflictError):
    """The index is being rebuilt."""

    def __init__(self) -> None:
        """Say what to wait for."""
        super().__init__("The vector index is being rebuilt: wait for its task to complete")


class RerankUnavailableError(InvalidInputError):
    """No cross-encoder is installed (none ships inside a PyPI package: see docs/decisions.md)."""

    def __init__(self) -> None:
        """Say what to do instead."""
        super().__init__(
            "Reranking is not available on this server: no cross-encoder model can be installed "
            "offline. Send rerank=false; hybrid retrieval already fuses BM25 and vector ranks"
        )
