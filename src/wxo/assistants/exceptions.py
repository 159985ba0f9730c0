"""Custom assistant and watsonx Assistant errors (no HTTP here: `wxo.api.errors` maps them)."""

from wxo.core.errors import ConflictError, InvalidInputError, NotFoundError


class AssistantNotFoundError(NotFoundError):
    """No such assistant in the caller's tenant."""

    def __init__(self, message: str = "Assistant not found") -> None:
        """The message IBM's client looks for on a 404."""
        super().__init__(message)


class AssistantFileNotFoundError(NotFoundError):
    """The assistant has no file with this id."""

    def __init__(self, message: str = "File not found") -> None:
        """The standard message unless another is given."""
        super().__init__(message)


class AssistantNameTakenError(ConflictError):
    """The tenant already has an assistant of this kind with this name."""

    def __init__(self, name: str) -> None:
        """Name the clash."""
        super().__init__(f"An assistant named '{name}' already exists")


class UnknownLLMError(InvalidInputError):
    """`llm_name` names no chat model the Model Proxy knows in the tenant."""


class InvalidAssistantError(InvalidInputError):
    """A body that passed validation but breaks a rule (e.g. an unknown `select` field)."""
