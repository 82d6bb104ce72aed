"""Where the local platform keeps its state: everything under `<home>/services`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    home: Path

    @property
    def root(self) -> Path:
        return self.home / "services"

    @property
    def conf(self) -> Path:
        """Generated configuration (supervisord.conf, zoo.cfg, hive-site.xml); may hold secrets: 0700."""
        return self.root / "conf"

    @property
    def data(self) -> Path:
        """Data kept across down/up (PostgreSQL cluster, ZooKeeper snapshots, Airflow home)."""
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        """Sockets and pid files: supervisord's control socket and PostgreSQL's socket."""
        return self.root / "run"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets"

    @property
    def tmp(self) -> Path:
        return self.home / "tmp"

    @property
    def supervisor_conf(self) -> Path:
        return self.conf / "supervisord.conf"

    @property
    def supervisor_socket(self) -> Path:
        return self.run / "supervisor.sock"

    @property
    def supervisor_pidfile(self) -> Path:
        return self.run / "supervisord.pid"

    @property
    def selection(self) -> Path:
        """The services the last `up` started (the registrar and `status` read it)."""
        return self.run / "selection.json"

    def log(self, service: str) -> Path:
        return self.logs / f"{service}.log"

    def data_dir(self, service: str) -> Path:
        return self.data / service

    def create(self) -> None:
        for path in (self.root, self.data, self.logs, self.tmp):
            path.mkdir(parents=True, exist_ok=True)
        for private in (self.conf, self.secrets, self.run):
            private.mkdir(parents=True, exist_ok=True)
            private.chmod(0o700)
