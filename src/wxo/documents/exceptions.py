"""Document Store errors (no HTTP here: `wxo.api.errors` maps them)."""

from wxo.core.errors import (
    BusyError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
)


class CollectionNotFoundError(NotFoundError):
    """No collection with this id in the caller's tenant."""

    def __init__(self, message: str = "Document collection not found") -> None:
        """The standard message unless another is given."""
        super().__init__(message)


class CollectionNameTakenError(ConflictError):
    """Another collection of the tenant already has this name."""

    def __init__(self, name: str) -> None:
        """Name the collection."""
        super().__init__(f"A document collection named '{name}' already exists")


class DocumentNotFoundError(NotFoundError):
    """No document with this id in the caller's tenant."""


class ImageNotFoundError(NotFoundError):
    """No extracted image with this id in the document."""


class DocumentContentMissingError(NotFoundError):
    """The document has no bytes yet (upload them first)."""


class DuplicateDocumentError(ConflictError):
    """The collection already holds these bytes and its duplicate policy is `reject`."""


class DocumentNotReadyError(ConflictError):
    """Extraction results are read only once the document is ready."""


class FileTooLargeError(PayloadTooLargeError):
    """A file is larger than the per-file limit."""


class InvalidDocumentInputError(InvalidInputError):
    """A document request that breaks a rule (e.g. neither text nor an http(s) source_uri)."""


class QueueFullError(BusyError):
    """Too many pipeline jobs are waiting: new documents are refused for now."""
