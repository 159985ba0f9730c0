"""Contract tests for `GET /v1/threads?title=...`: this server's search of threads by title.

The documented API filters threads by agent only; the web console searches them by title, so
the list takes an optional `title`: a case-insensitive substring, LIKE wildcards taken literally.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import TenantUser


async def create_thread(
    client: httpx.AsyncClient, tenant: TenantUser, **body: Any
) -> dict[str, Any]:
    response = await client.post("/v1/threads", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    thread: dict[str, Any] = response.json()
    return thread


async def titles(client: httpx.AsyncClient, tenant: TenantUser, **params: Any) -> list[str]:
    response = await client.get("/v1/threads", params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return [t["title"] for t in response.json()]


async def test_title_matches_a_substring_in_any_case_newest_first(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    for title in ["Tides and the moon", "Cats", "Why the MOON glows", "Untitled"]:
        await create_thread(client, tenant_a, title=title)

    assert await titles(client, tenant_a, title="moon") == [
        "Why the MOON glows",
        "Tides and the moon",
    ]
    assert await titles(client, tenant_a, title="MoOn G") == ["Why the MOON glows"]


async def test_title_matching_nothing_is_an_empty_list(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    await create_thread(client, tenant_a, title="Tides")

    assert await titles(client, tenant_a, title="volcano") == []


async def test_empty_title_filters_nothing(client: httpx.AsyncClient, tenant_a: TenantUser) -> None:
    await create_thread(client, tenant_a, title="one")
    await create_thread(client, tenant_a, title="two")

    assert await titles(client, tenant_a, title="") == ["two", "one"]


async def test_title_search_sees_only_the_callers_tenant(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser
) -> None:
    await create_thread(client, tenant_a, title="Budget 2026")
    await create_thread(client, tenant_b, title="Budget 2027")

    assert await titles(client, tenant_a, title="budget") == ["Budget 2026"]
    assert await titles(client, tenant_b, title="budget") == ["Budget 2027"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("100%", ["100% sure"]),
        ("%", ["100% sure"]),
        ("a_b", ["a_b"]),
        ("_", ["a_b"]),
        ("\\", ["back\\slash"]),
        ("k\\s", ["back\\slash"]),
    ],
)
async def test_like_wildcards_in_the_title_are_plain_characters(
    client: httpx.AsyncClient, tenant_a: TenantUser, query: str, expected: list[str]
) -> None:
    for title in ["100% sure", "1000 sure", "a_b", "axb", "back\\slash", "backslash"]:
        await create_thread(client, tenant_a, title=title)

    assert await titles(client, tenant_a, title=query) == expected


async def test_title_combines_with_agent_filter_and_paging(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    agent = uuid.uuid4()
    await create_thread(client, tenant_a, title="report a", agent_id=str(agent))
    await create_thread(client, tenant_a, title="report b")
    await create_thread(client, tenant_a, title="report c", agent_id=str(agent))
    await create_thread(client, tenant_a, title="other", agent_id=str(agent))

    assert await titles(client, tenant_a, title="report", agent_id=str(agent)) == [
        "report c",
        "report a",
    ]
    assert await titles(client, tenant_a, title="report", limit=1, offset=1) == ["report b"]


async def test_title_search_hides_deleted_threads(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    gone = await create_thread(client, tenant_a, title="old notes")
    await create_thread(client, tenant_a, title="new notes")
    deleted = await client.delete(f"/v1/threads/{gone['id']}", headers=tenant_a.headers)
    assert deleted.status_code == 200

    assert await titles(client, tenant_a, title="notes") == ["new notes"]


@pytest.mark.parametrize("title", ["x" * 201, "a\u0000b"])
async def test_too_long_or_nul_title_is_422(
    client: httpx.AsyncClient, tenant_a: TenantUser, title: str
) -> None:
    response = await client.get("/v1/threads", params={"title": title}, headers=tenant_a.headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "title"]
