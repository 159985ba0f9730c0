"""`/v1/query-engines` management: status codes, bodies and rows in the database."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.query_engines.conftest import make_index
from tests.conftest import TenantUser
from wxo.query_engines.models import QueryEngine, QueryEngineIndex


async def _create(client: httpx.AsyncClient, tenant: TenantUser, **body: Any) -> httpx.Response:
    return await client.post("/v1/query-engines", json=body, headers=tenant.headers)


async def _count(session: AsyncSession, tenant: TenantUser) -> int:
    stmt = select(func.count()).where(QueryEngine.tenant_id == tenant.tenant_id)
    return int((await session.execute(stmt)).scalar_one())


async def _links(session: AsyncSession, engine_id: str) -> list[uuid.UUID]:
    stmt = (
        select(QueryEngineIndex.index_id)
        .where(QueryEngineIndex.engine_id == uuid.UUID(engine_id))
        .order_by(QueryEngineIndex.position)
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
        name="rag",
        index_ids=[second["id"], first["id"]],
        model_id="local/extractive",
        retrieval={"mode": "hybrid", "top_k": 4, "patterns": ["recency", "sentence_window"]},
        synthesis={"mode": "refine", "system_prompt": "Be brief.", "max_tokens": 100},
        data_management={"refresh_schedule": "0  3 * * mon-fri"},
    )
    assert created.status_code == 201, created.text
    engine = created.json()
    assert engine["name"] == "rag"
    assert engine["tenant_id"] == str(tenant_a.tenant_id)
    assert engine["index_ids"] == [second["id"], first["id"]]
    assert engine["model_id"] == "local/extractive"
    assert engine["retrieval"] == {
        "mode": "hybrid",
        "top_k": 4,
        "rerank": {"enabled": False, "top_n": None},
        "patterns": ["recency", "sentence_window"],
    }
    assert engine["synthesis"]["mode"] == "refine"
    assert engine["synthesis"]["citations"] is True
    assert engine["data_management"] == {
        "refresh_schedule": "0 3 * * mon-fri",
        "reindex_on_change": True,
    }
    row = await session.get(QueryEngine, uuid.UUID(engine["id"]))
    assert row is not None
    assert row.tenant_id == tenant_a.tenant_id
    assert row.model_id == "local/extractive"
    assert row.config["retrieval"]["patterns"] == ["recency", "sentence_window"]
    assert row.config["synthesis"]["system_prompt"] == "Be brief."
    assert await _links(session, engine["id"]) == [uuid.UUID(second["id"]), uuid.UUID(first["id"])]

    got = await client.get(f"/v1/query-engines/{engine['id']}", headers=tenant_a.headers)
    assert got.status_code == 200
    assert got.json() == engine

    for name in ("b", "c"):
        assert (
            await _create(client, tenant_a, name=name, index_ids=[first["id"]])
        ).status_code == 201
    page = await client.get(
        "/v1/query-engines", params={"limit": 2, "offset": 1}, headers=tenant_a.headers
    )
    assert page.status_code == 200
    listed = page.json()
    assert listed["total"] == 3
    assert (listed["limit"], listed["offset"]) == (2, 1)
    everything = (await client.get("/v1/query-engines", headers=tenant_a.headers)).json()
    assert sorted(e["name"] for e in everything["data"]) == ["b", "c", "rag"]
    assert listed["data"] == everything["data"][1:3]  # one stable order (one transaction: ties)
    named = await client.get("/v1/query-engines", params={"name": "c"}, headers=tenant_a.headers)
    assert [e["name"] for e in named.json()["data"]] == ["c"]

    patched = await client.patch(
        f"/v1/query-engines/{engine['id']}",
        json={
            "name": "rag2",
            "index_ids": [first["id"]],
            "model_id": None,
            "retrieval": {"patterns": ["auto_merging"]},
        },
        headers=tenant_a.headers,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["name"] == "rag2"
    assert body["model_id"] is None
    assert body["retrieval"]["patterns"] == ["auto_merging"]
    assert body["retrieval"]["top_k"] == 5  # replaced as a whole: defaults
    assert body["synthesis"]["mode"] == "refine"  # not sent: kept
    await session.refresh(row)
    assert row.name == "rag2"
    assert row.model_id is None
    assert await _links(session, engine["id"]) == [uuid.UUID(first["id"])]

    deleted = await client.delete(f"/v1/query-engines/{engine['id']}", headers=tenant_a.headers)
    assert deleted.status_code == 204
    session.expunge_all()
    assert await session.get(QueryEngine, uuid.UUID(engine["id"])) is None
    assert await _links(session, engine["id"]) == []
    again = await client.get(f"/v1/query-engines/{engine['id']}", headers=tenant_a.headers)
    assert again.status_code == 404
    assert (
        await client.get(f"/v1/vector-indices/{first['id']}", headers=tenant_a.headers)
    ).status_code == 200


async def test_deleting_an_index_removes_it_from_the_engine(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession
) -> None:
    index = await make_index(client, tenant_a, "gone")
    kept = await make_index(client, tenant_a, "kept")
    engine = (await _create(client, tenant_a, name="e", index_ids=[index["id"], kept["id"]])).json()
    assert (
        await client.delete(f"/v1/vector-indices/{index['id']}", headers=tenant_a.headers)
    ).status_code == 200
    got = await client.get(f"/v1/query-engines/{engine['id']}", headers=tenant_a.headers)
    assert got.json()["index_ids"] == [kept["id"]]


async def test_other_tenants_engines_are_not_found(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser, session: AsyncSession
) -> None:
    index = await make_index(client, tenant_a)
    engine = (await _create(client, tenant_a, name="mine", index_ids=[index["id"]])).json()
    path = f"/v1/query-engines/{engine['id']}"
    assert (await client.get(path, headers=tenant_b.headers)).status_code == 404
    assert (
        await client.patch(path, json={"name": "x"}, headers=tenant_b.headers)
    ).status_code == 404
    assert (await client.delete(path, headers=tenant_b.headers)).status_code == 404
    queried = await client.post(f"{path}/query", json={"query": "hi"}, headers=tenant_b.headers)
    assert queried.status_code == 404
    listed = await client.get("/v1/query-engines", headers=tenant_b.headers)
    assert listed.json()["total"] == 0
    row = await session.get(QueryEngine, uuid.UUID(engine["id"]))
    assert row is not None
    assert row.name == "mine"
    # tenant B cannot point an engine at tenant A's index either
    foreign = await _create(client, tenant_b, name="theirs", index_ids=[index["id"]])
    assert foreign.status_code == 404
    assert index["id"] in foreign.json()["detail"]
    assert await _count(session, tenant_b) == 0


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"index_ids": []}, 422, "index_ids"),
        ({"retrieval": {"patterns": ["telepathy"]}}, 422, "patterns"),
        ({"retrieval": {"patterns": ["hyde", "hyde"]}}, 422, "repeat"),
        ({"retrieval": {"top_k": 0}}, 422, "top_k"),
        ({"synthesis": {"mode": "poem"}}, 422, "mode"),
        ({"data_management": {"refresh_schedule": "every day"}}, 422, "cron"),
        ({"data_management": {"refresh_schedule": "61 * * * *"}}, 422, "minute"),
        ({"data_management": {"refresh_schedule": "0 5-2 * * *"}}, 422, "backwards"),
        ({"retrieval": {"rerank": {"enabled": True}}}, 400, "Reranking is not available"),
        ({"model_id": "nobody/unknown-model"}, 400, "nobody/unknown-model"),
        ({"model_id": "local/all-minilm-l6-v2"}, 400, "local/all-minilm-l6-v2"),
        ({"unexpected": 1}, 422, "unexpected"),
    ],
)
async def test_bad_engines_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    session: AsyncSession,
    body: dict[str, Any],
    status: int,
    words: str,
) -> None:
    index = await make_index(client, tenant_a)
    response = await _create(
        client, tenant_a, **{"name": "bad", "index_ids": [index["id"]], **body}
    )
    assert response.status_code == status, response.text
    assert words in response.text
    assert await _count(session, tenant_a) == 0


async def test_unknown_index_duplicate_name_and_bad_patch(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession
) -> None:
    index = await make_index(client, tenant_a)
    missing = str(uuid.uuid4())
    unknown = await _create(client, tenant_a, name="x", index_ids=[missing])
    assert unknown.status_code == 404
    assert missing in unknown.json()["detail"]
    assert await _count(session, tenant_a) == 0
    engine = (await _create(client, tenant_a, name="x", index_ids=[index["id"]])).json()
    duplicate = await _create(client, tenant_a, name="x", index_ids=[index["id"]])
    assert duplicate.status_code == 409
    assert await _count(session, tenant_a) == 1
    path = f"/v1/query-engines/{engine['id']}"
    for patch, status in (
        ({"data_management": {"refresh_schedule": "* * *"}}, 422),
        ({"model_id": "nobody/unknown-model"}, 400),
        ({"retrieval": {"rerank": {"enabled": True, "top_n": 3}}}, 400),
        ({"index_ids": [missing]}, 404),
    ):
        response = await client.patch(path, json=patch, headers=tenant_a.headers)
        assert response.status_code == status, (patch, response.text)
    row = await session.get(QueryEngine, uuid.UUID(engine["id"]))
    assert row is not None
    await session.refresh(row)
    assert row.model_id is None
    assert row.config["data_management"]["refresh_schedule"] is None
    assert row.config["retrieval"]["rerank"]["enabled"] is False
    assert await _links(session, engine["id"]) == [uuid.UUID(index["id"])]


@pytest.mark.parametrize("query", ["", "   ", None])
async def test_empty_queries_are_refused(
    client: httpx.AsyncClient, tenant_a: TenantUser, query: str | None
) -> None:
    index = await make_index(client, tenant_a)
    engine = (await _create(client, tenant_a, name="q", index_ids=[index["id"]])).json()
    body = {} if query is None else {"query": query}
    response = await client.post(
        f"/v1/query-engines/{engine['id']}/query", json=body, headers=tenant_a.headers
    )
    assert response.status_code == 422, response.text
    assert "query" in response.text


async def _schedule(session: AsyncSession, engine_id: str) -> tuple[str, list[str]] | None:
    row = (
        await session.execute(
            text(
                "SELECT cron, index_ids FROM refresh_schedule"
                " WHERE owner_kind = 'query_engine' AND owner_id = :id"
            ),
            {"id": uuid.UUID(engine_id)},
        )
    ).first()
    return None if row is None else (str(row[0]), list(row[1]))


async def test_refresh_schedule_is_registered_changed_and_removed(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession
) -> None:
    first = await make_index(client, tenant_a, "one")
    second = await make_index(client, tenant_a, "two")
    engine = (
        await _create(
            client,
            tenant_a,
            name="scheduled",
            index_ids=[first["id"]],
            data_management={"refresh_schedule": "@daily"},
        )
    ).json()
    assert await _schedule(session, engine["id"]) == ("@daily", [first["id"]])
    path = f"/v1/query-engines/{engine['id']}"
    patched = await client.patch(
        path, json={"index_ids": [second["id"], first["id"]]}, headers=tenant_a.headers
    )
    assert patched.status_code == 200
    assert await _schedule(session, engine["id"]) == ("@daily", [second["id"], first["id"]])
    patched = await client.patch(
        path, json={"data_management": {"refresh_schedule": "30 2 * * 1"}}, headers=tenant_a.headers
    )
    assert patched.status_code == 200
    assert await _schedule(session, engine["id"]) == ("30 2 * * 1", [second["id"], first["id"]])
    patched = await client.patch(
        path, json={"data_management": {"refresh_schedule": None}}, headers=tenant_a.headers
    )
    assert patched.status_code == 200
    assert await _schedule(session, engine["id"]) is None
    await client.patch(
        path, json={"data_management": {"refresh_schedule": "@hourly"}}, headers=tenant_a.headers
    )
    assert await _schedule(session, engine["id"]) is not None
    assert (await client.delete(path, headers=tenant_a.headers)).status_code == 204
    assert await _schedule(session, engine["id"]) is None
    # no schedule asked: none registered
    plain = (await _create(client, tenant_a, name="plain", index_ids=[first["id"]])).json()
    assert await _schedule(session, plain["id"]) is None
