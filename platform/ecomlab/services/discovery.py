"""Finding the platform's services in the registry (ZooKeeper), for clients and pipeline tasks.

A service is registered only while it is healthy, so `require` fails fast with an error
naming the service that is down, instead of a connection timeout further on.
"""

from __future__ import annotations

from ecomlab.coordination import ServiceEntry, coordinator_from_settings
from ecomlab.settings import Settings


class ServiceDown(ConnectionError):
    """A service the caller needs is not registered (stopped or unhealthy), or the registry is unreachable."""

    def __init__(self, service: str, message: str):
        super().__init__(message)
        self.service = service


def require(settings: Settings, service: str) -> ServiceEntry:
    """The registry entry of a healthy `service`; ServiceDown naming it otherwise."""
    if settings.zookeeper_hosts == "in-process":
        raise ServiceDown(service, f"the {settings.profile} profile runs no {service}; use the local profile")
    try:
        with coordinator_from_settings(settings) as coordinator:
            entry = coordinator.lookup(service)
    except ConnectionError as exc:
        raise ServiceDown(service, f"cannot read the service registry to find {service}: {exc}") from exc
    if entry is None:
        raise ServiceDown(
            service, f"{service} is not registered at {settings.zookeeper_hosts}: it is down (see `ecomlab status`)"
        )
    return entry


def host_port(entry: ServiceEntry) -> tuple[str, int]:
    """host and port of an address such as 127.0.0.1:10000, thrift://h:9083 or http://h:8280."""
    address = entry.address.split("://", 1)[-1].rstrip("/")
    host, _, port = address.rpartition(":")
    return host, int(port)
