"""Airflow's one-time preparation: its metadata schema on the platform's PostgreSQL."""

from __future__ import annotations

import os
import subprocess

from ecomlab.services.definitions import BIN, airflow_env
from ecomlab.services.layout import Layout
from ecomlab.settings import Settings


def migrate(settings: Settings, layout: Layout) -> None:
    """`airflow db migrate` (creates or upgrades the schema; a no-op when current)."""
    env = {**os.environ, **airflow_env(settings, layout)}
    log = layout.log("airflow-db-migrate")
    with log.open("ab") as out:
        result = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed (exit {result.returncode}); see {log}")
