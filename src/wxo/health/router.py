"""Liveness and readiness routes (no token needed: load balancers and the ADK call them)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from wxo.api.deps import ContainerDep
from wxo.health import service

alive_router = APIRouter(tags=["Health"])
router = APIRouter(prefix="/health", tags=["Health"])


@alive_router.get("/health/alive")
async def alive() -> dict[str, str]:
    """The process is up."""
    return {"status": "alive"}


@router.get("/ready", responses={503: {"description": "A dependency is unavailable"}})
async def ready(container: ContainerDep) -> JSONResponse:
    """Database, Redis and a worker are reachable."""
    checks = await service.check_ready(container)
    ok = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "not_ready", "checks": checks},
        status_code=200 if ok else 503,
    )
