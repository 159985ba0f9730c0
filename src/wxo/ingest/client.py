"""A small synchronous HTTP client for the Document Store routes `wxo ingest` needs."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

_PAGE = 1000


class ApiError(Exception):
    """The server answered with an error status; `message` is its own explanation."""

    def __init__(self, status_code: int, message: str) -> None:
        """Keep the status and the server's message."""
        super().__init__(f"HTTP {status_code}: {message}")
        self.status_code = status_code
        self.message = message


@dataclass(frozen=True)
class Collection:
    """The collection files go into."""

    id: str
    name: str
    created: bool


class DocumentStoreClient:
    """Calls `/v1/document-collections` and `/v1/documents` with a bearer token."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 300.0) -> None:
        """Open a connection pool to `base_url` (e.g. `http://127.0.0.1:4321`)."""
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(timeout, connect=10.0),
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> DocumentStoreClient:
        """Use as a context manager."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close on exit."""
        self.close()

    def ensure_collection(self, name: str) -> Collection:
        """The tenant's collection called `name`, created when missing."""
        found = self._find_collection(name)
        if found is not None:
            return Collection(id=found, name=name, created=False)
        response = self._http.post("/v1/document-collections", json={"name": name})
        if response.status_code == httpx.codes.CONFLICT:  # created meanwhile by someone else
            found = self._find_collection(name)
            if found is not None:
                return Collection(id=found, name=name, created=False)
        return Collection(id=str(_json(response)["id"]), name=name, created=True)

    def _find_collection(self, name: str) -> str | None:
        page = _json(self._http.get("/v1/document-collections", params={"names": name}))
        for row in page["data"]:
            if row["name"] == name:
                return str(row["id"])
        return None

    def documents(self, collection_id: str) -> Iterator[dict[str, Any]]:
        """Every document of the collection, newest first, a page of 1000 at a time."""
        offset = 0
        while True:
            page = _json(
                self._http.get(
                    "/v1/documents",
                    params={"collection_id": collection_id, "limit": _PAGE, "offset": offset},
                )
            )
            rows: list[dict[str, Any]] = page["data"]
            yield from rows
            offset += len(rows)
            if not rows or offset >= int(page["total"]):
                return

    def status(self, document_id: str) -> dict[str, Any]:
        """`GET /v1/documents/{id}/status`."""
        return _json(self._http.get(f"/v1/documents/{document_id}/status"))

    def upload_batch(
        self, collection_id: str, files: Sequence[tuple[str, Path]]
    ) -> list[dict[str, Any]]:
        """Upload `(name, path)` pairs in one multipart request; one result per file, in order."""
        with ExitStack() as stack:
            parts = [
                ("files", (name, stack.enter_context(path.open("rb")), _content_type(name)))
                for name, path in files
            ]
            response = self._http.post(
                f"/v1/document-collections/{collection_id}/documents", files=parts
            )
        results: list[dict[str, Any]] = _json(response)["data"]
        return results

    def upload_into(self, document_id: str, name: str, path: Path) -> dict[str, Any]:
        """Replace a document's bytes (`POST /v1/documents/{id}/upload`)."""
        with path.open("rb") as handle:
            response = self._http.post(
                f"/v1/documents/{document_id}/upload",
                files={"file": (name, handle, _content_type(name))},
            )
        return _json(response)


def _content_type(name: str) -> str:
    """A hint only: the server sniffs the real type from the bytes."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _json(response: httpx.Response) -> dict[str, Any]:
    if response.is_error:
        raise ApiError(response.status_code, _error_message(response))
    body: dict[str, Any] = response.json()
    return body


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason_phrase
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and "message" in error:
            return str(error["message"])
        if "detail" in body:
            return str(body["detail"])
    return str(body)[:500]
