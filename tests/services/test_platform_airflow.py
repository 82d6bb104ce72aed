"""Airflow on the local platform: api-server, scheduler, dag-processor and triggerer on PostgreSQL,
healthy, reachable with the generated admin password, and gone after `down`."""

from __future__ import annotations

import importlib.util

import pytest
from platform_helpers import cli, leftovers, platform_home, status_rows

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("airflow") is None, reason="Apache Airflow is not installed in this environment"
    ),
]

AIRFLOW = ["airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"]


@pytest.fixture(scope="module")
def airflow_platform(tmp_path_factory):
    env, settings = platform_home(tmp_path_factory, "airflow")
    up = cli(env, "up", "--only", ",".join(AIRFLOW[1:]))
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield env, settings
    finally:
        cli(env, "down")


def test_airflow_components_are_healthy_and_registered(airflow_platform):
    env, _ = airflow_platform
    status = cli(env, "status")
    rows = status_rows(status.stdout)
    assert status.returncode == 0, status.stdout
    for name in AIRFLOW:
        assert rows[name].startswith("healthy since"), status.stdout


def test_the_api_takes_the_generated_admin_password_only(airflow_platform):
    from ecomlab.services.airflow_api import AirflowApiError, AirflowClient
    from ecomlab.services.discovery import require

    _, settings = airflow_platform
    with AirflowClient.from_platform(settings) as client:
        assert isinstance(client.dags(), list)
    with pytest.raises(AirflowApiError, match=r"login as admin .* failed: 401"):
        AirflowClient(require(settings, "airflow-api-server").address, "admin", "not-the-password")


def test_down_stops_every_airflow_process(airflow_platform):
    env, settings = airflow_platform
    assert cli(env, "down").returncode == 0
    assert leftovers(settings.home) == []
