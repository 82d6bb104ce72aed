"""End to end on the local profile: `ecomlab up` starts every service; the master DAG, triggered
through Airflow's REST API with a conf, runs the chain of stage DAGs; the ADS tables are read
through pyhive over the Thrift Server and the results through SQLAlchemy from the mart; Airflow's
components are healthy and its API takes the generated admin password only; the dashboards page
inside the Airflow UI loads in headless Chromium; a repeated run, with a Spark job killed mid-run
and retried by Airflow, gives the same outputs; a stopped service fails the DAG with an error
naming it; `ecomlab down` leaves nothing.

One platform is started for the module, on free ports and in a home of its own; the tests run
in file order (the last ones stop a service and then everything).
"""

from __future__ import annotations

import importlib.util
import re
import sys
import time
from pathlib import Path

import psutil
import pytest
import sqlalchemy
from platform_helpers import cli, leftovers, platform_home, status_rows

# The dashboards' browser driver (headless Chromium through playwright-core) lives with their tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dashboards"))
from dashboard_browser import Browser, unavailable

pytestmark = [
    pytest.mark.slow,
    # Starting every service and running the whole chain takes longer than one ordinary test.
    pytest.mark.timeout(2700),
    pytest.mark.skipif(
        importlib.util.find_spec("airflow") is None, reason="Apache Airflow is not installed in this environment"
    ),
]

PIPELINE = "ecomlab_pipeline"
AIRFLOW = ["airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"]
STAGES = ["ecomlab_ingest", "ecomlab_clean", "ecomlab_indicators", "ecomlab_mining", "ecomlab_dashboards"]
# One simulated day at the smallest scale the parameters allow: the chain, not the data, is under test.
DAY = "2026-11-01"
CONF = {"source": "shop", "start": DAY, "end": DAY, "events": 10_000, "crawl_items": 0}
RUN_TIMEOUT = 2400


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    env, settings = platform_home(tmp_path_factory, "pipeline")
    up = cli(env, "up")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield env, settings
    finally:
        cli(env, "down")


@pytest.fixture(scope="module")
def airflow(platform):
    from ecomlab.services.airflow_api import AirflowClient

    _, settings = platform
    with AirflowClient.from_platform(settings) as client:
        deadline = time.monotonic() + 300
        while not {*STAGES, PIPELINE} <= set(client.dags()):
            assert time.monotonic() < deadline, f"the DAG processor did not list every DAG: {client.dags()}"
            time.sleep(5)
        for dag_id in [*STAGES, "ecomlab_collect"]:
            client.unpause(dag_id)
        yield client


def test_airflow_components_are_healthy_and_the_api_takes_the_generated_password_only(platform, airflow):
    from ecomlab.services.airflow_api import AirflowApiError, AirflowClient
    from ecomlab.services.discovery import require

    env, settings = platform
    status = cli(env, "status")
    rows = status_rows(status.stdout)
    assert status.returncode == 0, status.stdout
    for name in AIRFLOW:
        assert rows[name].startswith("healthy since"), status.stdout
    with pytest.raises(AirflowApiError, match=r"login as admin .* failed: 401"):
        AirflowClient(require(settings, "airflow-api-server").address, "admin", "not-the-password")


def run_pipeline(client) -> str:
    return finish_pipeline(client, client.trigger(PIPELINE, CONF))


def finish_pipeline(client, run_id: str) -> str:
    """Wait for a master run; when it did not succeed, fail with the logs of the failed tasks."""
    state = client.wait(PIPELINE, run_id, timeout=RUN_TIMEOUT, poll=10)
    if state != "success":
        failed = {
            f"{dag_id}.{ti['task_id']}": client.task_log(dag_id, run["dag_run_id"], ti["task_id"], ti["try_number"])[
                -3000:
            ]
            for dag_id in STAGES
            for run in client.runs(dag_id)
            for ti in client.task_instances(dag_id, run["dag_run_id"])
            if ti["state"] == "failed"
        }
        pytest.fail(f"{PIPELINE} run {run_id} ended {state}; failed tasks: {failed}")
    settle(client)
    return run_id


def settle(client, timeout: float = 600) -> None:
    """Wait until no stage run is queued or running.

    The master run succeeds once the chain is marked done by the dashboards' last task, which
    can be before the scheduler closes that dashboards run, and a second dashboards run (after
    the other ADS stage) may still follow: the checks and the next run start from a quiet
    platform.
    """
    deadline = time.monotonic() + timeout
    while busy := {
        dag_id: states
        for dag_id in STAGES
        if {"queued", "running"} & set(states := [run["state"] for run in client.runs(dag_id)])
    }:
        assert time.monotonic() < deadline, f"stage runs still unfinished {timeout:.0f}s after the master run: {busy}"
        time.sleep(5)


def outputs(settings) -> dict:
    """What a run leaves for the day: ADS rows through HiveServer2 and mart rows through SQLAlchemy."""
    from ecomlab.warehouse import hiveserver2

    ads = hiveserver2.query(
        settings,
        "SELECT indicator_id, dimension, dimension_value, value FROM ads.indicator_daily "
        f"WHERE dt = '{DAY}' AND dataset = 'shop'",
    )
    # Row counts of the day's ODS and DWD events: a reload that appended would show here even
    # where cleaning merges the duplicates away before the indicators.
    layers = hiveserver2.query(
        settings,
        f"SELECT (SELECT count(*) FROM ods.shop_events WHERE dt = '{DAY}') AS ods, "
        f"(SELECT count(*) FROM dwd.shop_events WHERE dt = '{DAY}') AS dwd",
    )
    engine = sqlalchemy.create_engine(settings.mart_url)
    try:
        with engine.connect() as conn:
            mart = conn.exec_driver_sql(
                "SELECT indicator_id, dimension, dimension_value, value FROM indicator_daily "
                "WHERE dataset = 'shop' AND CAST(dt AS TEXT) LIKE %(day)s",
                {"day": f"{DAY}%"},
            ).fetchall()
            segments = conn.exec_driver_sql("SELECT count(*) FROM mining_segments WHERE dataset = 'shop'").scalar_one()
            quality = conn.exec_driver_sql("SELECT count(*) FROM quality_summary WHERE dataset = 'shop'").scalar_one()
    finally:
        engine.dispose()

    def rows(records) -> list[tuple]:
        return sorted(
            (str(i), str(d or ""), str(v or ""), None if x is None or x != x else round(float(x), 6))
            for i, d, v, x in records
        )

    return {
        "ads": rows(ads.itertuples(index=False, name=None)),
        "mart": rows(mart),
        "events": {layer: int(layers[layer].iloc[0]) for layer in ("ods", "dwd")},
        "segments": segments,
        "quality": quality,
    }


@pytest.fixture(scope="module")
def first_run(platform, airflow):
    _, settings = platform
    started = time.monotonic()
    run_id = run_pipeline(airflow)
    return {"run_id": run_id, "seconds": time.monotonic() - started, "outputs": outputs(settings)}


def test_the_master_dag_runs_every_stage_and_the_results_are_readable(airflow, first_run):
    for dag_id in STAGES:
        states = [run["state"] for run in airflow.runs(dag_id)]
        # The dashboards run after either ADS stage: once or twice, as their events fall.
        expected = len(states) in (1, 2) if dag_id == "ecomlab_dashboards" else len(states) == 1
        assert expected and set(states) == {"success"}, f"{dag_id}: {states}"
    # Nothing was crawled (crawl_items 0): the collect DAG never ran.
    assert airflow.runs("ecomlab_collect") == []
    found = first_run["outputs"]
    assert len(found["ads"]) > 50, found["ads"][:5]
    # The mart holds exactly what ADS holds for the day, read through two different endpoints.
    assert found["mart"] == found["ads"]
    assert found["segments"] > 0 and found["quality"] > 0
    assert 0 < found["events"]["dwd"] <= found["events"]["ods"], found["events"]


def test_the_dashboards_page_inside_the_airflow_ui_loads_in_chromium(platform, airflow, tmp_path):
    reason = unavailable()
    if reason:
        pytest.fail(f"this test needs a real browser: {reason}")
    # The API server's address from the service registry, as the client found it.
    url = airflow.base_url
    token = airflow.http.headers["Authorization"].removeprefix("Bearer ")
    browser = Browser()
    try:
        page = browser.visit(
            f"{url}/ecomlab/shop/overview",
            tmp_path / "overview.png",
            cookies=[{"name": "_token", "value": token, "url": url}],
        )
        assert page["errors"] == [] and [m for m in page["console"] if m["type"] == "error"] == []
        assert page["charts"], "the overview board drew no chart"
        assert all(u.startswith(url) or u.startswith("data:") for u in page["requests"]), page["requests"]
        ui = browser.visit(f"{url}/plugin/ecomlab-dashboards", tmp_path / "ui.png", hover=False, frame="/ecomlab/")
        (frame,) = [f for f in ui["frames"] if f["url"].startswith(f"{url}/ecomlab/")]
        assert "KPI overview" in frame["text"]
        assert ui["errors"] == []
    finally:
        browser.close()


def spark_driver(job: str, timeout: float) -> psutil.Process:
    """The spark-submit JVM running `jobs/<job>.py`, once Airflow has started it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in psutil.process_iter(["cmdline"]):
            cmdline = " ".join(process.info["cmdline"] or [])
            if "org.apache.spark.deploy.SparkSubmit" in cmdline and f"jobs/{job}.py" in cmdline:
                return process
        time.sleep(1)
    pytest.fail(f"no spark-submit of jobs/{job}.py started within {timeout:.0f}s")


def test_a_repeated_run_with_a_spark_job_killed_mid_run_retries_it_and_gives_identical_outputs(
    platform, airflow, first_run
):
    # One repeated master run checks both: every stage rerun over the same day, and one of them
    # retried by Airflow after its Spark driver was killed, leaves exactly the first run's outputs.
    _, settings = platform
    run_id = airflow.trigger(PIPELINE, CONF)
    driver = spark_driver("indicators", timeout=RUN_TIMEOUT)
    # Mid-run: the session is up and the job is reading and writing (it runs for minutes on one day).
    time.sleep(40)
    assert driver.is_running(), "the indicators job ended before it could be killed"
    driver.kill()
    finish_pipeline(airflow, run_id)
    tries = [
        ti["try_number"]
        for run in airflow.runs("ecomlab_indicators")[1:]
        for ti in airflow.task_instances("ecomlab_indicators", run["dag_run_id"])
        if ti["task_id"] == "indicators"
    ]
    assert tries and max(tries) >= 2, tries
    assert outputs(settings) == first_run["outputs"]


def test_a_stopped_service_fails_the_dag_with_an_error_naming_it(platform, airflow):
    env, settings = platform
    assert cli(env, "down", "--only", "thrift-server").returncode == 0
    # The registry drops the service once its ephemeral node expires: a few seconds.
    deadline = time.monotonic() + 60
    while (shown := status_rows(cli(env, "status").stdout)["thrift-server"]) != "down" and time.monotonic() < deadline:
        time.sleep(2)
    assert shown == "down"
    chain = "thrift-server-stopped"
    run_id = airflow.trigger("ecomlab_dashboards", {"dataset": "shop", "start": DAY, "chain": chain})
    assert airflow.wait("ecomlab_dashboards", run_id, timeout=900, poll=5) == "failed"
    failed = [ti for ti in airflow.task_instances("ecomlab_dashboards", run_id) if ti["state"] == "failed"]
    assert [ti["task_id"] for ti in failed] == ["check_ads"], failed
    log = airflow.task_log("ecomlab_dashboards", run_id, "check_ads", failed[0]["try_number"])
    assert "thrift-server is not registered" in log, log[-2000:]
    # The failure callback (it runs just after the state is reported) tells a master pipeline
    # waiting on this chain, which then fails at once with the same error.
    deadline = time.monotonic() + 120
    while (failure := chain_failure(settings, chain)) is None and time.monotonic() < deadline:
        time.sleep(2)
    assert failure is not None, f"no failure recorded for chain {chain}"
    expected = r"shop: ecomlab_dashboards\.check_ads failed at .*thrift-server is not registered"
    assert re.search(expected, failure), failure


def chain_failure(settings, chain: str) -> str | None:
    """The failure recorded for the chain's shop data set, as the master pipeline's wait would report it."""
    from ecomlab.orchestration.stages import ChainFailed, chain_finished

    try:
        chain_finished(settings, chain, ["shop"])
    except ChainFailed as exc:
        return str(exc)
    return None


def test_down_leaves_no_process_behind(platform):
    env, settings = platform
    assert cli(env, "down").returncode == 0
    assert leftovers(settings.home) == []
