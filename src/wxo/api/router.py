"""The versioned API: one router, mounted at `/v1` and again at `/api/v1`."""

from fastapi import APIRouter

from wxo.auth.router import router as auth_router
from wxo.health.router import router as health_router
from wxo.threads.router import router as threads_router


def build_api_router() -> APIRouter:
    """Every domain router under one router (prefix added by the app)."""
    api = APIRouter()
    api.include_router(health_router)
    api.include_router(auth_router)
    api.include_router(threads_router)
    return api
