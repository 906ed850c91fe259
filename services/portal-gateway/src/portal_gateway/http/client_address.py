"""The client's address for login throttling: the TCP peer, or, when the peer is one of the
configured trusted proxies, the nearest untrusted hop its X-Forwarded-For names.

Anyone can send X-Forwarded-For; only a proxy we run appends a hop we may believe. So the
header is read right to left and only while each hop is itself a trusted proxy.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_FOR = "x-forwarded-for"


def trusted_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR blocks; a bad entry is a configuration error, raised at start."""
    return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip())


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def resolve_client(peer: str | None, forwarded_for: list[str],
                   trusted: tuple[Network, ...]) -> str | None:
    """`forwarded_for`: every X-Forwarded-For header value, in order of arrival."""
    if peer is None or not _is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for value in forwarded_for for h in value.split(",") if h.strip()]
    client = peer
    for hop in reversed(hops):
        if not _valid(hop):
            break  # garbage a trusted proxy passed along: stop at the last hop we can name
        client = hop
        if not _is_trusted(hop, trusted):
            break
    return client


def client_address(request: Request, trusted: tuple[Network, ...]) -> str | None:
    peer = request.client.host if request.client else None
    return resolve_client(peer, request.headers.getlist(FORWARDED_FOR), trusted)
