"""Coordination through ZooKeeper (kazoo): lock recipe, checkpoint znodes, ephemeral service znodes.

Layout under the root (default `/ecomlab`):
- `locks/<name>`: kazoo Lock recipe (the holder's session dies -> the lock is released);
- `checkpoints/<name>`: JSON state, replaced in one `set`;
- `services/<service>/entry-<seq>`: ephemeral sequential znodes holding {address, meta}.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from kazoo.client import KazooClient
from kazoo.exceptions import LockTimeout, NodeExistsError, NoNodeError

from ecomlab.coordination.base import Coordinator, LockBusyError, ServiceEntry, checked_name

log = logging.getLogger(__name__)
# A znode holds at most 1 MiB by default; checkpoints keep small state and point at files for the rest.
MAX_CHECKPOINT_BYTES = 900_000


class ZooKeeperCoordinator(Coordinator):
    def __init__(
        self, hosts: str, root: str = "/ecomlab", session_timeout: float = 10.0, connect_timeout: float = 15.0
    ):
        self.root = root.rstrip("/")
        self.client = KazooClient(hosts=hosts, timeout=session_timeout)
        try:
            self.client.start(timeout=connect_timeout)
        except Exception as exc:
            self.client.close()
            raise ConnectionError(f"cannot reach ZooKeeper at {hosts} (zookeeper_hosts): {exc}") from exc
        self.identifier = f"{socket.gethostname()}:{os.getpid()}"

    @contextmanager
    def lock(self, name: str, timeout: float = 0.0) -> Iterator[None]:
        lock = self.client.Lock(f"{self.root}/locks/{checked_name('lock', name)}", self.identifier)
        try:
            acquired = lock.acquire(blocking=timeout > 0, timeout=timeout if timeout > 0 else None)
        except LockTimeout:
            acquired = False
        if not acquired:
            holders = ", ".join(lock.contenders()) or "another client"
            raise LockBusyError(f"lock {name!r} is held by {holders}")
        try:
            yield
        finally:
            lock.release()

    def _checkpoint_path(self, name: str) -> str:
        return f"{self.root}/checkpoints/{checked_name('checkpoint', name)}"

    def load_checkpoint(self, name: str) -> dict[str, Any] | None:
        try:
            data, _ = self.client.get(self._checkpoint_path(name))
        except NoNodeError:
            return None
        return json.loads(data.decode())

    def save_checkpoint(self, name: str, state: dict[str, Any]) -> None:
        data = json.dumps(state, sort_keys=True).encode()
        if len(data) > MAX_CHECKPOINT_BYTES:
            raise ValueError(f"checkpoint {name!r} is {len(data)} bytes; keep it under {MAX_CHECKPOINT_BYTES}")
        path = self._checkpoint_path(name)
        try:
            self.client.set(path, data)
        except NoNodeError:
            try:
                self.client.create(path, data, makepath=True)
            except NodeExistsError:
                self.client.set(path, data)

    def clear_checkpoint(self, name: str) -> None:
        with suppress(NoNodeError):
            self.client.delete(self._checkpoint_path(name))

    def register(self, service: str, address: str, meta: dict[str, Any] | None = None) -> str:
        payload = json.dumps({"address": address, "meta": meta or {}}, sort_keys=True).encode()
        path = self.client.create(
            f"{self.root}/services/{checked_name('service', service)}/entry-",
            payload,
            ephemeral=True,
            sequence=True,
            makepath=True,
        )
        return path

    def unregister(self, entry_id: str) -> None:
        if not entry_id.startswith(f"{self.root}/services/"):
            raise ValueError(f"{entry_id!r} is not a service entry of this registry")
        with suppress(NoNodeError):
            self.client.delete(entry_id)

    def list(self, service: str | None = None) -> list[ServiceEntry]:
        base = f"{self.root}/services"
        try:
            services = [checked_name("service", service)] if service else sorted(self.client.get_children(base))
        except NoNodeError:
            return []
        entries = []
        for name in services:
            try:
                children = sorted(self.client.get_children(f"{base}/{name}"))
            except NoNodeError:
                continue
            for child in children:
                try:
                    data, _ = self.client.get(f"{base}/{name}/{child}")
                except NoNodeError:
                    continue  # its owner just went away
                value = json.loads(data.decode())
                entries.append(ServiceEntry(name, value["address"], value.get("meta", {})))
        return entries

    def close(self) -> None:
        try:
            self.client.stop()
        finally:
            self.client.close()
