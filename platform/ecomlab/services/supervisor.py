"""The process supervisor: supervisord with a generated configuration, driven over its unix socket.

supervisord runs daemonised with no TCP listener (its control socket is a unix socket in
`<home>/services/run`, mode 0700); each service is a program that is not started on its
own (`autostart=false`): `up` starts them one by one in order. Programs are stopped with
their whole process group, so launchers (spark-submit, Airflow's workers) leave nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path

import psutil
from supervisor.xmlrpc import SupervisorTransport

from ecomlab.services.definitions import Service
from ecomlab.services.layout import Layout

# supervisord's process states (supervisor.states.ProcessStates)
RUNNING_STATES = {"STARTING", "RUNNING", "BACKOFF"}


class SupervisorError(RuntimeError):
    pass


def _quote(key: str, value: str) -> str:
    # supervisord's environment= syntax: KEY="value", with % doubled (it expands %(name)s).
    # Its parser cannot keep a double quote inside a value: refuse rather than change it.
    if '"' in value:
        raise ValueError(f"environment variable {key} of a service holds a double quote: {value!r}")
    return '"' + value.replace("%", "%%") + '"'


def _command(parts: list[str]) -> str:
    import shlex

    return " ".join(shlex.quote(p) for p in parts).replace("%", "%%")


def render(services: list[Service], layout: Layout) -> str:
    """supervisord.conf for these services; their order is their priority (stopped in reverse)."""
    lines = [
        "[unix_http_server]",
        f"file={layout.supervisor_socket}",
        "chmod=0700",
        "",
        "[supervisord]",
        f"logfile={layout.logs / 'supervisord.log'}",
        "logfile_maxbytes=10MB",
        "logfile_backups=2",
        f"pidfile={layout.supervisor_pidfile}",
        f"directory={layout.home}",
        "nodaemon=false",
        "minfds=1024",
        f"childlogdir={layout.logs}",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{layout.supervisor_socket}",
        "",
    ]
    for priority, service in enumerate(services, start=1):
        lines += [
            f"[program:{service.name}]",
            f"command={_command(service.command)}",
            f"priority={priority * 10}",
            "autostart=false",
            "autorestart=unexpected",
            "startsecs=1",
            "startretries=2",
            f"stopsignal={service.stop_signal}",
            f"stopwaitsecs={service.stop_seconds}",
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={layout.log(service.name)}",
            "stdout_logfile_maxbytes=20MB",
            "stdout_logfile_backups=2",
            f"directory={layout.home}",
        ]
        if service.user:
            lines.append(f"user={service.user}")
        if service.env:
            lines.append("environment=" + ",".join(f"{k}={_quote(k, v)}" for k, v in sorted(service.env.items())))
        lines.append("")
    return "\n".join(lines)


class Supervisor:
    def __init__(self, layout: Layout):
        self.layout = layout

    def _proxy(self):
        transport = SupervisorTransport(None, None, f"unix://{self.layout.supervisor_socket}")
        # The host part is ignored with a unix socket transport.
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor

    def pid(self) -> int | None:
        try:
            pid = int(self.layout.supervisor_pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return pid

    def running(self) -> bool:
        if not self.layout.supervisor_socket.exists() or self.pid() is None:
            return False
        try:
            return self._proxy().getState()["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Error):
            return False

    def start(self, env: dict[str, str] | None = None, timeout: float = 20.0) -> None:
        """Start supervisord (daemonised) with the generated configuration, or reload a running one.

        `env` is added to the environment it and every program inherit."""
        if self.running():
            self.reread()
            return
        self.layout.supervisor_socket.unlink(missing_ok=True)
        result = subprocess.run(
            [sys.executable, "-m", "supervisor.supervisord", "-c", str(self.layout.supervisor_conf)],
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
        )
        if result.returncode != 0:
            raise SupervisorError(f"supervisord did not start: {(result.stderr or result.stdout).strip()}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.running():
                return
            time.sleep(0.1)
        raise SupervisorError(f"supervisord did not answer on {self.layout.supervisor_socket} within {timeout}s")

    def reread(self) -> None:
        """Pick up a changed configuration: add new programs, replace changed ones that are stopped."""
        proxy = self._proxy()
        added, changed, removed = proxy.reloadConfig()[0]
        for name in removed:
            self._stop_quietly(name)
            proxy.removeProcessGroup(name)
        for name in changed:  # its command or environment changed: restart it with the new one
            self._stop_quietly(name)
            proxy.removeProcessGroup(name)
            proxy.addProcessGroup(name)
        for name in added:
            proxy.addProcessGroup(name)

    def start_program(self, name: str) -> None:
        try:
            self._proxy().startProcess(name, True)
        except xmlrpc.client.Fault as fault:
            if "ALREADY_STARTED" not in fault.faultString:
                raise SupervisorError(f"{name} did not start: {fault.faultString}; see its log") from None

    def stop_program(self, name: str) -> None:
        self._stop_quietly(name)

    def _stop_quietly(self, name: str) -> None:
        try:
            self._proxy().stopProcess(name, True)
        except xmlrpc.client.Fault as fault:
            if "NOT_RUNNING" not in fault.faultString and "BAD_NAME" not in fault.faultString:
                raise SupervisorError(f"{name} did not stop: {fault.faultString}") from None

    def info(self, name: str) -> dict:
        """The program's state name and pid ("UNKNOWN" when not configured, "NOT RUNNING" without supervisord)."""
        try:
            return self._proxy().getProcessInfo(name)
        except xmlrpc.client.Fault:
            return {"statename": "UNKNOWN", "pid": 0}
        except OSError:
            return {"statename": "NOT RUNNING", "pid": 0}

    def state(self, name: str) -> str:
        return self.info(name)["statename"]

    def states(self) -> dict[str, dict]:
        if not self.running():
            return {}
        return {info["name"]: info for info in self._proxy().getAllProcessInfo()}

    def shutdown(self, timeout: float = 120.0) -> None:
        """Stop every program (in reverse start order) and supervisord itself; wait until it is gone."""
        pid = self.pid()
        if pid is None:
            return
        try:
            proxy = self._proxy()
            proxy.stopAllProcesses(True)
            proxy.shutdown()
        except (OSError, xmlrpc.client.Error):
            os.kill(pid, 15)
        # Its pid file goes before the process does: wait for the process itself.
        try:
            psutil.Process(pid).wait(timeout)
        except psutil.NoSuchProcess:
            pass
        except psutil.TimeoutExpired:
            raise SupervisorError(f"supervisord (pid {pid}) did not exit within {timeout}s") from None


def log_tail(path: Path, lines: int = 20) -> str:
    if not path.exists():
        return ""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 64_000))
        return b"\n".join(handle.read().splitlines()[-lines:]).decode(errors="replace")
