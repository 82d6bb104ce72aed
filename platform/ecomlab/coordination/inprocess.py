"""The embedded profile's coordination: no server, same interface.

Locks are file locks (so two crawls started from two shells of one embedded home still
exclude each other), checkpoints are JSON files replaced atomically (so a killed crawl
can resume), and the registry lives in this process's memory (entries die with it, like
ephemeral znodes).
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ecomlab.coordination.base import Coordinator, LockBusyError, ServiceEntry, checked_name

_POLL = 0.05


class InProcessCoordinator(Coordinator):
    def __init__(self, root: Path):
        self.root = Path(root)
        (self.root / "locks").mkdir(parents=True, exist_ok=True)
        (self.root / "checkpoints").mkdir(parents=True, exist_ok=True)
        self._registry: dict[str, ServiceEntry] = {}
        self._registry_lock = threading.Lock()
        self._ids = itertools.count(1)

    @contextmanager
    def lock(self, name: str, timeout: float = 0.0) -> Iterator[None]:
        path = self.root / "locks" / f"{checked_name('lock', name)}.lock"
        handle = path.open("a+")
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockBusyError(f"lock {name!r} is held by another process ({path})") from None
                    time.sleep(_POLL)
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}\n")
            handle.flush()
            yield
        finally:
            handle.close()  # closing releases the flock

    def _checkpoint_path(self, name: str) -> Path:
        return self.root / "checkpoints" / f"{checked_name('checkpoint', name)}.json"

    def load_checkpoint(self, name: str) -> dict[str, Any] | None:
        path = self._checkpoint_path(name)
        if not path.exists():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def save_checkpoint(self, name: str, state: dict[str, Any]) -> None:
        path = self._checkpoint_path(name)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)

    def clear_checkpoint(self, name: str) -> None:
        self._checkpoint_path(name).unlink(missing_ok=True)

    def register(self, service: str, address: str, meta: dict[str, Any] | None = None) -> str:
        checked_name("service", service)
        entry_id = f"{service}/{next(self._ids):010d}"
        with self._registry_lock:
            self._registry[entry_id] = ServiceEntry(service, address, dict(meta or {}))
        return entry_id

    def unregister(self, entry_id: str) -> None:
        with self._registry_lock:
            self._registry.pop(entry_id, None)

    def list(self, service: str | None = None) -> list[ServiceEntry]:
        with self._registry_lock:
            return [e for _, e in sorted(self._registry.items()) if service is None or e.service == service]

    def close(self) -> None:
        with self._registry_lock:
            self._registry.clear()
