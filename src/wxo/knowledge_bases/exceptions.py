"""Knowledge base errors (no HTTP here: `wxo.api.errors` maps them)."""

from wxo.core.errors import ConflictError, InvalidInputError, NotFoundError


class KnowledgeBaseNotFoundError(NotFoundError):
    """No knowledge base with this id in the caller's tenant."""

    def __init__(self, ref: str | None = None) -> None:
        """Name the reference when there is one."""
        super().__init__(f"Knowledge base '{ref}' not found" if ref else "Knowledge base not found")


class KnowledgeBaseNameTakenError(ConflictError):
    """The tenant already has a knowledge base with this name."""

    def __init__(self, name: str) -> None:
        """Name the clash."""
        super().__init__(f"A knowledge base named '{name}' already exists in this tenant")


class InvalidKnowledgeBaseError(InvalidInputError):
    """A create or update form that cannot be used (bad JSON, no name, unsupported source)."""
