"""Calls to assistants and agents elsewhere, under the project's URL-safety rules.

Every outgoing call (an external chat agent, a watsonx Assistant instance, an IAM token
endpoint) goes through `open_request`: the URL must be http(s) (`wxo.webfetch.client.check_url`),
its host is resolved here and refused if any address is internal (loopback, private,
link-local, metadata...; `wxo.webfetch.addresses`) unless the administrator allow-listed the
network (`documents.fetch_allow_networks`, the same list document fetching obeys: tests allow
`127.0.0.1/32`), and the connection goes to the vetted address (Host header and TLS SNI keep
the name), so DNS rebinding cannot swap in an internal one. Proxies from the environment are
ignored and redirects are not followed. Connecting and each read are bounded (`Outbound`): a
peer that stops sending fails the call with a timeout, never a hang.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from wxo.core.config import Settings
from wxo.core.errors import InvalidInputError, UpstreamError, UpstreamTimeoutError
from wxo.webfetch.addresses import IPAddress, IPNetwork, blocked_reason, parse_networks
from wxo.webfetch.base import FetchError
from wxo.webfetch.client import check_url


class RefusedURLError(InvalidInputError):
    """A URL the server will not call (bad scheme or host, or an internal address)."""


@dataclass(frozen=True)
class Outbound:
    """How outgoing calls are made: allowed internal networks and time limits (seconds)."""

    allow_networks: tuple[str, ...] = ()
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_answer_bytes: int = 4 * 1024 * 1024
    """Largest answer read from a peer (a stream included): more is an error, not a hang."""


def outbound_for(settings: Settings) -> Outbound:
    """The outgoing-call policy of this server (its fetch allow-list)."""
    return Outbound(allow_networks=tuple(settings.documents.fetch_allow_networks))


def check_target(url: str, outbound: Outbound | None = None) -> httpx.URL:
    """Check a URL before storing it: scheme, host, and a literal IP host.

    Raises:
        RefusedURLError: not a URL the server will call.
    """
    try:
        return check_url(url, (outbound or Outbound()).allow_networks)
    except FetchError as exc:
        raise RefusedURLError(exc.message) from None


async def _addresses(url: httpx.URL, allow: tuple[IPNetwork, ...]) -> list[IPAddress]:
    host = url.raw_host.decode("ascii")
    try:
        found: list[IPAddress] = [ipaddress.ip_address(host)]
    except ValueError:
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError):
            raise UpstreamError(f"The host name '{host}' could not be resolved") from None
        found = []
        for info in infos:
            ip = ipaddress.ip_address(str(info[4][0]))
            if ip not in found:
                found.append(ip)
    for ip in found:
        reason = blocked_reason(ip, allow)
        if reason:
            raise RefusedURLError(
                f"{url.scheme}://{host} points to {reason}; the server does not call internal "
                "networks (an administrator can allow one with documents.fetch_allow_networks)"
            )
    if not found:
        raise UpstreamError(f"The host name '{host}' has no addresses")
    return found


def _pinned(
    client: httpx.AsyncClient,
    method: str,
    url: httpx.URL,
    ip: IPAddress,
    headers: Mapping[str, str],
    body: dict[str, Any],
) -> httpx.Request:
    host = url.raw_host.decode("ascii")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return client.build_request(method, url, headers=dict(headers), **body)
    sent = {**headers, "Host": host if url.port is None else f"{host}:{url.port}"}
    return client.build_request(
        method,
        url.copy_with(host=str(ip)),
        headers=sent,
        extensions={"sni_hostname": host},
        **body,
    )


@asynccontextmanager
async def open_request(
    outbound: Outbound,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    params: Mapping[str, str] | None = None,
    json: Any = None,
    data: Mapping[str, str] | None = None,
) -> AsyncIterator[httpx.Response]:
    """Send one request to a vetted address; the response streams (closed on exit).

    Raises:
        RefusedURLError: the URL or an address of its host is refused.
        UpstreamTimeoutError: no connection, or no bytes, within the limits.
        UpstreamError: the peer could not be reached.
    """
    parsed = check_target(url, outbound)
    if params:
        parsed = parsed.copy_merge_params(dict(params))
    addresses = await _addresses(parsed, parse_networks(outbound.allow_networks))
    body: dict[str, Any] = {}
    if json is not None:
        body["json"] = json
    if data is not None:
        body["data"] = dict(data)
    timeout = httpx.Timeout(outbound.read_timeout, connect=outbound.connect_timeout)
    host = parsed.host
    async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
        response: httpx.Response | None = None
        for ip in addresses:
            try:
                response = await client.send(
                    _pinned(client, method, parsed, ip, headers, body), stream=True
                )
                break
            except httpx.ConnectError:
                continue
            except httpx.TimeoutException:
                raise UpstreamTimeoutError(f"{host} did not answer in time") from None
            except httpx.HTTPError:
                raise UpstreamError(f"The call to {host} failed") from None
        if response is None:
            raise UpstreamError(f"{host} is unreachable")
        try:
            yield response
        except httpx.TimeoutException:
            raise UpstreamTimeoutError(f"{host} stopped sending (timed out)") from None
        except httpx.HTTPError:
            raise UpstreamError(f"The connection to {host} broke") from None
        finally:
            await response.aclose()


async def read_limited(response: httpx.Response, limit: int = 4 * 1024 * 1024) -> bytes:
    """The body, refused (UpstreamError) past `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise UpstreamError(f"{response.url.host} sent more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
