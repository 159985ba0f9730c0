"""Search Engine errors (no HTTP here: `wxo.api.errors` maps them)."""

from wxo.core.errors import ConflictError, NotFoundError


class EngineNotFoundError(NotFoundError):
    """No search engine with this id in the caller's tenant."""

    def __init__(self) -> None:
        """The standard message."""
        super().__init__("Search engine not found")


class EngineNameTakenError(ConflictError):
    """Another engine of the tenant already has this name."""

    def __init__(self, name: str) -> None:
        """Name the engine."""
        super().__init__(f"A search engine named '{name}' already exists")


class UnknownIndicesError(NotFoundError):
    """Some index ids are not the caller's vector indices."""

    def __init__(self, missing: list[str]) -> None:
        """List them."""
        super().__init__("Vector indices not found: " + ", ".join(missing))
