"""Which client a request comes from: decided here, once per request, for every rate limit
and the access log.

The client is the connection's peer, unless the peer is one of the proxies the settings trust
(``PROCUREMENT_TRUSTED_PROXIES``: none by default, not even loopback). Behind trusted proxies
it is the right-most ``X-Forwarded-For`` hop that is not itself a trusted proxy: each proxy
appends the address it received the request from, so the hops to the right of the first
untrusted one were written by our proxies and everything to its left by the client, which
proves nothing. A hop there that is not an address means a proxy that does not append as it
should: the request then counts as the proxy's own, so that no header can make a client new.

uvicorn runs with its own proxy-header handling off (``procurement serve``): it would believe
the header from the loopback address by default, and knows nothing of these settings.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable

from litestar.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IPV6_LIMIT_PREFIX = 64
"""Limits count IPv6 clients per /64: one subscriber holds a whole /64 (or more), and would
otherwise get a fresh address, and fresh limits, for every request."""

_warned = False


def parse_address(text: str) -> Address | None:
    """An address as peers and proxies write it (``1.2.3.4``, ``1.2.3.4:5678``, ``::1``,
    ``[::1]:443``), IPv4 for an IPv4-mapped IPv6 one; None if it is not one."""
    text = text.strip()
    if text.startswith("["):  # [IPv6] or [IPv6]:port
        text, bracket, port = text[1:].partition("]")
        if not bracket or (port and not _is_port(port)):
            return None
    elif text.count(":") == 1:  # IPv4:port
        text, _, port = text.partition(":")
        if not _is_port(":" + port):
            return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_port(text: str) -> bool:
    return text.startswith(":") and text[1:].isascii() and text[1:].isdigit()


def _trusted(address: Address, proxies: Iterable[Network]) -> bool:
    return any(address.version == network.version and address in network for network in proxies)


def client_address(peer: str, forwarded_for: list[str], proxies: tuple[Network, ...]) -> str:
    """The client of a request from ``peer`` with these ``X-Forwarded-For`` values (every
    header of that name, in order), given the trusted ``proxies``."""
    peer_address = parse_address(peer)
    if peer_address is None:
        return peer  # not an IP peer (a Unix socket, a test client): as it is
    if not _trusted(peer_address, proxies):
        return str(peer_address)
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            _warn_once(peer_address, hop)
            return str(peer_address)
        if not _trusted(address, proxies):
            return str(address)
    return str(peer_address)  # no header, or only our proxies: the proxy's own request


def limit_key(address: str) -> str:
    """The key rate limits count a client address under: the address, or its /64 for IPv6."""
    parsed = parse_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, IPV6_LIMIT_PREFIX), strict=False))
    return address


def _warn_once(proxy: Address, hop: str) -> None:
    global _warned  # noqa: PLW0603 (one line per process, not one per request)
    if not _warned:
        _warned = True
        log.warning(
            "trusted proxy %s sent an X-Forwarded-For hop that is not an address (%r): its "
            "requests count as the proxy's own; does it append the client's address?",
            proxy,
            hop[:100],
        )


def client_address_middleware(app: ASGIApp, proxies: tuple[Network, ...]) -> ASGIApp:
    """Set ``scope["client"]`` to the request's client, for everything after it (the rate
    limits read ``request.client``; uvicorn's access log reads the same scope)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if scope["type"] in {"http", "websocket"} and peer:
            forwarded = (
                [
                    value.decode("latin-1")
                    for name, value in scope["headers"]
                    if name == b"x-forwarded-for"
                ]
                if proxies
                else []
            )
            address = client_address(peer[0], forwarded, proxies)
            if address != peer[0]:  # another client, or the peer written canonically
                same = parse_address(address) == parse_address(peer[0])
                scope["client"] = (address, peer[1] if same else 0)
        await app(scope, receive, send)

    return middleware
