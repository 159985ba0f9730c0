"""`call_watsonx_assistant`: one user message to a watsonx Assistant instance (API v2).

Stateless message API: `POST {service_instance_url}/v2/assistants/{environment_id}/message
?version={api_version}` with `{"input": {"message_type": "text", "text": ...}}` (+ `context`
from `message_context` on the first turn, then the context the previous answer returned). IBM's v2 reference says message requests name the *environment* in
the `assistant_id` slot (the assistant id only for the classic experience, used here when no
`environment_id` is configured). Stateless means no session to create, keep alive or lose on
expiry: each call stands alone, which suits a caller (the Orchestrate Assistant) that already
keeps the conversation in its own thread.

Auth per `auth_type`: `BEARER_TOKEN` → `Authorization: Bearer <auth_config.token or api_key>`;
`API_KEY` / `IBM_CLOUD_IAM` → the API key is exchanged for a token at `authorization_url`
(default IBM Cloud IAM, `grant_type=urn:ibm:params:oauth:grant-type:apikey`); `MCSP` → JSON
`{"apikey"}` to `authorization_url`, answer `{"token"}`; `ICP_IAM` → `ZenApiKey
base64(username:api_key)` with `auth_config.username`; `NONE` → no header. Every URL passes the
URL-safety rules (`wxo.external_agents.outbound`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from wxo.core.errors import InvalidInputError, UpstreamError
from wxo.external_agents.outbound import Outbound, open_request, read_limited

IBM_CLOUD_IAM_URL = "https://iam.cloud.ibm.com/identity/token"
MCSP_TOKEN_URL = "https://iam.platform.saas.ibm.com/siusermgr/api/1.0/apikeys/token"  # noqa: S105
DEFAULT_API_VERSION = "2023-06-15"
IAM_GRANT = "urn:ibm:params:oauth:grant-type:apikey"


class WatsonxAssistantError(UpstreamError):
    """The watsonx Assistant instance (or its token service) failed."""


@dataclass(frozen=True)
class WatsonxReply:
    """What an instance answered: its text parts, and the context to send back next time."""

    texts: list[str]
    context: dict[str, Any] | None


@dataclass(frozen=True)
class WatsonxTarget:
    """What is needed to call one instance (secrets in clear: never log or return this)."""

    name: str
    service_instance_url: str
    assistant_id: str | None = None
    environment_id: str | None = None
    api_version: str = DEFAULT_API_VERSION
    auth_type: str = "BEARER_TOKEN"
    api_key: str | None = None
    auth_config: Mapping[str, Any] = field(default_factory=dict)
    authorization_url: str | None = None
    message_context: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        """Never shows the secrets."""
        return f"WatsonxTarget(name={self.name!r}, url={self.service_instance_url!r})"


async def _post_json(outbound: Outbound, url: str, what: str, **request: Any) -> tuple[int, Any]:
    async with open_request(outbound, "POST", url, **request) as response:
        raw = await read_limited(response, outbound.max_answer_bytes)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if response.status_code < 400 and body is None:
            raise WatsonxAssistantError(f"{what} sent an answer that is not JSON")
        return response.status_code, body


async def _token(target: WatsonxTarget, outbound: Outbound) -> str:
    key = target.api_key or target.auth_config.get("api_key") or target.auth_config.get("apikey")
    if not key:
        raise InvalidInputError(f"watsonx Assistant '{target.name}' has no api_key to exchange")
    if target.auth_type == "MCSP":
        status, body = await _post_json(
            outbound,
            target.authorization_url or MCSP_TOKEN_URL,
            "The token service",
            headers={"Accept": "application/json"},
            json={"apikey": key},
        )
        field_name = "token"
    else:
        status, body = await _post_json(
            outbound,
            target.authorization_url or IBM_CLOUD_IAM_URL,
            "The token service",
            headers={"Accept": "application/json"},
            data={"grant_type": IAM_GRANT, "apikey": str(key)},
        )
        field_name = "access_token"
    if status >= 400 or not isinstance(body, Mapping) or not body.get(field_name):
        raise WatsonxAssistantError(
            f"The token service refused the API key of watsonx Assistant '{target.name}' "
            f"(HTTP {status})"
        )
    return str(body[field_name])


async def auth_headers(target: WatsonxTarget, outbound: Outbound) -> dict[str, str]:
    """The Authorization header for the instance (exchanging an API key if needed)."""
    kind = target.auth_type
    if kind == "NONE":
        return {}
    if kind == "BEARER_TOKEN":
        token = target.auth_config.get("token") or target.api_key
        if not token:
            raise InvalidInputError(f"watsonx Assistant '{target.name}' has no token")
        return {"Authorization": f"Bearer {token}"}
    if kind == "ICP_IAM":
        user = target.auth_config.get("username") or "apikey"
        pair = base64.b64encode(f"{user}:{target.api_key or ''}".encode()).decode()
        return {"Authorization": f"ZenApiKey {pair}"}
    return {"Authorization": f"Bearer {await _token(target, outbound)}"}


def message_url(target: WatsonxTarget) -> str:
    """The stateless message endpoint of the instance (without the version query)."""
    slot = target.environment_id or target.assistant_id
    if not slot:
        raise InvalidInputError(
            f"watsonx Assistant '{target.name}' needs an environment_id or an assistant_id"
        )
    base = target.service_instance_url.rstrip("/")
    return f"{base}/v2/assistants/{quote(slot, safe='')}/message"


def texts_of(body: Any) -> list[str]:
    """The answer's text parts (`output.generic`: text, titles of options and suggestions)."""
    output = body.get("output") if isinstance(body, Mapping) else None
    generic = output.get("generic") if isinstance(output, Mapping) else None
    texts: list[str] = []
    for item in generic or []:
        if not isinstance(item, Mapping):
            continue
        kind = item.get("response_type")
        text = item.get("text") if kind == "text" else item.get("title") or item.get("header")
        if isinstance(text, str) and text.strip():
            texts.append(text)
    return texts


async def call_watsonx_assistant(
    target: WatsonxTarget,
    *,
    message: str,
    outbound: Outbound,
    user_id: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> WatsonxReply:
    """Send `message` to the instance; the text parts of its answer, in order.

    `context` is the context of the previous answer in this conversation (the stateless API
    continues a conversation that way); without it, `message_context` is sent.

    Raises:
        InvalidInputError: the instance lacks what the call needs (ids, credentials).
        WatsonxAssistantError: the instance or its token service answered an error.
        UpstreamTimeoutError: no answer within `outbound`'s limits.
        RefusedURLError: a URL points where the server does not call.
    """
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        **await auth_headers(target, outbound),
    }
    payload: dict[str, Any] = {"input": {"message_type": "text", "text": message}}
    if context is not None:
        payload["context"] = dict(context)
    elif target.message_context:
        payload["context"] = dict(target.message_context)
    if user_id:
        payload["user_id"] = user_id
    status, body = await _post_json(
        outbound,
        message_url(target),
        f"watsonx Assistant '{target.name}'",
        headers=headers,
        params={"version": target.api_version or DEFAULT_API_VERSION},
        json=payload,
    )
    if status >= 400:
        reason = "rejected our credentials" if status in (401, 403) else "failed"
        raise WatsonxAssistantError(f"watsonx Assistant '{target.name}' {reason} (HTTP {status})")
    returned = body.get("context") if isinstance(body, Mapping) else None
    return WatsonxReply(texts_of(body), dict(returned) if isinstance(returned, Mapping) else None)
