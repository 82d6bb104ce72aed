"""The address guard: a crawl fetches only allowlisted hosts on public addresses.

Every hop (the first request and each redirect) is checked: the scheme must be http(s),
the host must be on the allowlist, and every address the host resolves to must be
public, unless it falls in a network the configuration explicitly allows (the demo shop
on loopback). Private, loopback, link-local, multicast, reserved and unspecified
addresses are refused otherwise, which keeps a crawl from being steered into the
platform's own network (SSRF).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]


class AddressRefused(Exception):
    """The guard refused a URL; the message says which rule."""


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise AddressRefused(f"{host}: cannot resolve ({exc.strerror})") from None
    return sorted({info[4][0] for info in infos})


def _is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


class AddressGuard:
    def __init__(
        self,
        allowed_hosts: Iterable[str],
        allow_private_networks: Iterable[str] = (),
        resolver: Resolver = system_resolver,
    ):
        self.allowed_hosts = {h.lower().strip("[]") for h in allowed_hosts}
        self.allowed_networks = [ipaddress.ip_network(n, strict=False) for n in allow_private_networks]
        self.resolver = resolver

    def check(self, url: str) -> list[str]:
        """The addresses the URL's host resolves to, all allowed; AddressRefused otherwise."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise AddressRefused(f"{url}: only http and https are fetched, not {parts.scheme or 'no scheme'!r}")
        host = (parts.hostname or "").lower()
        if not host:
            raise AddressRefused(f"{url}: no host")
        if parts.username or parts.password:
            raise AddressRefused(f"{url}: credentials in URLs are not fetched")
        if host not in self.allowed_hosts:
            raise AddressRefused(f"{url}: host {host} is not on the crawl allowlist (collection.allowed_hosts)")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise AddressRefused(f"{url}: bad port") from None
        addresses = self.resolver(host, port)
        if not addresses:
            raise AddressRefused(f"{url}: {host} resolves to no address")
        for text in addresses:
            address = ipaddress.ip_address(text.split("%")[0])
            if _is_internal(address) and not any(address in network for network in self.allowed_networks):
                raise AddressRefused(
                    f"{url}: {host} resolves to {address}, a private, loopback or link-local address "
                    "(allow its network in collection.allow_private_networks to crawl it)"
                )
        return addresses
