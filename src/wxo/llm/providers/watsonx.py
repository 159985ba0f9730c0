"""IBM watsonx.ai through its documented REST API, with httpx (chat, chat stream, embeddings).

Why not IBM's SDK: ``ibm-watsonx-ai`` 1.8.1 was measured here. It installs 25 packages and
214 MB (pandas, numpy, ibm-cos-sdk) and importing ``ibm_watsonx_ai.foundation_models`` takes
1.2 s (it imports pandas). Its constructors do blocking network I/O (an IAM token through a
synchronous client; project/space "scope validation"; a model-spec lookup unless
``validate=False``), and turning scope validation off emits a warning. It sets process-wide
state (``GlobalHttpxSettings.proxies``, ``os.environ``), has its own retry loop, and raises
``WMLClientError`` whose message embeds the upstream body; on streams the status code is only
in that text. Async chat does exist (``achat``/``achat_stream``). ``langchain-ibm`` wraps the
same SDK and adds langchain-core and langsmith. The four endpoints we use are small and
documented, so this module calls them directly on httpx, which the project already uses:

* ``POST https://iam.cloud.ibm.com/identity/token`` (``grant_type=
  urn:ibm:params:oauth:grant-type:apikey``): bearer tokens, cached per (IAM URL, key digest)
  in this process until five minutes before they expire, and dropped on a 401;
* ``POST {url}/ml/v1/text/chat`` and ``/ml/v1/text/chat_stream`` (server-sent events), or the
  ``/ml/v1/deployments/{id}/text/...`` forms when ``config.deployment_id`` is set;
* ``POST {url}/ml/v1/text/embeddings``.

``config.base_url`` defaults to ``https://us-south.ml.cloud.ibm.com``, the ``version`` query
parameter to ``2024-10-08`` (``config.api_version`` when it is a date; IBM's ``watsonx_version``
may also hold a Cloud Pak release such as ``5.1``, which is not sent);
``config.extra["iam_url"]`` overrides the IAM endpoint. Chat parameters use OpenAI's names, as watsonx.ai's chat API does; ``top_k`` and
``min_tokens`` have no chat equivalent and are not sent; ``timeout_seconds`` is also sent as
``time_limit`` (ms).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import replace
from typing import Any

import httpx

from wxo.llm.base import ChatChunk, ChatRequest, ChatResult, EmbeddingResult, ModelTarget
from wxo.llm.providers.common import (
    CONNECT_TIMEOUT_SECONDS,
    StreamEnd,
    batched,
    check_vectors,
    embedding_shape,
    error_context,
    host_of,
    mapping,
    openai_messages,
    openai_tools,
    parse_chunk,
    parse_completion,
    timeout_seconds,
)
from wxo.llm.providers.errors import (
    ErrorContext,
    ProviderAuthError,
    ProviderConfigError,
    from_status,
    malformed_error,
    map_exceptions,
    stream_error,
)

WATSONX_URL = "https://us-south.ml.cloud.ibm.com"
IAM_URL = "https://iam.cloud.ibm.com/identity/token"
API_VERSION = "2024-10-08"
GRANT_TYPE = "urn:ibm:params:oauth:grant-type:apikey"
_REFRESH_MARGIN_SECONDS = 300.0
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # an API version date, not a CP4D release like "5.1"
_CHAT_PARAMS = (
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "seed",
    "frequency_penalty",
    "presence_penalty",
    "repetition_penalty",
    "n",
)
_OPENAI_EXTRAS = ("logprobs", "top_logprobs", "logit_bias")

# (IAM URL, SHA-256 of the API key) -> (bearer token, time.monotonic() to stop using it)
_tokens: dict[tuple[str, str], tuple[str, float]] = {}


class _Iam:
    """IBM Cloud IAM bearer tokens for one API key, cached for the process."""

    def __init__(self, http: httpx.AsyncClient, url: str, api_key: str, ctx: ErrorContext) -> None:
        self._http, self._url, self._key, self._ctx = http, url, api_key, ctx
        self._slot = (url, hashlib.sha256(api_key.encode()).hexdigest())

    async def token(self) -> tuple[str, bool]:
        """A valid token, and whether it was just fetched."""
        cached = _tokens.get(self._slot)
        if cached is not None and time.monotonic() < cached[1]:
            return cached[0], False
        with map_exceptions(self._ctx):
            response = await self._http.post(
                self._url,
                data={"grant_type": GRANT_TYPE, "apikey": self._key},
                headers={"Accept": "application/json"},
            )
        if response.status_code in (400, 401, 403):
            raise ProviderAuthError(
                f"{self._ctx.provider}: IBM Cloud IAM rejected the API key ({response.status_code})",
                provider=self._ctx.provider,
                status_code=response.status_code,
            )
        if response.status_code != 200:
            raise from_status(self._ctx, response.status_code, headers=response.headers)
        data = mapping(response.json())
        token, lifetime = data.get("access_token"), data.get("expires_in")
        if not isinstance(token, str) or not isinstance(lifetime, (int, float)):
            raise malformed_error(self._ctx, "an IAM answer without a token")
        _tokens[self._slot] = (token, time.monotonic() + lifetime - _REFRESH_MARGIN_SECONDS)
        return token, True

    def forget(self) -> None:
        """Drop the cached token (the service refused it)."""
        _tokens.pop(self._slot, None)


async def _sse(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """``(event, data)`` of each server-sent event (``event`` defaults to ``message``)."""
    event, data = "message", list[str]()
    async for line in response.aiter_lines():
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", list[str]()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        elif line.startswith("event:"):
            event = line[6:].strip()
    if data:
        yield event, "\n".join(data)


class _WatsonxBase:
    provider = "watsonx"

    def __init__(self, target: ModelTarget) -> None:
        config = target.config
        if config.api_key is None or not config.api_key.get_secret_value():
            raise ProviderConfigError(
                f"{self.provider}: model '{target.name}' has no API key configured"
            )
        if not (config.project_id or config.space_id or config.deployment_id):
            raise ProviderConfigError(
                f"{self.provider}: model '{target.name}' needs a project_id or space_id"
            )
        self.target = target
        self.model_id = target.name
        self._base = (config.base_url or WATSONX_URL).rstrip("/")
        version = config.api_version or ""
        self._version = version if _DATE.fullmatch(version) else API_VERSION
        self._timeout = timeout_seconds(config)
        self._http = httpx.AsyncClient(
            headers=config.extra_headers,
            timeout=httpx.Timeout(self._timeout, connect=CONNECT_TIMEOUT_SECONDS),
        )
        self._ctx = error_context(target, self.provider, self._base)
        iam_url = str(config.extra.get("iam_url") or IAM_URL)
        iam_ctx = replace(self._ctx, host=host_of(iam_url))
        self._iam = _Iam(self._http, iam_url, config.api_key.get_secret_value(), iam_ctx)

    async def aclose(self) -> None:
        """Close the HTTP client's connections."""
        await self._http.aclose()

    def _scope(self) -> dict[str, str]:
        config = self.target.config
        if config.project_id:
            return {"project_id": config.project_id}
        return {"space_id": config.space_id} if config.space_id else {}

    async def _send(self, path: str, body: dict[str, Any], seconds: float) -> httpx.Response:
        """POST ``body`` with a bearer token; once more with a new token if the cached one is refused.

        Returns the response with its body unread; the caller closes it. Raises for any status
        but 200.
        """
        for _ in range(2):
            token, fresh = await self._iam.token()
            request = self._http.build_request(
                "POST",
                f"{self._base}{path}",
                params={"version": self._version},
                json=body,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=httpx.Timeout(seconds, connect=CONNECT_TIMEOUT_SECONDS),
            )
            response = await self._http.send(request, stream=True)
            if response.status_code == 200:
                return response
            await response.aread()
            await response.aclose()
            if response.status_code == 401 and not fresh:
                self._iam.forget()
                continue
            break
        raise from_status(
            self._ctx, response.status_code, body=response.text, headers=response.headers
        )

    async def _post_json(self, path: str, body: dict[str, Any], seconds: float) -> dict[str, Any]:
        response = await self._send(path, body, seconds)
        try:
            await response.aread()
        finally:
            await response.aclose()
        data = response.json()
        if not isinstance(data, dict):
            raise malformed_error(self._ctx)
        return data


class WatsonxChatModel(_WatsonxBase):
    """Chat through watsonx.ai's ``/ml/v1/text/chat`` (:class:`wxo.llm.base.ChatModel`)."""

    def _path(self, stream: bool) -> str:
        leaf = "chat_stream" if stream else "chat"
        deployment = self.target.config.deployment_id
        return (
            f"/ml/v1/deployments/{deployment}/text/{leaf}" if deployment else f"/ml/v1/text/{leaf}"
        )

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {"messages": openai_messages(request.messages)}
        if not self.target.config.deployment_id:
            body["model_id"] = self.target.upstream_model
            body.update(self._scope())
        p = request.params
        body.update({k: getattr(p, k) for k in _CHAT_PARAMS if getattr(p, k) is not None})
        extra = mapping(p.extra.get("openai"))
        body.update({k: extra[k] for k in _OPENAI_EXTRAS if k in extra})
        if p.timeout_seconds is not None:
            body["time_limit"] = max(1, int(p.timeout_seconds * 1000))
        if request.tools:
            body["tools"] = openai_tools(request.tools)
        choice = request.tool_choice
        if isinstance(choice, str):
            body["tool_choice_option"] = choice
        elif choice is not None:
            body["tool_choice"] = choice
        if request.response_format is not None:
            body["response_format"] = request.response_format
        return body

    def _call_timeout(self, request: ChatRequest) -> float:
        return timeout_seconds(self.target.config, request.params.timeout_seconds)

    async def complete(self, request: ChatRequest) -> ChatResult:
        """Answer in one piece.

        Raises:
            ProviderCallError: A subclass for each kind of upstream failure.
        """
        with map_exceptions(self._ctx):
            data = await self._post_json(
                self._path(stream=False), self._body(request), self._call_timeout(request)
            )
            return parse_completion(data, self._ctx)

    async def stream(self, request: ChatRequest) -> AsyncGenerator[ChatChunk, None]:
        """Answer piece by piece; closing this iterator closes the upstream response.

        Raises:
            ProviderCallError: A subclass for each kind of upstream failure.
        """
        end = StreamEnd(self._ctx)
        with map_exceptions(self._ctx):
            response = await self._send(
                self._path(stream=True), self._body(request), self._call_timeout(request)
            )
            try:
                async for event, data in _sse(response):
                    if event == "error":
                        raise stream_error(self._ctx, data)
                    if data.strip() == "[DONE]":
                        break
                    chunk = parse_chunk(mapping(json.loads(data)), end)
                    if chunk is not None:
                        yield chunk
            finally:
                await response.aclose()
        yield end.chunk()


class WatsonxEmbeddingModel(_WatsonxBase):
    """Embeddings through watsonx.ai's ``/ml/v1/text/embeddings`` (:class:`EmbeddingModel`)."""

    batch_size = 1000  # the API's limit of inputs per request

    def __init__(self, target: ModelTarget) -> None:
        if not (target.config.project_id or target.config.space_id):
            raise ProviderConfigError(
                f"{self.provider}: model '{target.name}' needs a project_id or space_id"
            )
        super().__init__(target)
        self.dimensions, self.max_tokens = embedding_shape(target)

    async def embed(self, texts: Sequence[str]) -> EmbeddingResult:
        """One vector per text, in order.

        Raises:
            ProviderCallError: A subclass for each kind of upstream failure.
        """
        vectors: list[list[float]] = []
        tokens = 0
        for batch in batched(texts, self.batch_size):
            body = {"inputs": batch, "model_id": self.target.upstream_model, **self._scope()}
            with map_exceptions(self._ctx):
                data = await self._post_json("/ml/v1/text/embeddings", body, self._timeout)
                results = data.get("results")
                if not isinstance(results, list) or len(results) != len(batch):
                    raise malformed_error(self._ctx, "a wrong number of embeddings")
                raw = [mapping(item).get("embedding") for item in results]
                vectors += check_vectors(raw, self.dimensions, self._ctx)
                tokens += int(data.get("input_token_count") or 0)
            self.dimensions = self.dimensions or len(vectors[0])
        return EmbeddingResult(vectors=vectors, prompt_tokens=tokens)
