"""Health checks of the services: each answers "healthy or not, and why" within a short timeout."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

TIMEOUT = 2.0


@dataclass(frozen=True)
class Health:
    ok: bool
    detail: str


class Check:
    """A health check; subclasses implement `check`."""

    def check(self) -> Health:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self) -> Health:
        try:
            return self.check()
        except Exception as exc:  # a check must answer, never raise
            return Health(False, f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class TcpCheck(Check):
    """The port accepts connections (the service listens only once it is ready)."""

    port: int
    host: str = "127.0.0.1"

    def check(self) -> Health:
        try:
            with socket.create_connection((self.host, self.port), timeout=TIMEOUT):
                return Health(True, f"listening on {self.host}:{self.port}")
        except OSError as exc:
            return Health(False, f"nothing listening on {self.host}:{self.port} ({exc.strerror or exc})")


@dataclass(frozen=True)
class ZooKeeperCheck(Check):
    """ZooKeeper answers `ruok` with `imok`."""

    port: int
    host: str = "127.0.0.1"

    def check(self) -> Health:
        try:
            with socket.create_connection((self.host, self.port), timeout=TIMEOUT) as sock:
                sock.sendall(b"ruok")
                answer = sock.recv(4)
        except OSError as exc:
            return Health(False, f"no answer on {self.host}:{self.port} ({exc.strerror or exc})")
        return Health(answer == b"imok", f"ruok -> {answer.decode(errors='replace') or 'nothing'}")


@dataclass(frozen=True)
class PostgresCheck(Check):
    """PostgreSQL accepts a session on its socket and answers a query."""

    socket_dir: Path
    port: int
    user: str = "ecomlab"
    database: str = "postgres"

    def check(self) -> Health:
        import psycopg

        try:
            with psycopg.connect(
                host=str(self.socket_dir), port=self.port, user=self.user, dbname=self.database, connect_timeout=2
            ) as conn:
                version = conn.execute("SHOW server_version").fetchone()[0]
        except psycopg.OperationalError as exc:
            return Health(False, str(exc).strip().splitlines()[0])
        return Health(True, f"PostgreSQL {version}")


def get_json(url: str) -> object:
    with urlopen(url, timeout=TIMEOUT) as response:
        return json.loads(response.read().decode())


@dataclass(frozen=True)
class HttpCheck(Check):
    """An HTTP GET answers 2xx (and, when given, the body contains `expect`)."""

    url: str
    expect: str | None = None

    def check(self) -> Health:
        try:
            with urlopen(self.url, timeout=TIMEOUT) as response:
                body = response.read(65536).decode(errors="replace")
                status = response.status
        except (URLError, OSError) as exc:
            return Health(False, f"GET {self.url}: {getattr(exc, 'reason', exc)}")
        if self.expect is not None and self.expect not in body:
            return Health(False, f"GET {self.url}: {status} without {self.expect!r}")
        return Health(True, f"GET {self.url}: {status}")


@dataclass(frozen=True)
class SparkMasterCheck(Check):
    """The standalone master's JSON page says ALIVE."""

    ui_port: int

    def check(self) -> Health:
        state = get_json(f"http://127.0.0.1:{self.ui_port}/json/")
        status = state.get("status")
        return Health(status == "ALIVE", f"master {status}, {state.get('aliveworkers', 0)} alive worker(s)")


@dataclass(frozen=True)
class SparkWorkerCheck(Check):
    """The master lists this worker (by its port) as ALIVE: registered and usable."""

    master_ui_port: int
    worker_port: int

    def check(self) -> Health:
        state = get_json(f"http://127.0.0.1:{self.master_ui_port}/json/")
        for worker in state.get("workers", []):
            if worker.get("port") == self.worker_port and worker.get("state") == "ALIVE":
                return Health(True, f"registered: {worker.get('cores')} cores, {worker.get('memory')} MiB")
        return Health(False, f"no ALIVE worker on port {self.worker_port} at the master")


@dataclass(frozen=True)
class AirflowComponentCheck(Check):
    """Airflow's API server reports the component (scheduler, triggerer, dag_processor) healthy."""

    api_port: int
    component: str  # "metadatabase", "scheduler", "triggerer", "dag_processor"

    def check(self) -> Health:
        state = get_json(f"http://127.0.0.1:{self.api_port}/api/v2/monitor/health")
        part = state.get(self.component) or {}
        status = part.get("status")
        return Health(status == "healthy", f"{self.component}: {status or 'not reported'}")
