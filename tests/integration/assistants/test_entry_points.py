"""The entry points other packages use: load_custom, list_callable, assistant_exists, call.

Each kind answers through its real path: a custom assistant through the Model Proxy (an
OpenAI-compatible scripted model on the loopback), a watsonx instance and an external agent
through their clients (the same loopback peer playing them).
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.assistants.conftest import create_custom
from tests.conftest import TenantUser
from tests.integration.assistants.conftest import ALLOW_LOOPBACK, principal, root
from tests.integration.llm.peers import FakeOpenAI, Reply, chunks, register
from wxo.assistants import service, watsonx_service
from wxo.assistants.exceptions import AssistantNotFoundError, InvalidAssistantError
from wxo.assistants.watsonx_schemas import WatsonxAssistantCreate
from wxo.container import Container
from wxo.core.config import Settings
from wxo.external_agents import service as external_service
from wxo.external_agents.exceptions import ExternalAgentNotFoundError
from wxo.external_agents.models import ExternalChatAgent
from wxo.external_agents.outbound import RefusedURLError
from wxo.external_agents.schemas import ExternalChatAgentCreate
from wxo.llm.service import proxy_for

HISTORY = [("user", "Hello"), ("assistant", "Hi! How can I help?"), ("tool", "ignored")]


async def external_agent(
    session: AsyncSession, settings: Settings, tenant: TenantUser, peer: FakeOpenAI, **body: object
) -> ExternalChatAgent:
    """An external agent at the peer, registered through the service (loopback allowed)."""
    data = ExternalChatAgentCreate.model_validate(
        {
            "api_url": f"{root(peer)}/v1/chat/completions",
            "name": f"ext_{uuid.uuid4().hex[:6]}",
            "description": "Books travel",
            "auth_scheme": "BEARER_TOKEN",
            "auth_config": {"token": "ext-token"},
            **body,
        }
    )
    return await external_service.create(
        session, principal(tenant), data, key=settings.signing_key(), outbound=ALLOW_LOOPBACK
    )


async def watsonx_instance(
    session: AsyncSession, settings: Settings, tenant: TenantUser, peer: FakeOpenAI, **cfg: object
) -> uuid.UUID:
    """A watsonx instance at the peer (bearer token), registered through the service."""
    data = WatsonxAssistantCreate.model_validate(
        {
            "description": "HR",
            "name": f"wx_{uuid.uuid4().hex[:6]}",
            "config": {
                "service_instance_url": root(peer),
                "environment_id": "env-9",
                "auth_type": "BEARER_TOKEN",
                "auth_config": {"token": "wa-token"},
                **cfg,
            },
        }
    )
    row = await watsonx_service.create(
        session, principal(tenant), data, key=settings.signing_key(), outbound=ALLOW_LOOPBACK
    )
    return row.id


async def test_a_custom_assistant_answers_through_the_model_proxy_with_its_instructions(
    client: httpx.AsyncClient,
    session: AsyncSession,
    container: Container,
    tenant_a: TenantUser,
    peer: FakeOpenAI,
) -> None:
    peer.script(Reply(events=chunks(["Twelve", " days."])))
    model = await register(client, tenant_a, provider="openai-compatible", base_url=peer.base_url)
    assistant = await create_custom(
        client, tenant_a, name="hr_helper", instructions="You answer HR questions.", llm_name=model
    )
    spec = await service.load_custom(session, tenant_a.tenant_id, uuid.UUID(assistant["id"]))
    assert (spec.name, spec.instructions, spec.llm_name) == (
        "hr_helper",
        "You answer HR questions.",
        model,
    )
    deltas = [
        d
        async for d in service.call(
            session,
            proxy_for(container, tenant_a.tenant_id),
            tenant_a.tenant_id,
            "custom",
            spec.id,
            message="How many vacation days?",
            history=HISTORY,
            thread_id=None,
        )
    ]
    assert "".join(deltas) == "Twelve days."
    sent = peer.seen[0].json()
    assert sent["stream"] is True
    assert [(m["role"], m["content"]) for m in sent["messages"]] == [
        ("system", "You answer HR questions."),
        ("user", "Hello"),
        ("assistant", "Hi! How can I help?"),
        ("user", "How many vacation days?"),
    ]


async def test_external_and_watsonx_calls_go_through_their_clients(
    session: AsyncSession,
    settings: Settings,
    container: Container,
    tenant_a: TenantUser,
    peer: FakeOpenAI,
) -> None:
    ctx = proxy_for(container, tenant_a.tenant_id)
    agent = await external_agent(session, settings, tenant_a, peer)
    thread_id = uuid.uuid4()
    peer.script(Reply(events=chunks(["Flight ", "booked."])))
    deltas = [
        d
        async for d in service.call(
            session,
            ctx,
            tenant_a.tenant_id,
            "external_chat",
            agent.id,
            message="Book me a flight",
            history=HISTORY,
            thread_id=thread_id,
            outbound=ALLOW_LOOPBACK,
        )
    ]
    assert deltas == ["Flight ", "booked."]
    seen = peer.seen[-1]
    assert seen.headers["x-thread-id"] == str(thread_id)
    assert seen.headers["authorization"] == "Bearer ext-token"
    assert [m["role"] for m in seen.json()["messages"]] == ["user", "assistant", "user"]

    instance = await watsonx_instance(session, settings, tenant_a, peer)
    peer.script(
        Reply(
            json={
                "output": {
                    "generic": [
                        {"response_type": "text", "text": "First."},
                        {"response_type": "text", "text": "Second."},
                    ]
                }
            }
        )
    )
    texts = [
        d
        async for d in service.call(
            session,
            ctx,
            tenant_a.tenant_id,
            "watsonx",
            instance,
            message="Hi",
            history=[],
            thread_id=None,
            outbound=ALLOW_LOOPBACK,
        )
    ]
    assert "".join(texts) == "First.\n\nSecond."
    assert peer.seen[-1].path == "/v2/assistants/env-9/message?version=2023-06-15"
    assert peer.seen[-1].headers["authorization"] == "Bearer wa-token"


async def test_a_watsonx_conversation_continues_with_the_context_it_returned(
    session: AsyncSession,
    settings: Settings,
    container: Container,
    tenant_a: TenantUser,
    peer: FakeOpenAI,
) -> None:
    ctx = proxy_for(container, tenant_a.tenant_id)
    instance = await watsonx_instance(
        session, settings, tenant_a, peer, message_context={"skills": {"k": {"v": 0}}}
    )
    thread, other_thread = uuid.uuid4(), uuid.uuid4()

    def answer(turn: int) -> Reply:
        return Reply(
            json={
                "output": {"generic": [{"response_type": "text", "text": f"turn {turn}"}]},
                "context": {"skills": {"k": {"v": turn}}},
            }
        )

    async def say(thread_id: uuid.UUID) -> str:
        pieces = service.call(
            session,
            ctx,
            tenant_a.tenant_id,
            "watsonx",
            instance,
            message="next",
            history=[],
            thread_id=thread_id,
            outbound=ALLOW_LOOPBACK,
        )
        return "".join([p async for p in pieces])

    peer.script(answer(1), answer(2), answer(3))
    assert await say(thread) == "turn 1"
    assert await say(thread) == "turn 2"
    assert await say(other_thread) == "turn 3"
    sent = [s.json().get("context") for s in peer.seen]
    assert sent == [
        {"skills": {"k": {"v": 0}}},
        {"skills": {"k": {"v": 1}}},
        {"skills": {"k": {"v": 0}}},
    ]
    stored = await session.execute(
        text(
            "SELECT thread_id, tenant_id, context FROM watsonx_conversation WHERE assistant_id = :a"
        ),
        {"a": instance},
    )
    assert {(r.thread_id, r.tenant_id, r.context["skills"]["k"]["v"]) for r in stored} == {
        (thread, tenant_a.tenant_id, 2),
        (other_thread, tenant_a.tenant_id, 3),
    }


async def test_the_default_outbound_policy_refuses_internal_addresses(
    session: AsyncSession,
    settings: Settings,
    container: Container,
    tenant_a: TenantUser,
    peer: FakeOpenAI,
) -> None:
    agent = await external_agent(session, settings, tenant_a, peer)
    stream = service.call(
        session,
        proxy_for(container, tenant_a.tenant_id),
        tenant_a.tenant_id,
        "external_chat",
        agent.id,
        message="x",
        history=[],
        thread_id=None,
    )
    with pytest.raises(RefusedURLError, match="loopback"):
        await anext(stream)
    assert peer.seen == []


async def test_list_callable_and_exists_cover_every_kind_of_the_tenant_only(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    container: Container,
    tenant_a: TenantUser,
    tenant_b: TenantUser,
    peer: FakeOpenAI,
) -> None:
    custom = await create_custom(client, tenant_a, name="c1", description="custom one")
    wx = await watsonx_instance(session, settings, tenant_a, peer)
    await watsonx_instance(session, settings, tenant_a, peer, hidden=True)
    ext = await external_agent(session, settings, tenant_a, peer)
    await external_agent(session, settings, tenant_a, peer, config={"hidden": True})
    theirs = await create_custom(client, tenant_b, name="c2")

    found = await service.list_callable(session, tenant_a.tenant_id)
    assert [(c.kind, c.id) for c in found] == [
        ("custom", uuid.UUID(custom["id"])),
        ("watsonx", wx),
        ("external_chat", ext.id),
    ]
    assert found[0].description == "custom one"
    assert found[2].description == "Books travel"

    for assistant_id in (uuid.UUID(custom["id"]), wx, ext.id):
        assert await service.assistant_exists(session, tenant_a.tenant_id, assistant_id)
        assert not await service.assistant_exists(session, tenant_b.tenant_id, assistant_id)
    assert not await service.assistant_exists(session, tenant_a.tenant_id, uuid.uuid4())

    with pytest.raises(AssistantNotFoundError):
        await service.load_custom(session, tenant_a.tenant_id, uuid.UUID(theirs["id"]))
    ctx = proxy_for(container, tenant_a.tenant_id)
    for kind, missing, error in (
        ("custom", uuid.UUID(theirs["id"]), AssistantNotFoundError),
        ("watsonx", uuid.uuid4(), AssistantNotFoundError),
        ("external_chat", uuid.uuid4(), ExternalAgentNotFoundError),
        ("robot", wx, InvalidAssistantError),
    ):
        stream = service.call(
            session, ctx, tenant_a.tenant_id, kind, missing, message="x", history=[], thread_id=None
        )
        with pytest.raises(error):
            await anext(stream)
