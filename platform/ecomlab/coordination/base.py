"""The coordination interface shared by the ZooKeeper and the in-process implementations."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,199}$")


class LockBusyError(Exception):
    """Another holder has the lock (e.g. a crawl of the same site is running)."""


@dataclass(frozen=True)
class ServiceEntry:
    service: str
    address: str
    meta: dict[str, Any] = field(default_factory=dict)


def checked_name(kind: str, name: str) -> str:
    """Names become znode path segments: refuse what would escape or split a path."""
    if not _NAME.match(name):
        raise ValueError(f"{kind} name {name!r}: use letters, digits and _ . : - (at most 200)")
    return name


class Coordinator(ABC):
    """Locks, checkpoints and a registry of running services, shared by every process of a deployment."""

    @abstractmethod
    def lock(self, name: str, timeout: float = 0.0) -> AbstractContextManager[None]:
        """Hold the named lock inside the `with` block; LockBusyError if not acquired within timeout."""

    @abstractmethod
    def load_checkpoint(self, name: str) -> dict[str, Any] | None:
        """The checkpoint saved under name, or None."""

    @abstractmethod
    def save_checkpoint(self, name: str, state: dict[str, Any]) -> None:
        """Replace the checkpoint under name (atomically: readers see the old or the new state)."""

    @abstractmethod
    def clear_checkpoint(self, name: str) -> None:
        """Forget the checkpoint (a finished crawl)."""

    @abstractmethod
    def register(self, service: str, address: str, meta: dict[str, Any] | None = None) -> str:
        """Announce a running service; the entry disappears when this process ends. Returns its id."""

    @abstractmethod
    def unregister(self, entry_id: str) -> None:
        """Remove an entry registered by this process."""

    @abstractmethod
    def list(self, service: str | None = None) -> list[ServiceEntry]:
        """Every registered entry (of one service, or of all)."""

    def lookup(self, service: str) -> ServiceEntry | None:
        """One running instance of a service, or None."""
        entries = self.list(service)
        return entries[0] if entries else None

    def close(self) -> None:  # noqa: B027 - optional for implementations without a connection
        """Release the connection; ephemeral entries of this process go away."""

    def __enter__(self) -> Coordinator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def coordinator_from_settings(settings) -> Coordinator:
    """ZooKeeper when hosts are configured; the in-process stand-in in the embedded profile."""
    if settings.zookeeper_hosts == "in-process":
        from ecomlab.coordination.inprocess import InProcessCoordinator

        return InProcessCoordinator(settings.home / "coordination")
    from ecomlab.coordination.zookeeper import ZooKeeperCoordinator

    return ZooKeeperCoordinator(settings.zookeeper_hosts, session_timeout=settings.collection.zookeeper_session_seconds)
