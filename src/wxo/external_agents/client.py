"""`chat_external_agent`: talk to an external agent over the chat-completions protocol.

The agent implements the Agent Connect chat-completions contract (OpenAI-compatible):
`POST {api_url}` (the full endpoint as registered, e.g. `https://host/v1/chat/completions`; no
path is appended) with `{"messages": [...], "stream": true, ...chat_params}` and the header
`X-THREAD-ID: <our thread id>`; it answers with SSE `data: {chat.completion.chunk}` events
ending with `data: [DONE]` (a plain `chat.completion` JSON body is understood too). Auth per
scheme: `BEARER_TOKEN` → `Authorization: Bearer <auth_config.token>`; `API_KEY` →
`<auth_config.header_name or X-API-Key>: <auth_config.api_key or token>`; `NONE` → nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from wxo.core.errors import UpstreamError
from wxo.external_agents.outbound import Outbound, open_request, read_limited

THREAD_HEADER = "X-THREAD-ID"
DEFAULT_API_KEY_HEADER = "X-API-Key"


class ExternalAgentError(UpstreamError):
    """The external agent failed (error status, broken stream, unreadable answer)."""


@dataclass(frozen=True)
class ExternalChatTarget:
    """What is needed to call one agent (secrets in clear: never log or return this)."""

    name: str
    api_url: str
    auth_scheme: str = "NONE"
    auth_config: Mapping[str, Any] = field(default_factory=dict)
    chat_params: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        """Never shows the secrets."""
        return f"ExternalChatTarget(name={self.name!r}, api_url={self.api_url!r})"


def auth_headers(scheme: str, auth_config: Mapping[str, Any]) -> dict[str, str]:
    """The auth header of a scheme (empty for NONE or when no secret is configured)."""
    if scheme == "BEARER_TOKEN":
        token = auth_config.get("token") or auth_config.get("api_key")
        return {"Authorization": f"Bearer {token}"} if token else {}
    if scheme == "API_KEY":
        key = auth_config.get("api_key") or auth_config.get("token")
        header = str(auth_config.get("header_name") or DEFAULT_API_KEY_HEADER)
        return {header: str(key)} if key else {}
    return {}


def _text_of(content: Any) -> str:
    """A delta's or message's content: a string, or a list of `{type: text, text}` items."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for item in content:
            if isinstance(item, Mapping):
                text = item.get("text")
                if isinstance(text, Mapping):
                    text = text.get("value")
                if isinstance(text, str):
                    parts.append(text)
        return "".join(parts)
    return ""


def _choice(payload: Any, key: str) -> str:
    if not isinstance(payload, Mapping):
        return ""
    if payload.get("error"):
        error = payload["error"]
        message = error.get("message") if isinstance(error, Mapping) else str(error)
        raise ExternalAgentError(f"The agent reported an error: {message}")
    choices = payload.get("choices") or []
    if not choices or not isinstance(choices[0], Mapping):
        return ""
    part = choices[0].get(key) or {}
    return _text_of(part.get("content")) if isinstance(part, Mapping) else ""


async def chat_external_agent(
    target: ExternalChatTarget,
    *,
    messages: list[dict[str, str]],
    thread_id: uuid.UUID | None,
    outbound: Outbound,
) -> AsyncIterator[str]:
    """The agent's answer as text deltas, as they arrive.

    Raises (while iterating):
        ExternalAgentError: an error status (4xx/5xx), an `error` event or an unreadable body.
        UpstreamTimeoutError: no connection or no bytes within `outbound`'s limits.
        RefusedURLError: the URL points where the server does not call.
    """
    body: dict[str, Any] = {**target.chat_params, "messages": messages}
    body.setdefault("stream", True)
    headers = {
        "Accept": "text/event-stream, application/json",
        "Content-Type": "application/json",
        **auth_headers(target.auth_scheme, target.auth_config),
    }
    if thread_id is not None:
        headers[THREAD_HEADER] = str(thread_id)
    async with open_request(
        outbound, "POST", target.api_url, headers=headers, json=body
    ) as response:
        if response.status_code >= 400:
            kind = "rejected our credentials" if response.status_code in (401, 403) else "failed"
            raise ExternalAgentError(
                f"External agent '{target.name}' {kind} (HTTP {response.status_code})"
            )
        content_type = response.headers.get("content-type", "")
        if "text/event-stream" not in content_type:
            raw = await read_limited(response, outbound.max_answer_bytes)
            try:
                payload = json.loads(raw)
            except ValueError:
                raise ExternalAgentError(
                    f"External agent '{target.name}' sent an answer that is not JSON"
                ) from None
            text = _choice(payload, "message")
            if text:
                yield text
            return
        received = 0
        async for line in response.aiter_lines():
            received += len(line) + 1
            if received > outbound.max_answer_bytes:
                raise ExternalAgentError(
                    f"External agent '{target.name}' sent more than "
                    f"{outbound.max_answer_bytes} bytes"
                )
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                return
            if not data:
                continue
            try:
                payload = json.loads(data)
            except ValueError:
                raise ExternalAgentError(
                    f"External agent '{target.name}' sent an event that is not JSON"
                ) from None
            delta = _choice(payload, "delta")
            if delta:
                yield delta
