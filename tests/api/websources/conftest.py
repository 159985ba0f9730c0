"""Web source route fixtures: the Document Store's recording queue."""

from tests.api.documents.conftest import queue

__all__ = ["queue"]
