"""One table from domain errors to HTTP status codes, and the handlers that use it."""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from wxo.api.disconnect import ClientDisconnectedError
from wxo.core.errors import (
    AppError,
    AuthenticationError,
    BusyError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitedError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamTimeoutError,
)

logger = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[AppError], int] = {
    NotFoundError: 404,
    ConflictError: 409,
    PermissionDeniedError: 403,
    AuthenticationError: 401,
    InvalidInputError: 400,
    UpstreamError: 502,
    UpstreamTimeoutError: 504,
    UpstreamAuthError: 401,
    RateLimitedError: 429,
    PayloadTooLargeError: 413,
    BusyError: 503,
}


def status_for(exc: AppError) -> int:
    """The status of the most specific mapped class in the error's MRO (400 if none)."""
    return next((STATUS_BY_ERROR[c] for c in type(exc).__mro__ if c in STATUS_BY_ERROR), 400)


async def _app_error_handler(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, AppError):  # registered for AppError only
        raise exc
    status = status_for(exc)
    # Our own 401s challenge the client; a provider's rejected key is not the client's fault.
    challenge = status == 401 and isinstance(exc, AuthenticationError)
    headers = {"WWW-Authenticate": "Bearer"} if challenge else None
    if isinstance(exc, BusyError):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)


async def _unhandled_error_handler(request: Request, exc: Exception) -> JSONResponse:
    request_id = uuid.uuid4().hex
    logger.error(
        "unhandled error %s on %s %s", request_id, request.method, request.url.path, exc_info=exc
    )
    return JSONResponse(
        {
            "detail": {
                "code": "internal_error",
                "message": "Internal server error",
                "request_id": request_id,
            }
        },
        status_code=500,
    )


async def _validation_error_handler(_: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 shape; inputs that JSON cannot carry (NaN, Infinity) are left out."""
    if not isinstance(exc, RequestValidationError):  # registered for RequestValidationError only
        raise exc
    errors = jsonable_encoder(exc.errors())
    try:
        return JSONResponse({"detail": errors}, status_code=422)
    except ValueError:  # json.dumps(allow_nan=False) refused a non-finite number in an echo
        for error in errors:
            error.pop("input", None)
            error.pop("ctx", None)
        return JSONResponse({"detail": errors}, status_code=422)


async def _client_gone_handler(_: Request, __: Exception) -> Response:
    """The client left; nobody reads this (nginx's 499 convention), and nothing is logged."""
    return Response(status_code=499)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on `app`."""
    app.add_exception_handler(ClientDisconnectedError, _client_gone_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(AppError, _app_error_handler)
    app.add_exception_handler(Exception, _unhandled_error_handler)
