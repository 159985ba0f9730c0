"""Which IP addresses a user-supplied URL may reach.

Only globally routable unicast addresses pass. Refused: loopback, private (RFC 1918, ULA
`fc00::/7`), link-local (including the cloud metadata address `169.254.169.254`), shared
address space (`100.64.0.0/10`), multicast, reserved, unspecified, documentation and
benchmarking ranges, and any IPv6 address that embeds a refused IPv4 address (IPv4-mapped
`::ffff:a.b.c.d`, 6to4 `2002::/16`, Teredo, NAT64 `64:ff9b::/96`). An allow-list of networks
(configuration, e.g. `127.0.0.1/32` in tests) lets chosen addresses through.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Ranges Python's `is_global` does not flag in every supported version (3.11 misses some).
_EXTRA_BLOCKED: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "64:ff9b:1::/48",  # local-use NAT64
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def parse_networks(networks: Iterable[str | IPNetwork]) -> tuple[IPNetwork, ...]:
    """`["127.0.0.1/32", "fd00::/8"]` as networks (a bare address is a single-host network).

    Raises:
        ValueError: an entry is not an IP network.
    """
    return tuple(
        n
        if isinstance(n, ipaddress.IPv4Network | ipaddress.IPv6Network)
        # strict=False: "10.1.2.3/8" means 10.0.0.0/8, as operators tend to write it.
        else ipaddress.ip_network(n.strip(), strict=False)
        for n in networks
    )


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _kind(ip: IPAddress) -> str | None:
    """Why this address (on its own) is refused, or None if it is a public unicast address."""
    checks = (
        ("an unspecified", ip.is_unspecified),
        ("a loopback", ip.is_loopback),
        ("a link-local", ip.is_link_local),
        ("a multicast", ip.is_multicast),
        ("a reserved", ip.is_reserved),
        ("a private", ip.is_private),
        ("a site-local", isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local),
        ("a special-purpose", any(ip in n for n in _EXTRA_BLOCKED) or not ip.is_global),
    )
    return next((label for label, hit in checks if hit), None)


def blocked_reason(ip: IPAddress, allow: Sequence[IPNetwork] = ()) -> str | None:
    """Why `ip` may not be fetched from (e.g. "a loopback address"), or None if it may.

    An IPv4-mapped IPv6 address is judged as the IPv4 address it maps to; other IPv6 forms that
    embed an IPv4 address (6to4, Teredo, NAT64) are refused if either address is.
    """
    embedded = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    candidates = [c for c in (ip, embedded) if c is not None]
    if any(c in network for c in candidates for network in allow if c.version == network.version):
        return None
    if embedded is not None:
        reason = _kind(embedded)
        if reason:
            return f"{reason} address ({embedded}, inside {ip})"
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            return None  # the socket really talks IPv4 to the embedded address
    reason = _kind(ip)
    return f"{reason} address ({ip})" if reason else None
