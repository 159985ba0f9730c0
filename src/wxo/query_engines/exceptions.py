"""Query Engine errors (no HTTP here: `wxo.api.errors` maps them)."""

from wxo.core.errors import ConflictError, InvalidInputError, NotFoundError


class QueryEngineNotFoundError(NotFoundError):
    """No query engine with this id in the caller's tenant."""

    def __init__(self) -> None:
        """The standard message."""
        super().__init__("Query engine not found")


class QueryEngineNameTakenError(ConflictError):
    """Another engine of the tenant already has this name."""

    def __init__(self, name: str) -> None:
        """Name the engine."""
        super().__init__(f"A query engine named '{name}' already exists")


class UnknownIndicesError(NotFoundError):
    """Some index ids are not the caller's vector indices."""

    def __init__(self, missing: list[str]) -> None:
        """List them."""
        super().__init__("Vector indices not found: " + ", ".join(missing))


class EngineModelError(InvalidInputError):
    """`model_id` does not resolve to a chat model through the Model Proxy."""

    def __init__(self, model_id: str, reason: str) -> None:
        """Name the model and say why."""
        super().__init__(f"model_id '{model_id}' cannot be used: {reason}")


class NoIndicesError(InvalidInputError):
    """Every index of the engine was deleted."""

    def __init__(self) -> None:
        """Say what to do."""
        super().__init__("The query engine has no vector index left: PATCH its index_ids")
