"""`fetch()`: download one user-supplied http(s) URL without reaching internal networks.

How each hop is made safe:

1. The URL must be http(s) with a plain host name or IP literal.
2. We resolve the host ourselves and refuse it if *any* address it resolves to is internal
   (see `addresses`), unless an allow-listed network contains it.
3. We connect to the address we checked: the request goes to `scheme://<vetted-ip>:port/...`
   with the original `Host` header and, for https, the original name as TLS SNI and as the name
   the certificate is verified against (httpcore's `sni_hostname` extension). No second DNS
   lookup happens between the check and the connection, so DNS rebinding cannot swap in an
   internal address. Proxies from the environment are ignored (`trust_env=False`) for the same
   reason.
4. Redirects are followed by hand, at most `max_redirects`, and every hop goes through 1-3.
5. The body is streamed and refused as soon as it passes `max_bytes` (or earlier, by its
   Content-Length); everything, DNS included, runs under one total deadline, so a server that
   dribbles bytes cannot hold the fetch open.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Sequence
from email.message import Message
from urllib.parse import unquote

import httpx

from wxo import __version__
from wxo.webfetch.addresses import IPAddress, IPNetwork, blocked_reason, parse_networks
from wxo.webfetch.base import Fetched, FetchError

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_HOST_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?\.?$")
_ALLOW_HINT = (
    "The server does not fetch from internal networks; an administrator can allow a network "
    "with the documents.fetch_allow_networks setting."
)


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_url(url: str, allow_networks: Sequence[str | IPNetwork] = ()) -> httpx.URL:
    """Check what can be checked without the network: scheme, host, and a literal IP host.

    Returns:
        The parsed URL.

    Raises:
        FetchError: `bad_url`, or `blocked_address` for a refused IP literal.
    """
    try:
        parsed = httpx.URL(url.strip())
    except httpx.InvalidURL as exc:
        raise FetchError("bad_url", f"'{url}' is not a valid URL ({exc}).") from None
    if parsed.scheme not in ("http", "https"):
        raise FetchError("bad_url", f"Only http:// and https:// URLs can be fetched, not '{url}'.")
    host = parsed.raw_host.decode("ascii", "replace")
    if not host:
        raise FetchError("bad_url", f"'{url}' has no host name.")
    ip = _literal_ip(host)
    if ip is None and not _HOST_NAME.match(host):
        raise FetchError("bad_url", f"'{host}' is not a valid host name.")
    if ip is not None:
        reason = blocked_reason(ip, parse_networks(allow_networks))
        if reason:
            raise FetchError("blocked_address", f"{url} points to {reason}. {_ALLOW_HINT}")
    return parsed


async def _resolve(url: httpx.URL, allow: Sequence[IPNetwork]) -> list[IPAddress]:
    """The host's addresses, all of them vetted (one internal address refuses the host)."""
    host = url.raw_host.decode("ascii")
    literal = _literal_ip(host)
    if literal is not None:
        found = [literal]
    else:
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (socket.gaierror, UnicodeError):
            raise FetchError(
                "unresolvable_host",
                f"The host name '{host}' could not be resolved: check the URL.",
            ) from None
        found = []
        for info in infos:
            ip = ipaddress.ip_address(str(info[4][0]))
            if ip not in found:
                found.append(ip)
        if not found:
            raise FetchError("unresolvable_host", f"The host name '{host}' has no addresses.")
    for ip in found:
        reason = blocked_reason(ip, allow)
        if reason:
            shown = str(url) if literal is not None else f"{url} (host {host})"
            raise FetchError("blocked_address", f"{shown} points to {reason}. {_ALLOW_HINT}")
    return found


def _request(client: httpx.AsyncClient, url: httpx.URL, ip: IPAddress) -> httpx.Request:
    """A GET to `ip` that still names the host: Host header, TLS SNI and certificate check."""
    headers = {
        "Accept": "*/*",
        "Accept-Encoding": "identity",  # no decompression bombs: sizes are what we count
        "User-Agent": f"wxo-fetch/{__version__}",
    }
    host = url.raw_host.decode("ascii")
    if _literal_ip(host) is not None:
        return client.build_request("GET", url, headers=headers)
    headers["Host"] = host if url.port is None else f"{host}:{url.port}"
    return client.build_request(
        "GET",
        url.copy_with(host=str(ip)),
        headers=headers,
        extensions={"sni_hostname": host},
    )


async def _open(
    client: httpx.AsyncClient, url: httpx.URL, addresses: Sequence[IPAddress]
) -> httpx.Response:
    """Send the request to the first vetted address that accepts a connection."""
    failure = "the server is unreachable"
    for ip in addresses:
        try:
            return await client.send(_request(client, url, ip), stream=True)
        except httpx.ConnectError as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                failure = "its TLS certificate is not valid for this host name"
            continue
    raise FetchError("connection_failed", f"Could not connect to {url.host}: {failure}.")


def _redirect_target(url: httpx.URL, response: httpx.Response) -> httpx.URL:
    location = response.headers.get("location", "")
    try:
        target = url.join(location.strip())
    except httpx.InvalidURL:
        raise FetchError("bad_url", f"{url} redirects to an invalid URL '{location}'.") from None
    return target.copy_with(fragment=None)


def _filename(url: httpx.URL, response: httpx.Response) -> str:
    """The Content-Disposition file name, else the URL path's last segment, else the host."""
    name: str | None = None
    disposition = response.headers.get("content-disposition")
    if disposition:
        message = Message()
        message["content-disposition"] = disposition
        name = message.get_filename()
    if not name:
        name = unquote(url.path.rstrip("/").rpartition("/")[2])
    # Only a name, never a path: keep the last component, drop control characters.
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if c.isprintable()).strip().strip(".")
    return name[:255] or url.host or "download"


async def _read(response: httpx.Response, url: httpx.URL, max_bytes: int) -> bytes:
    too_large = FetchError(
        "too_large", f"{url} is larger than the limit of {max_bytes} bytes for fetched files."
    )
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def _fetch(
    url: str, *, max_bytes: int, max_redirects: int, allow: Sequence[IPNetwork], io_seconds: float
) -> Fetched:
    current = check_url(url, allow)
    redirects = 0
    async with httpx.AsyncClient(
        trust_env=False, follow_redirects=False, timeout=httpx.Timeout(io_seconds)
    ) as client:
        while True:
            addresses = await _resolve(current, allow)
            response = await _open(client, current, addresses)
            try:
                if response.status_code in _REDIRECT_STATUSES and "location" in response.headers:
                    target = _redirect_target(current, response)
                    redirects += 1
                    if redirects > max_redirects:
                        raise FetchError(
                            "too_many_redirects",
                            f"{url} redirected more than {max_redirects} times.",
                        )
                    current = check_url(str(target), allow)
                    continue
                if not 200 <= response.status_code < 300:
                    status = f"{response.status_code} {response.reason_phrase}".strip()
                    raise FetchError("http_error", f"{current} answered {status}.")
                data = await _read(response, current, max_bytes)
                content_type = response.headers.get("content-type", "").split(";")[0].strip()
                return Fetched(
                    final_url=str(current),
                    content_type=content_type.lower() or None,
                    filename=_filename(current, response),
                    data=data,
                    redirects=redirects,
                )
            finally:
                await response.aclose()


async def fetch(
    url: str,
    *,
    max_bytes: int,
    timeout_seconds: float,
    max_redirects: int = 5,
    allow_networks: Sequence[str | IPNetwork] = (),
) -> Fetched:
    """Download `url` (GET), refusing internal addresses, within size, time and redirect bounds.

    Args:
        url: an http:// or https:// URL from a user.
        max_bytes: refuse a body larger than this.
        timeout_seconds: the whole fetch (DNS, connects, redirects, body) ends by then.
        max_redirects: follow at most this many redirects, each checked like the first URL.
        allow_networks: internal networks that may be fetched anyway (`"127.0.0.1/32"`).

    Returns:
        The final URL, declared content type, a file name and the bytes.

    Raises:
        FetchError: with a `code` and a message a user can act on.
        ValueError: an `allow_networks` entry is not a network (a configuration error).
    """
    allow = parse_networks(allow_networks)
    try:
        async with asyncio.timeout(timeout_seconds):
            return await _fetch(
                url,
                max_bytes=max_bytes,
                max_redirects=max_redirects,
                allow=allow,
                io_seconds=timeout_seconds,  # per operation; the total deadline is above
            )
    except (TimeoutError, httpx.TimeoutException):
        raise FetchError(
            "timeout", f"{url} did not download within {timeout_seconds:g} seconds."
        ) from None
    except httpx.HTTPError as exc:  # protocol errors, a connection dropped mid-body, TLS
        raise FetchError(
            "connection_failed", f"Downloading {url} failed: {type(exc).__name__}."
        ) from None
