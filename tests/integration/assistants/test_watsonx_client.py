"""`call_watsonx_assistant` against an HTTP fixture on the loopback standing in for IBM Cloud.

The fixture plays both the IAM token endpoint and the watsonx Assistant instance (replies in
order), so the tests see exactly what the server sends to each.
"""

from __future__ import annotations

import base64
import time
from urllib.parse import parse_qs

import pytest

from tests.integration.assistants.conftest import ALLOW_LOOPBACK, root
from tests.integration.llm.peers import FakeOpenAI, Reply
from wxo.assistants.watsonx_client import (
    WatsonxAssistantError,
    WatsonxTarget,
    call_watsonx_assistant,
)
from wxo.core.errors import InvalidInputError, UpstreamTimeoutError
from wxo.external_agents.outbound import Outbound, RefusedURLError

ANSWER = {
    "output": {
        "generic": [
            {"response_type": "text", "text": "Your balance is 12 days."},
            {"response_type": "pause", "time": 500},
            {"response_type": "option", "title": "Anything else?", "options": []},
        ]
    },
    "context": {"global": {"session_id": "s"}},
}


def target(peer: FakeOpenAI, **over: object) -> WatsonxTarget:
    """An instance at the peer, API-key auth through the peer's IAM endpoint."""
    fields: dict[str, object] = {
        "name": "hr",
        "service_instance_url": f"{root(peer)}/instances/abc/",
        "assistant_id": "asst-1",
        "environment_id": "env-1",
        "api_version": "2024-08-25",
        "auth_type": "API_KEY",
        "api_key": "my-ibm-api-key",
        "authorization_url": f"{root(peer)}/identity/token",
        **over,
    }
    return WatsonxTarget(**fields)  # type: ignore[arg-type]


async def ask(target_: WatsonxTarget, outbound: Outbound = ALLOW_LOOPBACK) -> list[str]:
    """One message: the answer's texts."""
    reply = await call_watsonx_assistant(
        target_, message="How many vacation days do I have?", outbound=outbound
    )
    return reply.texts


async def test_api_key_is_exchanged_at_iam_and_the_stateless_message_api_is_called(
    peer: FakeOpenAI,
) -> None:
    peer.script(Reply(json={"access_token": "iam-token-1", "expires_in": 3600}), Reply(json=ANSWER))
    assert await ask(target(peer)) == ["Your balance is 12 days.", "Anything else?"]
    iam, message = peer.seen
    assert (iam.method, iam.path) == ("POST", "/identity/token")
    assert iam.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(iam.body.decode()) == {
        "grant_type": ["urn:ibm:params:oauth:grant-type:apikey"],
        "apikey": ["my-ibm-api-key"],
    }
    assert (message.method, message.path) == (
        "POST",
        "/instances/abc/v2/assistants/env-1/message?version=2024-08-25",
    )
    assert message.headers["authorization"] == "Bearer iam-token-1"
    assert message.json() == {
        "input": {"message_type": "text", "text": "How many vacation days do I have?"}
    }


async def test_a_previous_context_is_sent_back_and_the_new_one_returned(
    peer: FakeOpenAI,
) -> None:
    peer.script(Reply(json=ANSWER))
    reply = await call_watsonx_assistant(
        target(peer, auth_type="NONE", message_context={"skills": {"x": 1}}),
        message="and next year?",
        outbound=ALLOW_LOOPBACK,
        context={"global": {"session_id": "s"}, "skills": {"x": 2}},
    )
    assert reply.context == {"global": {"session_id": "s"}}
    assert peer.seen[0].json()["context"] == {"global": {"session_id": "s"}, "skills": {"x": 2}}
    assert "authorization" not in peer.seen[0].headers


async def test_bearer_token_goes_straight_to_the_instance_with_context(peer: FakeOpenAI) -> None:
    peer.script(Reply(json=ANSWER))
    texts = await ask(
        target(
            peer,
            auth_type="BEARER_TOKEN",
            auth_config={"token": "static-token"},
            environment_id=None,
            message_context={"skills": {"actions skill": {"skill_variables": {"tier": "gold"}}}},
        )
    )
    assert texts[0] == "Your balance is 12 days."
    (message,) = peer.seen
    assert message.path == "/instances/abc/v2/assistants/asst-1/message?version=2024-08-25"
    assert message.headers["authorization"] == "Bearer static-token"
    assert message.json()["context"] == {
        "skills": {"actions skill": {"skill_variables": {"tier": "gold"}}}
    }


async def test_mcsp_and_icp_auth(peer: FakeOpenAI) -> None:
    peer.script(Reply(json={"token": "mcsp-token"}), Reply(json=ANSWER), Reply(json=ANSWER))
    await ask(target(peer, auth_type="MCSP", authorization_url=f"{root(peer)}/mcsp/token"))
    await ask(target(peer, auth_type="ICP_IAM", auth_config={"username": "admin"}))
    mcsp, after_mcsp, icp = peer.seen
    assert mcsp.path == "/mcsp/token"
    assert mcsp.json() == {"apikey": "my-ibm-api-key"}
    assert after_mcsp.headers["authorization"] == "Bearer mcsp-token"
    scheme, _, value = icp.headers["authorization"].partition(" ")
    assert scheme == "ZenApiKey"
    assert base64.b64decode(value).decode() == "admin:my-ibm-api-key"


async def test_a_refused_api_key_stops_before_the_instance(peer: FakeOpenAI) -> None:
    peer.script(Reply(status=400, json={"errorCode": "BXNIM0415E"}))
    with pytest.raises(WatsonxAssistantError, match="refused the API key"):
        await ask(target(peer))
    assert len(peer.seen) == 1


@pytest.mark.parametrize(("status", "words"), [(401, "rejected our credentials"), (500, "failed")])
async def test_instance_errors_are_clear(peer: FakeOpenAI, status: int, words: str) -> None:
    peer.script(Reply(status=status, json={"error": "x"}))
    with pytest.raises(WatsonxAssistantError) as caught:
        await ask(target(peer, auth_type="BEARER_TOKEN", auth_config={"token": "t"}))
    assert words in str(caught.value)
    assert f"HTTP {status}" in str(caught.value)


async def test_a_silent_instance_times_out(peer: FakeOpenAI) -> None:
    peer.script(Reply(hang=True))
    started = time.monotonic()
    with pytest.raises(UpstreamTimeoutError):
        await ask(target(peer, auth_type="BEARER_TOKEN", auth_config={"token": "t"}))
    assert time.monotonic() - started < ALLOW_LOOPBACK.read_timeout + 2


async def test_missing_ids_or_credentials_and_refused_urls(peer: FakeOpenAI) -> None:
    with pytest.raises(InvalidInputError):
        await ask(target(peer, assistant_id=None, environment_id=None, auth_type="NONE"))
    with pytest.raises(InvalidInputError):
        await ask(target(peer, auth_type="BEARER_TOKEN", api_key=None))
    with pytest.raises(RefusedURLError):
        await ask(target(peer), outbound=Outbound())
    assert peer.seen == []
