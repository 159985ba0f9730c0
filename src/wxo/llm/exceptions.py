"""Model registry errors (no HTTP here: `wxo.api.errors` maps them)."""

from wxo.core.errors import ConflictError, InvalidInputError, NotFoundError


class ModelNotFoundError(NotFoundError):
    """No registered model with this id in the caller's tenant."""


class ModelExistsError(ConflictError):
    """The tenant already has a model with this name."""


class UnknownModelError(NotFoundError):
    """A model name that is neither built in nor registered for the tenant."""


class NoDefaultModelError(NotFoundError):
    """The tenant has no default model of the kind asked for."""


class ModelKindMismatchError(InvalidInputError):
    """An embedding model asked for chat, or a chat model asked for embeddings."""


class UnknownProviderError(InvalidInputError):
    """A provider name that neither IBM's list nor this server knows."""


class ProviderNotSupportedError(InvalidInputError):
    """A provider that may be registered but that this server cannot call yet."""


class InvalidModelConfigError(InvalidInputError):
    """A model whose configuration breaks a rule (e.g. `openai-compatible` without a host)."""


class SecretDecryptionError(ConflictError):
    """Stored secrets that the server key cannot decrypt (the key changed since they were saved)."""


class ModelPolicyNotFoundError(NotFoundError):
    """No such model policy in the caller's tenant."""


class ModelPolicyExistsError(ConflictError):
    """The tenant already has a model policy with this name."""


class InvalidModelPolicyError(InvalidInputError):
    """A policy names an unknown model, or breaks a rule of its strategy."""
