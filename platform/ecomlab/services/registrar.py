"""The registrar: keeps one ephemeral ZooKeeper entry per healthy service of the platform.

Runs under the supervisor next to the services. Every few seconds it checks each service
that the last `up` selected; a healthy one is registered (`/ecomlab/services/<name>/entry-N`
holding its address and health), one that failed twice in a row is removed, so clients
that look a service up find only running ones. Its entries are ephemeral: if the
registrar dies, they vanish with its session and everything reads as down.

    python -m ecomlab.services.registrar --home HOME
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import threading
import time
from datetime import UTC, datetime

from ecomlab.coordination.zookeeper import ZooKeeperCoordinator
from ecomlab.services.definitions import Service, build_services
from ecomlab.services.layout import Layout
from ecomlab.settings import load_settings

log = logging.getLogger("ecomlab.registrar")
INTERVAL = 2.0
FAILURES_TO_DROP = 2


def selected(layout: Layout, services: list[Service]) -> list[Service]:
    try:
        names = json.loads(layout.selection.read_text(encoding="utf-8"))["services"]
    except (OSError, ValueError, KeyError):
        names = [s.name for s in services]
    return [s for s in services if s.name in names and s.registered]


class Registrar:
    def __init__(self, coordinator: ZooKeeperCoordinator, layout: Layout, services: list[Service]):
        self.coordinator = coordinator
        self.layout = layout
        self.all_services = services
        self.entries: dict[str, str] = {}
        self.failures: dict[str, int] = {}

    def _entry_alive(self, name: str) -> bool:
        entry = self.entries.get(name)
        return entry is not None and self.coordinator.client.exists(entry) is not None

    def cycle(self) -> None:
        services = selected(self.layout, self.all_services)  # a later `up --only` may add services
        for name in set(self.entries) - {s.name for s in services}:
            self.coordinator.unregister(self.entries.pop(name))
        for service in services:
            result = service.check()
            if result.ok:
                self.failures[service.name] = 0
                if not self._entry_alive(service.name):  # new, or lost with an expired session
                    meta = {
                        "health": "healthy",
                        "detail": result.detail,
                        "since": datetime.now(UTC).isoformat(timespec="seconds"),
                        "ports": service.ports,
                    }
                    self.entries[service.name] = self.coordinator.register(service.name, service.address, meta)
                    log.info("%s healthy at %s: %s", service.name, service.address, result.detail)
            else:
                self.failures[service.name] = self.failures.get(service.name, 0) + 1
                if service.name in self.entries and self.failures[service.name] >= FAILURES_TO_DROP:
                    self.coordinator.unregister(self.entries.pop(service.name))
                    log.warning("%s down: %s", service.name, result.detail)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.cycle()
            except Exception:  # ZooKeeper briefly unreachable: keep trying
                log.exception("registry update failed")
            stop.wait(INTERVAL)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True)
    args = parser.parse_args(argv)
    os.environ["ECOMLAB_HOME"] = args.home
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings("local")
    layout = Layout(settings.home)
    services = build_services(settings, layout)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    coordinator = None
    while coordinator is None and not stop.is_set():
        try:
            coordinator = ZooKeeperCoordinator(settings.zookeeper_hosts, session_timeout=10.0, connect_timeout=5.0)
        except ConnectionError as exc:
            log.warning("%s; retrying", exc)
            time.sleep(1)
    if coordinator is None:
        return
    try:
        Registrar(coordinator, layout, services).run(stop)
    finally:
        coordinator.close()  # the entries go with the session


if __name__ == "__main__":
    main()
