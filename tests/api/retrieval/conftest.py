"""Vector Index route fixtures: the Document Store's recording queue and helpers."""

from tests.api.documents.conftest import make_collection, queue

__all__ = ["make_collection", "queue"]
