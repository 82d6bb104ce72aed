"""A small client of Airflow's REST API (v2) on the local platform: log in, unpause, trigger, wait.

The API server is found in the service registry and the admin password in the platform's
secrets, so a caller needs only the settings.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from ecomlab.services.discovery import require
from ecomlab.services.layout import Layout
from ecomlab.services.secrets import ADMIN_USER
from ecomlab.settings import Settings

FINISHED = {"success", "failed"}


class AirflowApiError(RuntimeError):
    pass


class AirflowClient:
    def __init__(self, base_url: str, username: str, password: str, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout)
        response = self.http.post("/auth/token", json={"username": username, "password": password})
        if response.status_code not in (200, 201):
            raise AirflowApiError(f"login as {username} at {self.base_url} failed: {response.status_code}")
        self.http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    @classmethod
    def from_platform(cls, settings: Settings) -> AirflowClient:
        entry = require(settings, "airflow-api-server")
        password = (Layout(settings.home).secrets / "admin_password").read_text(encoding="utf-8").strip()
        return cls(entry.address, ADMIN_USER, password)

    def _call(self, method: str, path: str, **kwargs: Any) -> dict:
        response = self.http.request(method, f"/api/v2{path}", **kwargs)
        if response.status_code >= 400:
            raise AirflowApiError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json()

    def dags(self) -> list[str]:
        return [dag["dag_id"] for dag in self._call("GET", "/dags")["dags"]]

    def unpause(self, dag_id: str) -> None:
        self._call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        """Start a run now (new DAGs start paused: unpaused first); returns its run id."""
        self.unpause(dag_id)
        run = self._call("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}})
        return run["dag_run_id"]

    def wait(self, dag_id: str, run_id: str, timeout: float = 1800.0, poll: float = 5.0) -> str:
        """The run's final state (success or failed); AirflowApiError when it is not finished in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
            if state in FINISHED:
                return state
            time.sleep(poll)
        raise AirflowApiError(f"{dag_id} run {run_id} not finished within {timeout:.0f}s")

    def runs(self, dag_id: str) -> list[dict]:
        """The DAG's runs (run id, state, conf, start and end), oldest first."""
        return self._call("GET", f"/dags/{dag_id}/dagRuns", params={"order_by": "start_date", "limit": 100})["dag_runs"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int = 1) -> str:
        """A task try's log as text (Airflow 3 serves it as structured events)."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}"
        content = self._call("GET", path, params={"full_content": "true"}, headers={"Accept": "application/json"})[
            "content"
        ]
        if isinstance(content, str):
            return content
        lines = []
        for event in content:
            if isinstance(event, dict):
                text = str(event.get("event", ""))
                error = event.get("error_detail")
                lines.append(text + (f" {error}" if error else ""))
            else:
                lines.append(str(event))
        return "\n".join(lines)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> AirflowClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
