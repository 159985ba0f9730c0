"""Web source and refresh routes: bad input, tenant isolation, idempotent refresh, runs listing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.documents.conftest import RecordingQueue, make_collection
from tests.conftest import TenantUser
from wxo.websources.models import RefreshRun, RefreshSchedule, WebSource

GOOD: dict[str, Any] = {"seed_urls": ["https://docs.example.com/"], "max_depth": 1}


def _path(collection_id: str, tail: str = "web-source") -> str:
    return f"/v1/document-collections/{collection_id}/{tail}"


async def _count(session: AsyncSession, model: Any, tenant: TenantUser) -> int:
    """Rows of `tenant` (other tests may have committed rows of their own tenants)."""
    stmt = select(func.count()).select_from(model).where(model.tenant_id == tenant.tenant_id)
    return int((await session.execute(stmt)).scalar_one())


async def test_put_get_delete_web_source_with_schedule(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession
) -> None:
    collection = await make_collection(client, tenant_a, "web")
    body = {**GOOD, "refresh_schedule": "0  3 * * *", "exclude_patterns": [r"\.pdf$"]}
    put = await client.put(_path(collection["id"]), json=body, headers=tenant_a.headers)
    assert put.status_code == 200, put.text
    read = put.json()
    assert read["seed_urls"] == GOOD["seed_urls"]
    assert read["same_host_only"] is True
    assert read["refresh_schedule"] == "0 3 * * *"
    assert read["next_refresh_at"].endswith(("03:00:00Z", "03:00:00+00:00"))
    schedule = (
        await session.execute(
            select(RefreshSchedule).where(RefreshSchedule.tenant_id == tenant_a.tenant_id)
        )
    ).scalar_one()
    assert (schedule.owner_kind, schedule.owner_id) == ("collection", uuid.UUID(collection["id"]))
    assert schedule.collection_ids == [collection["id"]]

    # Replacing without a schedule removes the schedule.
    put = await client.put(_path(collection["id"]), json=GOOD, headers=tenant_a.headers)
    assert put.json()["refresh_schedule"] is None
    assert await _count(session, RefreshSchedule, tenant_a) == 0
    assert await _count(session, WebSource, tenant_a) == 1

    got = await client.get(_path(collection["id"]), headers=tenant_a.headers)
    assert got.status_code == 200
    assert got.json()["max_depth"] == 1
    deleted = await client.delete(_path(collection["id"]), headers=tenant_a.headers)
    assert deleted.status_code == 204
    assert await _count(session, WebSource, tenant_a) == 0
    missing = await client.get(_path(collection["id"]), headers=tenant_a.headers)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({**GOOD, "refresh_schedule": "61 * * * *"}, 422, "cron"),
        ({**GOOD, "refresh_schedule": "* * *"}, 422, "5 fields"),
        ({"seed_urls": ["ftp://example.com/"]}, 422, "http"),
        ({"seed_urls": ["file:///etc/passwd"]}, 422, "http"),
        ({"seed_urls": []}, 422, "seed_urls"),
        ({**GOOD, "include_patterns": ["(unclosed"]}, 422, "regular expression"),
        ({**GOOD, "max_depth": -1}, 422, "max_depth"),
        ({"seed_urls": ["http://10.0.0.1/"]}, 400, "private"),
        ({"seed_urls": ["http://127.0.0.1:8080/"]}, 400, "loopback"),
        ({**GOOD, "sitemap_url": "http://169.254.169.254/sitemap.xml"}, 400, "link-local"),
    ],
)
async def test_bad_web_source_is_refused_and_nothing_stored(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    session: AsyncSession,
    body: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    collection = await make_collection(client, tenant_a, "bad-web")
    response = await client.put(_path(collection["id"]), json=body, headers=tenant_a.headers)
    assert response.status_code == status, response.text
    assert fragment in response.text
    assert await _count(session, WebSource, tenant_a) == 0
    assert await _count(session, RefreshSchedule, tenant_a) == 0


async def test_other_tenants_collection_and_runs_are_404(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    tenant_b: TenantUser,
    session: AsyncSession,
    queue: RecordingQueue,
) -> None:
    collection = await make_collection(client, tenant_a, "mine")
    await client.put(_path(collection["id"]), json=GOOD, headers=tenant_a.headers)
    run = await client.post(_path(collection["id"], "refresh"), headers=tenant_a.headers)
    assert run.status_code == 202
    for method, url in [
        ("PUT", _path(collection["id"])),
        ("GET", _path(collection["id"])),
        ("DELETE", _path(collection["id"])),
        ("POST", _path(collection["id"], "refresh")),
        ("GET", f"/v1/refresh-runs/{run.json()['id']}"),
        ("GET", f"/v1/refresh-runs/{uuid.uuid4()}"),
    ]:
        response = await client.request(
            method, url, json=GOOD if method == "PUT" else None, headers=tenant_b.headers
        )
        assert response.status_code == 404, (method, url, response.text)
    listed = await client.get("/v1/refresh-runs", headers=tenant_b.headers)
    assert listed.json()["total"] == 0
    assert await _count(session, RefreshRun, tenant_a) == 1
    assert (
        await session.execute(
            select(WebSource.seed_urls).where(WebSource.tenant_id == tenant_a.tenant_id)
        )
    ).scalar_one() == GOOD["seed_urls"]


async def test_refresh_is_idempotent_while_a_run_is_active(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession, queue: RecordingQueue
) -> None:
    collection = await make_collection(client, tenant_a, "twice")
    first = await client.post(_path(collection["id"], "refresh"), headers=tenant_a.headers)
    second = await client.post(_path(collection["id"], "refresh"), headers=tenant_a.headers)
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["status"] == "queued"
    assert first.json()["trigger"] == "manual"
    assert queue.sent == [("wxo.websources.refresh", {"run_id": first.json()["id"]})]
    assert await _count(session, RefreshRun, tenant_a) == 1

    # Once it has finished, a new refresh is a new run.
    row = await session.get(RefreshRun, uuid.UUID(first.json()["id"]))
    assert row is not None
    row.status = "completed"
    await session.flush()
    third = await client.post(_path(collection["id"], "refresh"), headers=tenant_a.headers)
    assert third.json()["id"] != first.json()["id"]
    listed = await client.get(
        "/v1/refresh-runs",
        params={"collection_id": collection["id"], "limit": 1},
        headers=tenant_a.headers,
    )
    assert listed.json()["total"] == 2
    assert len(listed.json()["data"]) == 1  # one transaction: no order between the two rows
    everything = await client.get("/v1/refresh-runs", headers=tenant_a.headers)
    assert {r["id"] for r in everything.json()["data"]} == {first.json()["id"], third.json()["id"]}
    assert {r["status"] for r in everything.json()["data"]} == {"completed", "queued"}
    bad = await client.get("/v1/refresh-runs", params={"limit": 0}, headers=tenant_a.headers)
    assert bad.status_code == 422
