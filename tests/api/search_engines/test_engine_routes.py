"""`/v1/search-engines` management: status codes, bodies and rows in the database."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.search_engines.conftest import make_index
from tests.conftest import TenantUser
from wxo.search_engines.models import SearchEngine, SearchEngineIndex


async def _create(client: httpx.AsyncClient, tenant: TenantUser, **body: Any) -> httpx.Response:
    return await client.post("/v1/search-engines", json=body, headers=tenant.headers)


async def _engine_count(session: AsyncSession, tenant: TenantUser) -> int:
    stmt = select(func.count()).where(SearchEngine.tenant_id == tenant.tenant_id)
    return int((await session.execute(stmt)).scalar_one())


async def _links(session: AsyncSession, engine_id: str) -> list[uuid.UUID]:
    stmt = (
        select(SearchEngineIndex.index_id)
        .where(SearchEngineIndex.engine_id == uuid.UUID(engine_id))
        .order_by(SearchEngineIndex.position)
    )
    return list((await session.execute(stmt)).scalars().all())


async def test_create_get_list_patch_delete(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession
) -> None:
    first = await make_index(client, tenant_a, "one")
    second = await make_index(client, tenant_a, "two")
    created = await _create(
        client,
        tenant_a,
        name="web",
        title="Web search",
        index_ids=[second["id"], first["id"]],
        settings={"facets": ["tags", "meta.year"], "answer": {"length": "concise"}},
    )
    assert created.status_code == 201, created.text
    engine = created.json()
    assert engine["name"] == "web"
    assert engine["title"] == "Web search"
    assert engine["tenant_id"] == str(tenant_a.tenant_id)
    assert engine["index_ids"] == [second["id"], first["id"]]
    assert engine["settings"]["facets"] == ["tags", "meta.year"]
    assert engine["settings"]["answer"] == {"enabled": False, "model_id": None, "length": "concise"}
    assert engine["settings"]["top_k"] == 100
    assert engine["settings"]["rerank"] is False
    row = await session.get(SearchEngine, uuid.UUID(engine["id"]))
    assert row is not None
    assert row.tenant_id == tenant_a.tenant_id
    assert row.settings["facets"] == ["tags", "meta.year"]
    assert await _links(session, engine["id"]) == [uuid.UUID(second["id"]), uuid.UUID(first["id"])]

    got = await client.get(f"/v1/search-engines/{engine['id']}", headers=tenant_a.headers)
    assert got.status_code == 200
    assert got.json() == engine

    other = await _create(client, tenant_a, name="other", index_ids=[first["id"]])
    assert other.status_code == 201
    listed = await client.get("/v1/search-engines", headers=tenant_a.headers)
    assert listed.status_code == 200
    body = listed.json()
    assert (body["total"], body["limit"], body["offset"]) == (2, 50, 0)
    # (Both rows were made in the test's one transaction: same created_at, so no order check.)
    assert sorted(e["name"] for e in body["data"]) == ["other", "web"]
    pages = [
        await client.get(
            "/v1/search-engines", params={"limit": 1, "offset": n}, headers=tenant_a.headers
        )
        for n in (0, 1)
    ]
    assert [p.json()["total"] for p in pages] == [2, 2]
    assert [p.json()["data"][0]["name"] for p in pages] == [e["name"] for e in body["data"]]
    named = await client.get("/v1/search-engines", params={"name": "web"}, headers=tenant_a.headers)
    assert [e["id"] for e in named.json()["data"]] == [engine["id"]]

    patched = await client.patch(
        f"/v1/search-engines/{engine['id']}",
        json={"description": "all of it", "index_ids": [first["id"]]},
        headers=tenant_a.headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["description"] == "all of it"
    assert patched.json()["title"] == "Web search"  # not sent: unchanged
    assert patched.json()["settings"]["facets"] == ["tags", "meta.year"]
    assert patched.json()["index_ids"] == [first["id"]]
    assert await _links(session, engine["id"]) == [uuid.UUID(first["id"])]

    taken = await client.patch(
        f"/v1/search-engines/{engine['id']}", json={"name": "other"}, headers=tenant_a.headers
    )
    assert taken.status_code == 409
    await session.refresh(row)
    assert row.name == "web"

    deleted = await client.delete(f"/v1/search-engines/{engine['id']}", headers=tenant_a.headers)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert await session.get(SearchEngine, uuid.UUID(engine["id"])) is None
    assert await _links(session, engine["id"]) == []
    gone = await client.get(f"/v1/search-engines/{engine['id']}", headers=tenant_a.headers)
    assert gone.status_code == 404
    assert await _engine_count(session, tenant_a) == 1


async def test_duplicate_name_is_409(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession
) -> None:
    index = await make_index(client, tenant_a)
    assert (await _create(client, tenant_a, name="dup", index_ids=[index["id"]])).status_code == 201
    again = await _create(client, tenant_a, name="dup", index_ids=[index["id"]])
    assert again.status_code == 409
    assert "dup" in again.json()["detail"]
    assert await _engine_count(session, tenant_a) == 1


async def test_deleting_an_index_removes_it_from_engines(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession
) -> None:
    kept = await make_index(client, tenant_a, "kept")
    dropped = await make_index(client, tenant_a, "dropped")
    engine = (
        await _create(client, tenant_a, name="e", index_ids=[kept["id"], dropped["id"]])
    ).json()
    response = await client.delete(f"/v1/vector-indices/{dropped['id']}", headers=tenant_a.headers)
    assert response.status_code == 200
    got = await client.get(f"/v1/search-engines/{engine['id']}", headers=tenant_a.headers)
    assert got.json()["index_ids"] == [kept["id"]]


async def test_other_tenants_engine_and_index_are_404(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    tenant_b: TenantUser,
    session: AsyncSession,
) -> None:
    mine = await make_index(client, tenant_a)
    theirs = await make_index(client, tenant_b)
    engine = (await _create(client, tenant_a, name="a", index_ids=[mine["id"]])).json()
    path = f"/v1/search-engines/{engine['id']}"
    headers = tenant_b.headers
    assert (await client.get(path, headers=headers)).status_code == 404
    assert (await client.patch(path, json={"title": "x"}, headers=headers)).status_code == 404
    assert (await client.delete(path, headers=headers)).status_code == 404
    searched = await client.post(f"{path}/search", json={"query": "x"}, headers=headers)
    assert searched.status_code == 404
    suggested = await client.get(f"{path}/suggest", params={"q": "x"}, headers=headers)
    assert suggested.status_code == 404
    listed = await client.get("/v1/search-engines", headers=headers)
    assert listed.json()["total"] == 0
    row = await session.get(SearchEngine, uuid.UUID(engine["id"]))
    assert row is not None
    assert row.title is None

    # Tenant B cannot point an engine at A's index, nor A at B's.
    foreign = await _create(client, tenant_b, name="b", index_ids=[mine["id"]])
    assert foreign.status_code == 404
    assert mine["id"] in foreign.json()["detail"]
    assert await _engine_count(session, tenant_b) == 0
    patched = await client.patch(path, json={"index_ids": [theirs["id"]]}, headers=tenant_a.headers)
    assert patched.status_code == 404
    assert await _links(session, engine["id"]) == [uuid.UUID(mine["id"])]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"settings": {"facets": ["colour"]}}, "facets"),
        ({"settings": {"facets": ["meta."]}}, "facets"),
        ({"settings": {"facets": ["tags", "tags"]}}, "facets"),
        ({"settings": {"top_k": 0}}, "top_k"),
        ({"settings": {"snippet_chars": 5}}, "snippet_chars"),
        ({"settings": {"mode": "fuzzy"}}, "mode"),
        ({"settings": {"answer": {"length": "long"}}}, "length"),
        ({"index_ids": []}, "index_ids"),
        ({"index_ids": ["not-a-uuid"]}, "index_ids"),
        ({"name": ""}, "name"),
        ({"surprise": 1}, "surprise"),
        ({"data_management": {"refresh_schedule": "61 * * * *"}}, "minute"),
        ({"data_management": {"refresh_schedule": "* *"}}, "5 fields"),
        ({"data_management": {"every": "day"}}, "every"),
    ],
)
async def test_bad_engine_bodies_are_422(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    session: AsyncSession,
    body: dict[str, Any],
    where: str,
) -> None:
    index = await make_index(client, tenant_a)
    response = await _create(
        client, tenant_a, **{"name": "bad", "index_ids": [index["id"]], **body}
    )
    assert response.status_code == 422, response.text
    assert where in str(response.json()["detail"])
    assert await _engine_count(session, tenant_a) == 0


async def test_unknown_index_is_404_and_rerank_is_400(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession
) -> None:
    index = await make_index(client, tenant_a)
    missing = str(uuid.uuid4())
    unknown = await _create(client, tenant_a, name="u", index_ids=[index["id"], missing])
    assert unknown.status_code == 404
    assert missing in unknown.json()["detail"]
    rerank = await _create(
        client, tenant_a, name="r", index_ids=[index["id"]], settings={"rerank": True}
    )
    assert rerank.status_code == 400
    assert "rerank" in rerank.json()["detail"].lower()
    assert await _engine_count(session, tenant_a) == 0

    engine = (await _create(client, tenant_a, name="ok", index_ids=[index["id"]])).json()
    path = f"/v1/search-engines/{engine['id']}"
    refused = await client.patch(
        path, json={"settings": {"rerank": True}}, headers=tenant_a.headers
    )
    assert refused.status_code == 400
    row = await session.get(SearchEngine, uuid.UUID(engine["id"]))
    assert row is not None
    await session.refresh(row)
    assert row.settings["rerank"] is False


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"query": ""}, "query"),
        ({"query": "   "}, "query"),
        ({"query": "x", "page": 0}, "page"),
        ({"query": "x", "page_size": 51}, "page_size"),
        ({"query": "x", "page_size": 0}, "page_size"),
        ({"query": "x", "filters": {"colours": ["red"]}}, "colours"),
        ({"page": 1}, "query"),
    ],
)
async def test_bad_search_requests_are_422(
    client: httpx.AsyncClient, tenant_a: TenantUser, body: dict[str, Any], where: str
) -> None:
    index = await make_index(client, tenant_a)
    engine = (await _create(client, tenant_a, name="s", index_ids=[index["id"]])).json()
    response = await client.post(
        f"/v1/search-engines/{engine['id']}/search", json=body, headers=tenant_a.headers
    )
    assert response.status_code == 422, response.text
    assert where in str(response.json()["detail"])


async def test_bad_suggest_requests_are_422(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    index = await make_index(client, tenant_a)
    engine = (await _create(client, tenant_a, name="s", index_ids=[index["id"]])).json()
    path = f"/v1/search-engines/{engine['id']}/suggest"
    assert (await client.get(path, headers=tenant_a.headers)).status_code == 422
    assert (await client.get(path, params={"q": ""}, headers=tenant_a.headers)).status_code == 422
    too_many = await client.get(path, params={"q": "a", "limit": 51}, headers=tenant_a.headers)
    assert too_many.status_code == 422


async def test_search_of_an_empty_index_is_empty(
    client: httpx.AsyncClient, tenant_a: TenantUser
) -> None:
    index = await make_index(client, tenant_a)
    engine = (await _create(client, tenant_a, name="s", index_ids=[index["id"]])).json()
    response = await client.post(
        f"/v1/search-engines/{engine['id']}/search",
        json={"query": "anything at all"},
        headers=tenant_a.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total"], body["total_relation"], body["has_more"]) == (0, "eq", False)
    assert body["results"] == []
    assert body["facets"] == {"collection": {}, "tags": {}, "content_type": {}}
    assert body["answer"] is None


async def test_answer_model_must_be_a_chat_model_of_the_tenant(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession
) -> None:
    index = await make_index(client, tenant_a)
    unknown = await _create(
        client,
        tenant_a,
        name="m",
        index_ids=[index["id"]],
        settings={"answer": {"model_id": "no-such-model"}},
    )
    assert unknown.status_code == 404, unknown.text
    assert "no-such-model" in unknown.json()["detail"]
    assert await _engine_count(session, tenant_a) == 0
    quoted = await _create(
        client,
        tenant_a,
        name="m",
        index_ids=[index["id"]],
        settings={"answer": {"enabled": True, "model_id": "local/extractive"}},
    )
    assert quoted.status_code == 201, quoted.text
    assert quoted.json()["settings"]["answer"]["model_id"] == "local/extractive"
    path = f"/v1/search-engines/{quoted.json()['id']}"
    refused = await client.patch(
        path, json={"settings": {"answer": {"model_id": "nope"}}}, headers=tenant_a.headers
    )
    assert refused.status_code == 404
    row = await session.get(SearchEngine, uuid.UUID(quoted.json()["id"]))
    assert row is not None
    await session.refresh(row)
    assert row.settings["answer"]["model_id"] == "local/extractive"


async def _schedule(session: AsyncSession, engine_id: str) -> tuple[str, list[str]] | None:
    row = (
        await session.execute(
            text(
                "SELECT cron, index_ids FROM refresh_schedule"
                " WHERE owner_kind = 'search_engine' AND owner_id = :id"
            ),
            {"id": uuid.UUID(engine_id)},
        )
    ).first()
    return None if row is None else (str(row[0]), list(row[1]))


async def test_refresh_schedule_is_registered_shown_changed_and_removed(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession
) -> None:
    first = await make_index(client, tenant_a, "one")
    second = await make_index(client, tenant_a, "two")
    created = await _create(
        client,
        tenant_a,
        name="scheduled",
        index_ids=[first["id"]],
        data_management={"refresh_schedule": "0  3 * *  MON"},
    )
    assert created.status_code == 201, created.text
    engine = created.json()
    assert engine["data_management"] == {"refresh_schedule": "0 3 * * mon"}
    assert await _schedule(session, engine["id"]) == ("0 3 * * mon", [first["id"]])
    path = f"/v1/search-engines/{engine['id']}"
    got = await client.get(path, headers=tenant_a.headers)
    assert got.json()["data_management"] == {"refresh_schedule": "0 3 * * mon"}
    listed = await client.get("/v1/search-engines", headers=tenant_a.headers)
    assert [e["data_management"] for e in listed.json()["data"]] == [
        {"refresh_schedule": "0 3 * * mon"}
    ]

    # New indices: the schedule follows them; other keys leave it alone.
    patched = await client.patch(
        path, json={"index_ids": [second["id"], first["id"]]}, headers=tenant_a.headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["data_management"] == {"refresh_schedule": "0 3 * * mon"}
    assert await _schedule(session, engine["id"]) == ("0 3 * * mon", [second["id"], first["id"]])
    patched = await client.patch(
        path, json={"settings": {"top_k": 7}, "title": "t"}, headers=tenant_a.headers
    )
    assert patched.json()["data_management"] == {"refresh_schedule": "0 3 * * mon"}
    patched = await client.patch(
        path, json={"data_management": {"refresh_schedule": "@daily"}}, headers=tenant_a.headers
    )
    assert patched.json()["data_management"] == {"refresh_schedule": "@daily"}
    assert await _schedule(session, engine["id"]) == ("@daily", [second["id"], first["id"]])
    refused = await client.patch(
        path, json={"data_management": {"refresh_schedule": "0 25 * * *"}}, headers=tenant_a.headers
    )
    assert refused.status_code == 422
    assert await _schedule(session, engine["id"]) == ("@daily", [second["id"], first["id"]])
    patched = await client.patch(
        path, json={"data_management": {"refresh_schedule": None}}, headers=tenant_a.headers
    )
    assert patched.json()["data_management"] == {"refresh_schedule": None}
    assert await _schedule(session, engine["id"]) is None
    patched = await client.patch(path, json={"index_ids": [first["id"]]}, headers=tenant_a.headers)
    assert patched.status_code == 200
    assert await _schedule(session, engine["id"]) is None  # no schedule is made up

    await client.patch(
        path, json={"data_management": {"refresh_schedule": "@hourly"}}, headers=tenant_a.headers
    )
    assert await _schedule(session, engine["id"]) == ("@hourly", [first["id"]])
    assert (await client.delete(path, headers=tenant_a.headers)).status_code == 204
    assert await _schedule(session, engine["id"]) is None
    plain = (await _create(client, tenant_a, name="plain", index_ids=[first["id"]])).json()
    assert plain["data_management"] == {"refresh_schedule": None}
    assert await _schedule(session, plain["id"]) is None
