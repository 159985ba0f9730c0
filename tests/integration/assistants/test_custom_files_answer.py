"""A custom assistant answers with the best passages of its files in its system message."""

from __future__ import annotations

import uuid

import httpx

from tests.api.assistants.conftest import create_custom
from tests.conftest import TenantUser
from tests.integration.llm.peers import FakeOpenAI, Reply, chunks, register
from tests.integration.retrieval.conftest import CountingEmbedder, embedder, process
from wxo.assistants import service
from wxo.container import Container
from wxo.llm.service import proxy_for

__all__ = ["embedder"]

POLICY = (
    "Travel policy. Employees flying more than six hours may book business class. "
    "Hotel stays are capped at 180 euros per night."
)
OTHER = "Canteen menu. Monday is pasta day; Friday is fish day."


async def test_passages_of_the_files_reach_the_model(
    live_client: httpx.AsyncClient,
    live_tenant: TenantUser,
    container: Container,
    embedder: CountingEmbedder,
    peer: FakeOpenAI,
) -> None:
    model = await register(
        live_client, live_tenant, provider="openai-compatible", base_url=peer.base_url
    )
    assistant = await create_custom(
        live_client, live_tenant, instructions="You answer travel questions.", llm_name=model
    )
    url = f"/v1/assistants/custom/{assistant['id']}"
    try:
        uploaded = await live_client.post(
            f"{url}/files",
            files=[
                ("file", ("policy.txt", POLICY.encode(), "text/plain")),
                ("file", ("menu.txt", OTHER.encode(), "text/plain")),
            ],
            headers=live_tenant.headers,
        )
        assert uploaded.status_code == 202, uploaded.text
        for item in uploaded.json()["data"]:
            await process(container, embedder, item["document"]["id"])

        peer.script(Reply(events=chunks(["Business class is allowed."])))
        async with container.sessionmaker() as session:
            answer = "".join(
                [
                    d
                    async for d in service.call(
                        session,
                        proxy_for(container, live_tenant.tenant_id),
                        live_tenant.tenant_id,
                        "custom",
                        uuid.UUID(assistant["id"]),
                        message="May I fly business class on a long flight?",
                        history=[],
                        thread_id=None,
                    )
                ]
            )
        assert answer == "Business class is allowed."
        system = peer.seen[0].json()["messages"][0]
        assert system["role"] == "system"
        assert system["content"].startswith("You answer travel questions.")
        assert "business class" in system["content"]
        assert "policy.txt" in system["content"]
    finally:
        deleted = await live_client.delete(url, headers=live_tenant.headers)
        assert deleted.status_code == 204
