"""`POST /v1/extract`: one file (multipart) or one URL (JSON or form) in, its extraction out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from wxo.api.deps import CurrentTenant
from wxo.extraction.base import ExtractionError
from wxo.extraction_api import service
from wxo.extraction_api.dependencies import ExtractLimitsDep, ExtractorDep
from wxo.extraction_api.schemas import ExtractOptions, ExtractResult, ExtractUrlRequest
from wxo.webfetch import FetchError

router = APIRouter(tags=["Information Extraction"])

# Fetch failures: the user's URL is wrong or refused (400), too big (413), or the remote
# server failed us (502) or was too slow (504).
_FETCH_STATUS = {
    "bad_url": 400,
    "blocked_address": 400,
    "too_large": 413,
    "timeout": 504,
}
_ERROR_BODY = {
    "type": "object",
    "properties": {
        "detail": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}
_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "url": {"type": "string"},
                        "options": {
                            "type": "string",
                            "description": 'JSON, e.g. {"include": ["text", "metadata"]}',
                        },
                    },
                }
            },
            "application/json": {"schema": ExtractUrlRequest.model_json_schema()},
        },
    }
}


def _invalid(message: str, loc: tuple[str, ...] = ("body",)) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": message}])


def _options(raw: Any) -> ExtractOptions:
    if raw is None or raw == "":
        return ExtractOptions()
    if not isinstance(raw, str):
        raise _invalid("options must be a JSON object", ("body", "options"))
    try:
        return ExtractOptions.model_validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None


async def _read_request(
    request: Request, limits: service.ExtractLimits
) -> tuple[service.Source | None, str | None, ExtractOptions]:
    """(uploaded source, or None and a URL to fetch, and the options)."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        async with request.form(max_files=1, max_fields=8) as form:
            upload, url = form.get("file"), form.get("url")
            options = _options(form.get("options"))
            if isinstance(upload, UploadFile):
                if url:
                    raise _invalid("Send either a file or a url, not both")
                data = await upload.read(limits.max_bytes + 1)
                service.check_size(len(data), limits)
                source = service.Source(data, upload.filename, upload.content_type)
                return source, None, options
        if isinstance(url, str) and url.strip():
            return None, url.strip(), options
        raise _invalid("Send a file (multipart field 'file') or a url")
    if content_type.startswith("application/json"):
        try:
            body = ExtractUrlRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False)) from None
        return None, body.url, body.options
    raise HTTPException(
        status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        "Send multipart/form-data (a file, or a url) or application/json (a url)",
    )


@router.post(
    "/extract",
    response_model=ExtractResult,
    response_model_exclude_unset=True,
    openapi_extra=_OPENAPI,
    responses={
        400: {"description": "The URL is not http(s), or points to an internal address"},
        413: {"description": "The file or the fetched URL is over the limit"},
        422: {
            "description": "The document cannot be extracted (`detail.code`: unsupported_format, "
            "encrypted, corrupted, empty, zip_bomb, ocr_unavailable, timeout), or a bad request",
            "content": {"application/json": {"schema": _ERROR_BODY}},
        },
        502: {"description": "The URL could not be fetched (`detail.code` says why)"},
        504: {"description": "The URL did not download in time"},
    },
)
async def extract(
    request: Request, _: CurrentTenant, limits: ExtractLimitsDep, extractor: ExtractorDep
) -> ExtractResult:
    """Extract one file or URL synchronously; nothing is stored."""
    source, url, options = await _read_request(request, limits)
    try:
        if source is None:
            source = await service.fetch_source(url or "", limits)
        result = await service.extract_source(source, limits, extractor)
    except FetchError as exc:
        raise HTTPException(
            _FETCH_STATUS.get(exc.code, status.HTTP_502_BAD_GATEWAY),
            {"code": exc.code, "message": exc.message},
        ) from None
    except ExtractionError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, {"code": exc.code, "message": exc.message}
        ) from None
    return service.shape(source, result, options.include)
