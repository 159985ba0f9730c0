"""Agent errors (no HTTP here: `wxo.api.errors` maps them)."""

from wxo.core.errors import ConflictError, InvalidInputError, NotFoundError


class AgentNotFoundError(NotFoundError):
    """No agent with this id or name in the caller's tenant."""

    def __init__(self, ref: str | None = None) -> None:
        """Name the reference when there is one (IBM's client looks for 'Agent ... not found')."""
        super().__init__(f"Agent '{ref}' not found" if ref else "Agent not found")


class AgentNameTakenError(ConflictError):
    """The tenant already has an agent with this name."""

    def __init__(self, name: str) -> None:
        """Name the clash."""
        super().__init__(f"An agent named '{name}' already exists in this tenant")


class InvalidAgentError(InvalidInputError):
    """An agent that names an unknown model, knowledge base or collaborator (or itself)."""


class AgentInUseError(ConflictError):
    """The agent is a collaborator of other agents, so it cannot be deleted."""
