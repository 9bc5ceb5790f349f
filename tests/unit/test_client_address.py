"""Which client a request counts as: the peer, unless it is a trusted proxy; then the
right-most X-Forwarded-For hop that is not one."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from api.client_address import client_address, limit_key, parse_address

PROXIES = (ip_network("10.0.0.0/8"), ip_network("2001:db8:ffff::/48"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),
        (" 203.0.113.9:4711 ", "203.0.113.9"),
        ("2001:DB8::1", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("unknown", None),
        ("", None),
        ("[2001:db8::1", None),
        ("1.2.3.4.5", None),
        ("_hidden", None),
    ],
)
def test_addresses_are_read_as_peers_and_proxies_write_them(
    text: str, expected: str | None
) -> None:
    parsed = parse_address(text)
    assert (None if parsed is None else str(parsed)) == expected


def test_an_untrusted_peer_is_the_client_whatever_its_headers_say() -> None:
    assert client_address("203.0.113.9", ["198.51.100.1"], ()) == "203.0.113.9"
    assert client_address("127.0.0.1", ["198.51.100.1"], ()) == "127.0.0.1"  # not even loopback
    assert client_address("203.0.113.9", ["198.51.100.1"], PROXIES) == "203.0.113.9"
    assert client_address("::ffff:203.0.113.9", [], ()) == "203.0.113.9"
    assert client_address("testclient", ["198.51.100.1"], PROXIES) == "testclient"


def test_behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() -> None:
    # The client wrote the first two hops itself; our proxies appended the rest.
    header = ["1.1.1.1, 2.2.2.2, 198.51.100.7, 10.1.1.1"]
    assert client_address("10.0.0.5", header, PROXIES) == "198.51.100.7"
    # Several headers are one list, in order.
    assert client_address("10.0.0.5", ["1.1.1.1", "198.51.100.7:5555"], PROXIES) == "198.51.100.7"
    assert client_address("2001:db8:ffff::2", ["[2001:db8:1::9]:80"], PROXIES) == "2001:db8:1::9"


def test_a_trusted_proxy_without_a_usable_header_counts_as_itself() -> None:
    assert client_address("10.0.0.5", [], PROXIES) == "10.0.0.5"
    assert client_address("10.0.0.5", ["10.9.9.9, 10.1.1.1"], PROXIES) == "10.0.0.5"
    for malformed in ["", " , ", "unknown", "1.1.1.1, not-an-address", "\x00\xff", "a" * 5000]:
        assert client_address("10.0.0.5", [malformed], PROXIES) == "10.0.0.5", malformed


def test_limits_count_ipv6_clients_per_64() -> None:
    assert limit_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert limit_key("2001:db8:1:2:bbbb::7") == "2001:db8:1:2::/64"
    assert limit_key("203.0.113.9") == "203.0.113.9"
    assert limit_key("testclient") == "testclient"
