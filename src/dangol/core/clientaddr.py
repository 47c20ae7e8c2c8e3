"""The client's address: the one answer for every place that records or limits by address.

Without `settings.DANGOL_TRUSTED_PROXIES` it is `REMOTE_ADDR` and X-Forwarded-For is ignored
(anyone can send that header). Behind a load balancer or reverse proxy, list their addresses
or networks there: when the peer is one of them, X-Forwarded-For is read from the right, each
trusted proxy's hop skipped, and the first hop that is not a trusted proxy is the client; the
hops left of it were written by the client and are never believed.
"""

import functools
import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

UNKNOWN = "unknown"


@functools.cache
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def trusted_proxies_parse(entries: Iterable[str]) -> tuple[Network, ...]:
    """Return the networks of `entries` (addresses or CIDRs); raise ValueError on a bad one."""
    return _networks(tuple(entry for entry in entries if entry.strip()))


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(request: HttpRequest | None) -> str:
    """Return the address of the client that sent `request` ("unknown" without one)."""
    if request is None:
        return UNKNOWN
    remote = str(request.META.get("REMOTE_ADDR") or "")
    trusted = trusted_proxies_parse(settings.DANGOL_TRUSTED_PROXIES)
    peer = _address(remote)
    if peer is None:
        return remote or UNKNOWN
    nearest = peer
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",")
    while any(nearest in network for network in trusted) and forwarded:
        hop = _address(forwarded.pop())
        if hop is None:
            break
        nearest = hop
    return str(nearest)
