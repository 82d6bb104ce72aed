"""Helpers of the tests that start the local platform: a home PostgreSQL's user can reach, free ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from unittest import mock

import psutil

ECOMLAB = str(Path(sys.executable).parent / "ecomlab")


def free_ports(count: int) -> list[int]:
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
    ports = [s.getsockname()[1] for s in sockets]
    for sock in sockets:
        sock.close()
    return ports


def platform_home(tmp_path_factory, name: str) -> tuple[dict[str, str], object]:
    """A home PostgreSQL's own user can enter (pytest's directories are 0700), the environment
    that points the platform at it on free ports, and its settings."""
    from ecomlab.settings import ServicePorts, load_settings

    home = tmp_path_factory.mktemp(name) / "home"
    home.mkdir()
    # Up to the parent of pytest's base directory (pytest-of-<user> is 0700 too).
    stop = tmp_path_factory.getbasetemp().parent
    for directory in [home, *home.parents]:
        directory.chmod(directory.stat().st_mode | 0o011)
        if directory == stop:
            break
    keys = list(ServicePorts.model_fields)
    env = {
        "ECOMLAB_PROFILE": "local",
        "ECOMLAB_HOME": str(home),
        "ECOMLAB_SERVICES__START_TIMEOUT_SECONDS": "300",
        **{f"ECOMLAB_SERVICES__PORTS__{k.upper()}": str(p) for k, p in zip(keys, free_ports(len(keys)), strict=True)},
    }
    with mock.patch.dict(os.environ, env):
        settings = load_settings("local")
    return {**os.environ, **env, "COLUMNS": "200"}, settings


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([ECOMLAB, *args], env=env, capture_output=True, text=True, timeout=900)


def status_rows(output: str) -> dict[str, str]:
    """service -> health cell of `ecomlab status`'s table."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│┃ ").split("│")]
        if len(cells) == 4:
            rows[cells[0]] = cells[3]
    return rows


def leftovers(home: Path) -> list[str]:
    """Processes that still belong to the platform in `home` (by command line or marker)."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        try:
            cmdline = " ".join(process.info["cmdline"] or [])
            marked = process.environ().get("ECOMLAB_PLATFORM", "").startswith(str(home))
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if str(home) in cmdline or marked:
            found.append(f"{process.info['pid']}: {cmdline[:120]}")
    return found
