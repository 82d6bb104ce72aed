"""`dag.test()` runs of the stages that exist, on the embedded profile, with real Spark (spark-submit).

Ingest simulates one small day, lands it and loads ODS through SparkSubmitOperator; clean then
turns that day into DWD. (A repeated interval is checked end to end on the local profile, where
the whole chain runs twice and must leave identical outputs.)
Collect crawls a few pages of the demo shop and a competitor (on loopback) into ODS.
The runs use their own ecomlab home (the embedded Derby metastore allows one process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DAY = "2026-11-01"
# Every test here starts Airflow's database migration in a subprocess; the second runs spark-submit.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedded_airflow(airflow_env, tmp_path_factory):
    """A migrated Airflow database, this profile's Spark connection, and a DagBag parsed for a home of its own."""
    from ecomlab.orchestration.submit import airflow_env as spark_env
    from ecomlab.settings import get_settings, load_settings

    home = tmp_path_factory.mktemp("dag-runs-home")
    saved = dict(os.environ)
    os.environ.update(ECOMLAB_HOME=str(home), ECOMLAB_SPARK__SHUFFLE_PARTITIONS="2")
    settings = load_settings("embedded")
    os.environ.update(spark_env(settings))
    migrate = subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"], capture_output=True, text=True, check=False
    )
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    get_settings.cache_clear()
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    assert bag.import_errors == {}
    yield bag, settings
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()


def _states(run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def _ods_rows(settings, table: str, day: str) -> int:
    import pyarrow.parquet as pq

    partition = Path(settings.warehouse_root.removeprefix("file://")) / "ods.db" / table / f"dt={day}"
    return pq.ParquetDataset(str(partition)).read().num_rows


def _landed_rows(settings, entity_name: str, day: str, source: str = "shop") -> int:
    from ecomlab.sources.registry import entities_of
    from ecomlab.storage.lake import lake_from_settings
    from ecomlab.storage.raw_zone import RawZone

    [entity] = entities_of(source, [entity_name])
    return sum(m.rows for m in RawZone(lake_from_settings(settings)).batches(entity, day))


def test_bad_params_fail_the_run_before_any_work(embedded_airflow):
    from airflow.sdk.definitions.param import ParamValidationError

    bag, settings = embedded_airflow
    dag = bag.dags["ecomlab_ingest"]
    with pytest.raises(ParamValidationError, match="events"):
        dag.test(run_conf={"events": 5})
    run = dag.test(run_conf={"start": "2026-11-03", "end": "2026-11-01"})
    assert run.state == "failed"
    states = _states(run)
    assert states["check_params"] == "failed"
    assert states["land"] == "upstream_failed"
    assert not (settings.home / "incoming").exists()


@pytest.mark.spark
def test_ingest_then_clean(embedded_airflow):
    bag, settings = embedded_airflow
    run = bag.dags["ecomlab_ingest"].test(run_conf={"events": 10_000, "start": DAY, "end": DAY})
    assert run.state == "success", _states(run)
    lake = Path(settings.lake_root.removeprefix("file://"))
    plan = json.loads((lake / "runs/orchestration/shop" / DAY / "ods_plan.json").read_text())
    assert plan["source"] == "shop" and plan["entities"]["events"] == [DAY]
    landed = _landed_rows(settings, "events", DAY)
    assert landed > 0
    assert _ods_rows(settings, "shop_events", DAY) == landed

    cleaned = bag.dags["ecomlab_clean"].test(run_conf={"dataset": "shop", "start": DAY})
    assert cleaned.state == "success", _states(cleaned)
    batch = json.loads((lake / "runs" / f"shop-{DAY}" / "quality" / "report.json").read_text())["batch"]
    assert batch["rows_in"] == batch["dwd_rows"] + batch["quarantined"] + batch["merged"]
    assert batch["dwd_rows"] > 0
    warehouse = Path(settings.warehouse_root.removeprefix("file://"))
    assert (warehouse / "dwd.db" / "shop_events" / f"dt={DAY}").is_dir()


@pytest.mark.spark
def test_collect_crawls_the_demo_shop_into_ods(embedded_airflow):
    bag, settings = embedded_airflow
    run = bag.dags["ecomlab_collect"].test(run_conf={"crawl_items": 4})
    assert run.state == "success", _states(run)
    [folder] = (Path(settings.lake_root.removeprefix("file://")) / "runs/orchestration/crawl").iterdir()
    plan = json.loads((folder / "ods_plan.json").read_text())
    assert plan["source"] == "crawl" and "products" in plan["entities"]
    [day] = plan["entities"]["products"]
    landed = _landed_rows(settings, "products", day, source="crawl")
    # Four product pages of the shop and four of its competitor.
    assert landed == 8
    assert _ods_rows(settings, "crawl_products", day) == landed
