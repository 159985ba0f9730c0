"""Which addresses a fetched URL may reach."""

from __future__ import annotations

import ipaddress

import pytest

from wxo.webfetch import FetchError, check_url
from wxo.webfetch.addresses import blocked_reason, parse_networks


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.20", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata service
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),  # noqa: S104
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "special-purpose"),  # carrier-grade NAT
    ],
)
def test_internal_addresses_are_refused_with_their_kind(address: str, kind: str) -> None:
    reason = blocked_reason(ipaddress.ip_address(address))

    assert reason is not None
    assert f"{kind} address" in reason


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None


def test_allow_list_lets_only_its_networks_through() -> None:
    allow = parse_networks(["127.0.0.1/32", "10.1.0.0/16"])

    assert blocked_reason(ipaddress.ip_address("127.0.0.1"), allow) is None
    assert blocked_reason(ipaddress.ip_address("::ffff:127.0.0.1"), allow) is None
    assert blocked_reason(ipaddress.ip_address("10.1.2.3"), allow) is None
    assert blocked_reason(ipaddress.ip_address("127.0.0.2"), allow) is not None
    assert blocked_reason(ipaddress.ip_address("10.2.0.1"), allow) is not None
    assert blocked_reason(ipaddress.ip_address("::1"), allow) is not None


def test_allow_list_entries_must_be_networks() -> None:
    with pytest.raises(ValueError, match="does not appear to be"):
        parse_networks(["localhost"])


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://example.com/file", "bad_url"),
        ("file:///etc/passwd", "bad_url"),
        ("gopher://example.com/", "bad_url"),
        ("http:///no-host", "bad_url"),
        ("http://exa mple.com/", "bad_url"),
        ("http://127.0.0.1:8080/", "blocked_address"),
        ("http://[::1]/", "blocked_address"),
        ("http://[::ffff:127.0.0.1]/", "blocked_address"),
        ("https://169.254.169.254/latest/meta-data/", "blocked_address"),
        ("http://10.0.0.1/", "blocked_address"),
    ],
)
def test_check_url_refuses_bad_schemes_and_internal_literals(url: str, code: str) -> None:
    with pytest.raises(FetchError) as caught:
        check_url(url)

    assert caught.value.code == code
    assert caught.value.message


def test_check_url_accepts_public_names_and_allow_listed_literals() -> None:
    assert check_url("https://example.com/a?b=1").host == "example.com"
    assert check_url("http://8.8.8.8/").host == "8.8.8.8"
    assert check_url("http://127.0.0.1:9/", ["127.0.0.1/32"]).port == 9
