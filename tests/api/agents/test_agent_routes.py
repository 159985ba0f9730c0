"""Contract tests of `/v1/orchestrate/agents`: bodies, status codes and the rows behind them."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.agents.conftest import make_agent, make_kb
from tests.api.documents.conftest import RecordingQueue
from tests.conftest import TenantUser
from wxo.agents import repository as agent_repository
from wxo.agents import service
from wxo.agents.exceptions import AgentNotFoundError
from wxo.agents.models import Agent

URL = "/v1/orchestrate/agents"


async def _row(session: AsyncSession, agent_id: str) -> Agent | None:
    result = await session.execute(select(Agent).where(Agent.id == uuid.UUID(agent_id)))
    return result.scalar_one_or_none()


async def test_create_stores_the_native_agent_and_round_trips_extra_fields(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession
) -> None:
    body: dict[str, Any] = {
        "name": "greeter",
        "display_name": "Greeter",
        "description": "Says hello",
        "instructions": "Be brief.",
        "llm": "local/extractive",
        "style": "react",
        "tools": ["get_weather", "get_weather", "lookup"],
        "spec_version": "v1",
        "kind": "native",
        "guidelines": [{"condition": "rude user", "action": "stay calm"}],
        "additional_properties": {"starter_prompts": {"customize": []}, "icon": "<svg/>"},
        "hidden": False,
        "tags": ["demo"],
        "id": str(uuid.uuid4()),  # server-managed: ignored
    }
    response = await client.post(URL, json=body, headers=tenant_a.headers)

    assert response.status_code == 201, response.text
    agent = response.json()
    assert agent["id"] != body["id"]
    assert agent["tenant_id"] == str(tenant_a.tenant_id)
    for key in ("name", "display_name", "description", "instructions", "llm", "style"):
        assert agent[key] == body[key]
    assert agent["tools"] == ["get_weather", "lookup"]
    assert agent["knowledge_base"] == []
    assert agent["collaborators"] == []
    for key in ("spec_version", "kind", "guidelines", "additional_properties", "hidden", "tags"):
        assert agent[key] == body[key]
    row = await _row(session, agent["id"])
    assert row is not None
    assert row.tenant_id == tenant_a.tenant_id
    assert row.created_by == tenant_a.user_id
    assert row.extra["guidelines"] == body["guidelines"]
    assert "id" not in row.extra
    fetched = await client.get(f"{URL}/{agent['id']}", headers=tenant_a.headers)
    assert fetched.status_code == 200
    assert fetched.json() == agent


async def test_defaults_and_null_llm(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession
) -> None:
    agent = await make_agent(client, tenant_a, "plain")
    assert agent["llm"] is None
    assert agent["style"] == "default"
    assert agent["kind"] == "native"
    assert agent["display_name"] is None
    spec = await service.load_spec(session, tenant_a.tenant_id, "plain")
    assert spec.llm is None
    assert spec.style == "default"
    assert spec.tools == ()


async def test_name_unique_per_tenant(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser, session: AsyncSession
) -> None:
    await make_agent(client, tenant_a, "dup")
    again = await client.post(URL, json={"name": "dup"}, headers=tenant_a.headers)
    assert again.status_code == 409
    assert "dup" in again.json()["detail"]
    await make_agent(client, tenant_b, "dup")  # another tenant may use it
    rows = (await session.execute(select(Agent).where(Agent.name == "dup"))).scalars().all()
    assert {r.tenant_id for r in rows} == {tenant_a.tenant_id, tenant_b.tenant_id}


@pytest.mark.parametrize(
    "name",
    [
        "has space",
        "1starts_with_digit",
        "",
        "x" * 65,
        "dots.not.allowed",
        "0b5e8a3c-1d2f-4e6a-9b7c-8d9e0f1a2b3c",
        "abcdefab-abcd-abcd-abcd-abcdefabcdef",
    ],
)
async def test_bad_names_are_refused(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession, name: str
) -> None:
    response = await client.post(URL, json={"name": name}, headers=tenant_a.headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:2] == ["body", "name"]
    count = await session.execute(select(Agent).where(Agent.tenant_id == tenant_a.tenant_id))
    assert count.scalars().all() == []


@pytest.mark.parametrize(
    "body",
    [
        {"style": "freestyle"},
        {"tools": "not-a-list"},
        {"collaborators": [""]},
        {"instructions": 5},
    ],
)
async def test_bad_fields_are_422(
    client: httpx.AsyncClient, tenant_a: TenantUser, body: dict[str, Any]
) -> None:
    response = await client.post(URL, json={"name": "ok", **body}, headers=tenant_a.headers)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("llm", ["nope/unknown-model", "local/all-minilm-l6-v2"])
async def test_unknown_or_non_chat_llm_is_400_with_a_hint(
    client: httpx.AsyncClient, tenant_a: TenantUser, session: AsyncSession, llm: str
) -> None:
    response = await client.post(URL, json={"name": "a", "llm": llm}, headers=tenant_a.headers)
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert llm in detail
    assert "GET /v1/models" in detail
    assert (
        await service.list_agents(
            session, tenant_a.tenant_id, names=[], ids=[], include_hidden=True, limit=10, offset=0
        )
        == []
    )


async def test_knowledge_bases_resolve_by_name_or_id_to_ids(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    tenant_b: TenantUser,
    queue: RecordingQueue,
    session: AsyncSession,
) -> None:
    first = await make_kb(client, tenant_a, "manuals")
    second = await make_kb(client, tenant_a, "faq")
    foreign = await make_kb(client, tenant_b, "secret")

    agent = await make_agent(
        client, tenant_a, "reader", knowledge_base=["manuals", second["id"], "manuals"]
    )
    assert agent["knowledge_base"] == [first["id"], second["id"]]
    row = await _row(session, agent["id"])
    assert row is not None
    assert row.knowledge_base_ids == [first["id"], second["id"]]

    for bad in (["nothing-here"], [foreign["id"]], ["secret"]):
        response = await client.post(
            URL, json={"name": "bad", "knowledge_base": bad}, headers=tenant_a.headers
        )
        assert response.status_code == 400, response.text
        assert bad[0] in response.json()["detail"]


async def test_collaborators_resolve_and_cannot_be_unknown_or_self(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser
) -> None:
    worker = await make_agent(client, tenant_a, "worker")
    other = await make_agent(client, tenant_a, "other")
    foreign = await make_agent(client, tenant_b, "foreign")
    boss = await make_agent(client, tenant_a, "boss", collaborators=["worker", other["id"]])
    assert boss["collaborators"] == [worker["id"], other["id"]]

    for bad in (["ghost"], [foreign["id"]], ["foreign"]):
        response = await client.post(
            URL, json={"name": "bad", "collaborators": bad}, headers=tenant_a.headers
        )
        assert response.status_code == 400, response.text
        assert bad[0] in response.json()["detail"]
    itself = await client.post(
        URL, json={"name": "narcissus", "collaborators": ["narcissus"]}, headers=tenant_a.headers
    )
    assert itself.status_code == 400
    assert "own collaborator" in itself.json()["detail"]
    by_id = await client.patch(
        f"{URL}/{boss['id']}", json={"collaborators": [boss["id"]]}, headers=tenant_a.headers
    )
    assert by_id.status_code == 400
    assert "own collaborator" in by_id.json()["detail"]
    by_new_name = await client.patch(
        f"{URL}/{boss['id']}",
        json={"name": "chief", "collaborators": ["chief"]},
        headers=tenant_a.headers,
    )
    assert by_new_name.status_code == 400


async def test_list_is_a_bare_array_filtered_by_names_and_ids(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser
) -> None:
    one = await make_agent(client, tenant_a, "one")
    hidden = await make_agent(client, tenant_a, "ghosty", hidden=True)
    two = await make_agent(client, tenant_a, "two")
    shown = await make_agent(client, tenant_a, "shown", hidden=False)
    await make_agent(client, tenant_b, "one")

    everything = await client.get(URL, headers=tenant_a.headers)
    assert everything.status_code == 200
    assert [a["id"] for a in everything.json()] == [one["id"], two["id"], shown["id"]]
    first = await client.get(URL, params={"limit": 2}, headers=tenant_a.headers)
    assert [a["id"] for a in first.json()] == [one["id"], two["id"]]  # hidden ones use no slot
    with_hidden = await client.get(
        URL, params={"include_hidden": "true", "include": "global"}, headers=tenant_a.headers
    )
    assert [a["id"] for a in with_hidden.json()] == [
        one["id"],
        hidden["id"],
        two["id"],
        shown["id"],
    ]
    paged = await client.get(
        URL, params={"include_hidden": "true", "limit": 2, "offset": 1}, headers=tenant_a.headers
    )
    assert [a["id"] for a in paged.json()] == [hidden["id"], two["id"]]
    by_names = await client.get(
        f"{URL}?names=two&names=nobody&include_hidden=true", headers=tenant_a.headers
    )
    assert [a["id"] for a in by_names.json()] == [two["id"]]
    by_ids = await client.get(
        f"{URL}?ids={one['id']}&ids={hidden['id']}&include_hidden=true", headers=tenant_a.headers
    )
    assert [a["id"] for a in by_ids.json()] == [one["id"], hidden["id"]]
    both = await client.get(
        f"{URL}?ids={one['id']}&names=two&include_hidden=true", headers=tenant_a.headers
    )
    assert both.json() == []
    bad_id = await client.get(f"{URL}?ids=not-a-uuid", headers=tenant_a.headers)
    assert bad_id.status_code == 422


async def test_get_by_id_or_name_and_tenancy(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser
) -> None:
    agent = await make_agent(client, tenant_a, "mine")
    by_name = await client.get(f"{URL}/mine", headers=tenant_a.headers)
    assert by_name.status_code == 200
    assert by_name.json()["id"] == agent["id"]
    for ref in (agent["id"], "mine", str(uuid.uuid4())):
        response = await client.get(f"{URL}/{ref}", headers=tenant_b.headers)
        assert response.status_code == 404
        detail = response.json()["detail"]
        assert "Agent" in detail
        assert "not found" in detail  # what IBM's client looks for
    assert (await client.get(f"{URL}/{agent['id']}")).status_code == 401


async def test_patch_changes_only_what_is_sent(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue, session: AsyncSession
) -> None:
    kb = await make_kb(client, tenant_a, "docs")
    agent = await make_agent(
        client,
        tenant_a,
        "editable",
        description="before",
        instructions="keep",
        tags=["a"],
        guidelines=[{"x": 1}],
    )
    before = await _row(session, agent["id"])
    assert before is not None
    stamp = before.updated_at
    response = await client.patch(
        f"{URL}/{agent['id']}",
        json={
            "description": "after",
            "llm": "local/extractive",
            "knowledge_base": ["docs"],
            "tags": None,
            "icon": "<svg/>",
        },
        headers=tenant_a.headers,
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["description"] == "after"
    assert updated["instructions"] == "keep"
    assert updated["llm"] == "local/extractive"
    assert updated["knowledge_base"] == [kb["id"]]
    assert "tags" not in updated
    assert updated["guidelines"] == [{"x": 1}]
    assert updated["icon"] == "<svg/>"
    row = await _row(session, agent["id"])
    assert row is not None
    await session.refresh(row)
    assert row.description == "after"
    assert "tags" not in row.extra
    assert row.updated_at > stamp

    bad_llm = await client.patch(
        f"{URL}/{agent['id']}", json={"llm": "missing/model"}, headers=tenant_a.headers
    )
    assert bad_llm.status_code == 400
    to_default = await client.patch(
        f"{URL}/{agent['id']}", json={"llm": None}, headers=tenant_a.headers
    )
    assert to_default.json()["llm"] is None


async def test_patch_name_conflict_and_other_tenant(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser
) -> None:
    await make_agent(client, tenant_a, "taken")
    agent = await make_agent(client, tenant_a, "mover")
    clash = await client.patch(f"{URL}/mover", json={"name": "taken"}, headers=tenant_a.headers)
    assert clash.status_code == 409
    renamed = await client.patch(f"{URL}/mover", json={"name": "moved"}, headers=tenant_a.headers)
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "moved"
    foreign = await client.patch(
        f"{URL}/{agent['id']}", json={"description": "x"}, headers=tenant_b.headers
    )
    assert foreign.status_code == 404


async def test_delete_and_collaborator_references(
    client: httpx.AsyncClient, tenant_a: TenantUser, tenant_b: TenantUser, session: AsyncSession
) -> None:
    helper = await make_agent(client, tenant_a, "helper")
    lead = await make_agent(client, tenant_a, "lead", collaborators=["helper"])
    foreign = await client.delete(f"{URL}/{helper['id']}", headers=tenant_b.headers)
    assert foreign.status_code == 404

    refused = await client.delete(f"{URL}/{helper['id']}", headers=tenant_a.headers)
    assert refused.status_code == 409
    assert "'lead'" in refused.json()["detail"]
    assert await _row(session, helper["id"]) is not None

    cleared = await client.patch(
        f"{URL}/{lead['id']}", json={"collaborators": []}, headers=tenant_a.headers
    )
    assert cleared.json()["collaborators"] == []
    deleted = await client.delete(f"{URL}/{helper['id']}", headers=tenant_a.headers)
    assert deleted.status_code == 200
    assert deleted.json() == {"id": helper["id"], "deleted": True}
    assert await _row(session, helper["id"]) is None
    assert (await client.get(f"{URL}/{helper['id']}", headers=tenant_a.headers)).status_code == 404
    again = await client.delete(f"{URL}/{helper['id']}", headers=tenant_a.headers)
    assert again.status_code == 404


async def test_a_deleted_knowledge_base_disappears_from_its_agents(
    client: httpx.AsyncClient, tenant_a: TenantUser, queue: RecordingQueue, session: AsyncSession
) -> None:
    kept = await make_kb(client, tenant_a, "kept")
    dropped = await make_kb(client, tenant_a, "dropped")
    agent = await make_agent(client, tenant_a, "user", knowledge_base=["kept", "dropped"])
    assert agent["knowledge_base"] == [kept["id"], dropped["id"]]

    gone = await client.delete(
        f"/v1/orchestrate/knowledge-bases/{dropped['id']}", headers=tenant_a.headers
    )
    assert gone.status_code == 200
    fetched = await client.get(f"{URL}/{agent['id']}", headers=tenant_a.headers)
    assert fetched.json()["knowledge_base"] == [kept["id"]]
    spec = await service.load_spec(session, tenant_a.tenant_id, agent["id"])
    assert spec.knowledge_base_ids == (uuid.UUID(kept["id"]),)


async def test_load_spec_by_id_or_name_and_not_another_tenants(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    tenant_b: TenantUser,
    queue: RecordingQueue,
    session: AsyncSession,
) -> None:
    kb = await make_kb(client, tenant_a, "library")
    helper = await make_agent(client, tenant_a, "helper2")
    agent = await make_agent(
        client,
        tenant_a,
        "librarian",
        display_name="Librarian",
        description="Finds books",
        instructions="Cite sources.",
        llm="local/extractive",
        style="planner",
        tools=["t1"],
        knowledge_base=["library"],
        collaborators=["helper2"],
    )
    for ref in (agent["id"], "librarian"):
        spec = await service.load_spec(session, tenant_a.tenant_id, ref)
        assert spec.id == uuid.UUID(agent["id"])
        assert spec.name == "librarian"
        assert spec.display_name == "Librarian"
        assert spec.description == "Finds books"
        assert spec.instructions == "Cite sources."
        assert spec.llm == "local/extractive"
        assert spec.style == "planner"
        assert spec.tools == ("t1",)
        assert spec.knowledge_base_ids == (uuid.UUID(kb["id"]),)
        assert spec.collaborator_ids == (uuid.UUID(helper["id"]),)
    for ref in (agent["id"], "librarian", "nobody"):
        with pytest.raises(AgentNotFoundError):
            await service.load_spec(session, tenant_b.tenant_id, ref)


async def test_a_create_losing_the_name_race_is_409(
    client: httpx.AsyncClient,
    tenant_a: TenantUser,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await make_agent(client, tenant_a, "raced")

    async def not_seen(*_: object) -> None:  # the other create commits after our check
        return None

    monkeypatch.setattr(agent_repository, "get_by_name", not_seen)
    response = await client.post(URL, json={"name": "raced"}, headers=tenant_a.headers)
    assert response.status_code == 409, response.text
    rows = await session.execute(select(Agent).where(Agent.tenant_id == tenant_a.tenant_id))
    assert len(rows.scalars().all()) == 1
