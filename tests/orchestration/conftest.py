"""Airflow for the DAG tests: its own home (set before airflow is first imported) and the DAG folder.

Test modules here import airflow only inside fixtures and tests, after `airflow_env`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGS_DIR = REPO_ROOT / "dags"


def _airflow_variables(home: Path) -> dict[str, str]:
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
    }


@pytest.fixture(scope="session")
def airflow_env() -> Path:
    """The run's AIRFLOW_HOME (set by the root conftest before anything imports airflow)."""
    home = Path(os.environ["AIRFLOW_HOME"])
    os.environ.update(_airflow_variables(home))
    return home


@pytest.fixture(scope="session")
def dagbag(airflow_env, settings):
    """Every DAG file of dags/, parsed once, with the session's embedded settings."""
    from airflow.dag_processing.dagbag import DagBag

    from ecomlab.settings import get_settings

    get_settings.cache_clear()
    return DagBag(str(DAGS_DIR))


@pytest.fixture(scope="session")
def airflow_variables():
    """The variables that point an Airflow process at a home and at dags/ (for subprocesses)."""
    return _airflow_variables
