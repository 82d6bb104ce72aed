"""DAG integrity: every file imports, each stage has its tasks, schedule, params, retries and tags."""

from __future__ import annotations

import copy
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGS_DIR = REPO_ROOT / "dags"

STAGES = {
    "ecomlab_collect": ["check_params", "crawl", "load_ods_arguments", "load_ods", "publish_ods"],
    "ecomlab_ingest": ["check_params", "land", "load_ods_arguments", "load_ods", "publish_ods"],
    "ecomlab_clean": ["resolve_scopes", "clean_arguments", "clean", "publish_dwd"],
    "ecomlab_indicators": ["resolve_scopes", "indicator_arguments", "indicators", "publish_ads_indicators"],
    "ecomlab_mining": ["resolve_scopes", "mining_arguments", "mine", "publish_ads_mining"],
    "ecomlab_dashboards": ["resolve_scopes", "export_dashboards", "check_ads", "finish"],
}
PIPELINE = "ecomlab_pipeline"


def test_every_dag_file_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert sorted(dagbag.dag_ids) == sorted([*STAGES, PIPELINE])
    ours = {path: warnings for path, warnings in dagbag.captured_warnings.items() if "ecomlab" in str(warnings)}
    assert ours == {}


@pytest.mark.parametrize("dag_id", list(STAGES))
def test_each_stage_runs_its_tasks_in_order(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    order = STAGES[dag_id]
    assert sorted(dag.task_ids) == sorted(order)
    for upstream, downstream in itertools.pairwise(order):
        assert downstream in dag.get_task(upstream).get_direct_relative_ids(upstream=False), (upstream, downstream)


def test_stages_chain_through_assets(dagbag):
    def outlets(dag_id):
        return {a.name for t in dagbag.dags[dag_id].tasks for a in t.outlets}

    def inlets(dag_id):
        condition = dagbag.dags[dag_id].timetable.asset_condition
        return {a.name for a in getattr(condition, "objects", [condition])}

    assert outlets("ecomlab_ingest") == outlets("ecomlab_collect") == {"ecomlab_ods"}
    assert inlets("ecomlab_clean") == {"ecomlab_ods"}
    assert outlets("ecomlab_clean") == {"ecomlab_dwd"}
    assert inlets("ecomlab_indicators") == inlets("ecomlab_mining") == {"ecomlab_dwd"}
    assert outlets("ecomlab_indicators") == {"ecomlab_ads_indicators"}
    assert outlets("ecomlab_mining") == {"ecomlab_ads_mining"}
    assert inlets("ecomlab_dashboards") == {"ecomlab_ads_indicators", "ecomlab_ads_mining"}
    # Either of them: a stage run by hand updates one asset alone (see the chain test below).
    assert type(dagbag.dags["ecomlab_dashboards"].timetable.asset_condition).__name__ == "AssetAny"
    assert outlets("ecomlab_dashboards") == {"ecomlab_dashboards"}
    for dag_id in ("ecomlab_ingest", "ecomlab_collect", PIPELINE):
        assert dagbag.dags[dag_id].timetable.__class__.__name__ == "NullTimetable", dag_id


def test_the_pipeline_triggers_ingest_and_collect_and_waits_for_the_chain(dagbag):
    dag = dagbag.dags[PIPELINE]
    ingest, collect = dag.get_task("trigger_ingest"), dag.get_task("trigger_collect")
    assert (ingest.trigger_dag_id, collect.trigger_dag_id) == ("ecomlab_ingest", "ecomlab_collect")
    assert ingest.wait_for_completion and collect.wait_for_completion
    # Waiting must not hold a worker slot: the triggers defer and the final wait reschedules.
    assert ingest.deferrable and collect.deferrable
    assert "trigger_collect" in dag.get_task("wants_crawl").downstream_task_ids
    wait = dag.get_task("chain_done")
    assert {"trigger_ingest", "trigger_collect"} <= wait.upstream_task_ids
    assert wait.trigger_rule == "none_failed"
    assert wait.mode == "reschedule"


def test_spark_work_goes_through_spark_submit(dagbag):
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

    jobs = {}
    for dag_id in STAGES:
        for t in dagbag.dags[dag_id].tasks:
            operator = getattr(t, "operator_class", type(t))
            if operator is SparkSubmitOperator:
                kwargs = getattr(t, "partial_kwargs", None) or {}
                application = kwargs.get("application") or getattr(t, "application", None)
                jobs[(dag_id, t.task_id)] = application
    assert {k: v.rsplit("/", 1)[-1] for k, v in jobs.items()} == {
        ("ecomlab_collect", "load_ods"): "load_ods.py",
        ("ecomlab_ingest", "load_ods"): "load_ods.py",
        ("ecomlab_clean", "clean"): "clean.py",
        ("ecomlab_indicators", "indicators"): "indicators.py",
        ("ecomlab_mining", "mine"): "mine.py",
    }
    assert all(v.startswith(str(REPO_ROOT / "jobs")) for v in jobs.values())


def test_every_task_is_retried_and_every_dag_tagged(dagbag):
    for dag in dagbag.dags.values():
        assert "ecomlab" in dag.tags and len(dag.tags) >= 2, dag.dag_id
        assert dag.max_active_runs == 1 and not dag.catchup
        for t in dag.tasks:
            if t.task_id.startswith("trigger_"):
                # The triggered DAG retries its own tasks; a retry here would start a second run.
                assert t.retries == 0
            else:
                assert t.retries >= 1, (dag.dag_id, t.task_id)


def test_params_are_checked_against_their_schema(dagbag):
    from airflow.sdk.definitions.param import ParamValidationError

    params = copy.deepcopy(dagbag.dags["ecomlab_ingest"].params)
    params["events"] = 20_000
    params["start"] = "2026-11-01"
    assert params.validate()["events"] == 20_000
    for name, bad in [("events", 5), ("source", "amazon"), ("events", "many"), ("crawl_items", -3)]:
        with pytest.raises(ParamValidationError, match=f"Invalid input for param {name}"):
            params[name] = bad


def test_the_check_task_fails_for_good_on_bad_params(dagbag):
    from airflow.sdk.exceptions import AirflowFailException

    check = dagbag.dags["ecomlab_ingest"].get_task("check_params")
    with pytest.raises(AirflowFailException, match="end: 2026-11-01 is before start 2026-11-03"):
        check.python_callable(params={"start": "2026-11-03", "end": "2026-11-01", "chain": None}, run_id="r1")
    checked = check.python_callable(params={"events": 10_000, "chain": "master-1"}, run_id="r1")
    assert checked["chain"] == "master-1" and checked["source"] == "shop"


def test_a_stage_run_by_hand_takes_its_scope_from_params(dagbag):
    from airflow.sdk.exceptions import AirflowFailException

    resolve = dagbag.dags["ecomlab_clean"].get_task("resolve_scopes")
    [scope] = resolve.python_callable(
        params={"dataset": "taobao", "start": "2017-12-03", "end": None, "tables": [], "chain": None},
        run_id="manual-1",
        triggering_asset_events={},
    )
    assert scope["tables"] == ["taobao_user_behavior"] and scope["chain"] == "manual-1"
    with pytest.raises(AirflowFailException, match="are not ODS tables of shop"):
        resolve.python_callable(
            params={"dataset": "shop", "start": "2026-11-01", "tables": ["nope"], "chain": None},
            run_id="manual-1",
            triggering_asset_events={},
        )


def test_dag_files_pass_rufs_airflow_rules():
    ruff = REPO_ROOT / ".venv" / "bin" / "ruff"
    done = subprocess.run(
        [str(ruff), "check", "--select", "AIR", "--output-format", "concise", str(DAGS_DIR)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_importing_a_dag_file_loads_no_heavy_module(tmp_path, airflow_variables):
    """DAG files are parsed again and again: Spark, pandas, the simulator and crawlers load in tasks only."""
    probe = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('probe', {str(DAGS_DIR / 'ecomlab_pipeline.py')!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "heavy = ['pyspark', 'pandas', 'dask', 'distributed', 'ecomlab.sources.simulator', 'ecomlab.collection',"
        " 'ecomlab.cleaning', 'kazoo']\n"
        "print(json.dumps(sorted(m for m in heavy if m in sys.modules)))\n"
    )
    env = dict(airflow_variables(tmp_path), ECOMLAB_HOME=str(tmp_path), PATH="/usr/bin:/bin")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_a_stage_started_by_its_asset_takes_the_scopes_of_the_events(dagbag):
    """The events are plain objects with `extra` here (what the scheduler hands a task, minus the DB)."""
    from types import SimpleNamespace

    from airflow.sdk.exceptions import AirflowFailException

    from ecomlab.orchestration.scope import Scope, scopes_extra

    shop = Scope("shop", ["2026-11-01"], "master-1", tables=["shop_events"], plan="runs/p.json")
    crawl = Scope("crawl", ["2026-11-01"], "master-1", tables=["crawl_products"], plan="runs/q.json")
    events = {
        "ecomlab_ods": [SimpleNamespace(extra=scopes_extra([shop])), SimpleNamespace(extra=scopes_extra([crawl]))]
    }
    resolve = dagbag.dags["ecomlab_clean"].get_task("resolve_scopes")
    scopes = resolve.python_callable(params={"dataset": "cdnow"}, run_id="asset-run", triggering_asset_events=events)
    assert [Scope.from_dict(s) for s in scopes] == [shop, crawl]
    with pytest.raises(AirflowFailException, match="carry no scope"):
        resolve.python_callable(
            params={}, run_id="asset-run", triggering_asset_events={"ecomlab_ods": [SimpleNamespace(extra={})]}
        )


def test_a_stage_with_nothing_to_compute_still_hands_its_scopes_on(dagbag):
    for dag_id in ("ecomlab_clean", "ecomlab_indicators", "ecomlab_mining"):
        [publisher] = [t for t in dagbag.dags[dag_id].tasks if t.outlets]
        assert publisher.trigger_rule == "none_failed", dag_id
    for dag_id in ("ecomlab_ingest", "ecomlab_collect"):
        assert dagbag.dags[dag_id].get_task("publish_ods").trigger_rule == "all_success", dag_id


def test_a_file_of_the_wrong_kind_fails_the_landing_for_good(dagbag, tmp_path):
    from airflow.sdk.exceptions import AirflowFailException

    bad = tmp_path / "user_behavior.csv"
    bad.write_text("this is not,a taobao file\nat all\n")
    land = dagbag.dags["ecomlab_ingest"].get_task("land")
    checked = {"source": "taobao", "input": str(bad), "start": None, "end": None, "events": 100_000}
    with pytest.raises(AirflowFailException, match=r"user_behavior\.csv"):
        land.python_callable(dict(checked, seed=1, crawl_items=0, chain="c1"))


def test_nothing_to_crawl_skips_the_collection(dagbag):
    from airflow.sdk.exceptions import AirflowSkipException

    crawl = dagbag.dags["ecomlab_collect"].get_task("crawl")
    with pytest.raises(AirflowSkipException, match="crawl_items is 0"):
        crawl.python_callable({"crawl_items": 0, "chain": "c1"})


def test_the_hiveserver2_check_is_skipped_without_an_endpoint(dagbag):
    from airflow.sdk.exceptions import AirflowSkipException

    check = dagbag.dags["ecomlab_dashboards"].get_task("check_ads")
    with pytest.raises(AirflowSkipException, match="embedded profile has no HiveServer2"):
        check.python_callable()


def test_every_task_reports_a_failure_for_good_to_its_chain(dagbag):
    from ecomlab.orchestration.dagkit import record_chain_failure

    for dag in dagbag.dags.values():
        for t in dag.tasks:
            callbacks = t.on_failure_callback
            callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
            assert record_chain_failure in callbacks, (dag.dag_id, t.task_id)


def test_a_failed_stage_fails_the_waiting_pipeline_at_once(dagbag, settings):
    """The task instance is a plain object with the two things the callback reads (what Airflow
    hands a failure callback, minus the DB); the end-to-end test sees a real one fail."""
    from types import SimpleNamespace

    from airflow.sdk.exceptions import AirflowFailException

    from ecomlab.orchestration.dagkit import record_chain_failure
    from ecomlab.orchestration.scope import Scope
    from ecomlab.orchestration.stages import mark_done

    shop = Scope("shop", ["2026-11-01"], "master-fails", tables=["shop_events"], plan="runs/p.json")
    wait = dagbag.dags[PIPELINE].get_task("chain_done")
    checked = {"chain": "master-fails", "source": "shop"}
    assert wait.python_callable(checked, ["shop"]) is False

    ti = SimpleNamespace(
        dag_id="ecomlab_mining",
        task_id="mine",
        map_index=0,
        xcom_pull=lambda task_ids: [shop.to_dict()] if task_ids == "resolve_scopes" else None,
    )
    record_chain_failure({"ti": ti, "exception": RuntimeError("spark-submit exited 1:\n  no space left")})
    with pytest.raises(AirflowFailException, match=r"shop: ecomlab_mining\.mine\[0\] failed at .*: .* no space left"):
        wait.python_callable(checked, ["shop"])

    # Cleared and run again to the end: the chain is done and the failure forgotten.
    mark_done(settings, shop)
    assert wait.python_callable(checked, ["shop"]) is True
    # A stage that failed before its scopes were known has nothing to report.
    record_chain_failure({"ti": SimpleNamespace(task_id="resolve_scopes", xcom_pull=None), "exception": None})


def test_a_chain_is_done_once_both_ads_stages_reached_the_dashboards(dagbag, settings):
    """Indicators run by hand publish their asset alone; the dashboards then run for that chain
    without marking it done, and a pipeline's chain is done only after both of its stages."""
    from types import SimpleNamespace

    from ecomlab.orchestration.dagkit import ADS_INDICATORS, ADS_MINING, DASHBOARDS
    from ecomlab.orchestration.scope import Scope

    def publish(dag_id, task_id, asset, scope):
        task = dagbag.dags[dag_id].get_task(task_id)
        task.python_callable([scope.to_dict()], outlet_events={asset: SimpleNamespace(extra=None)})

    def finish(scope):
        task = dagbag.dags["ecomlab_dashboards"].get_task("finish")
        return task.python_callable([scope.to_dict()], outlet_events={DASHBOARDS: SimpleNamespace(extra=None)})

    wait = dagbag.dags[PIPELINE].get_task("chain_done")
    by_hand = Scope("shop", ["2026-11-05"], "manual-indicators", tables=["shop_events"])
    pipeline = Scope("shop", ["2026-11-05"], "master-both", tables=["shop_events"])

    publish("ecomlab_indicators", "publish_ads_indicators", ADS_INDICATORS, by_hand)
    assert finish(by_hand) == []
    publish("ecomlab_mining", "publish_ads_mining", ADS_MINING, pipeline)
    assert finish(pipeline) == []
    assert wait.python_callable({"chain": "master-both"}, ["shop"]) is False
    publish("ecomlab_indicators", "publish_ads_indicators", ADS_INDICATORS, pipeline)
    [marker] = finish(pipeline)
    assert marker.endswith("chains/master-both/shop.done.json")
    assert wait.python_callable({"chain": "master-both"}, ["shop"]) is True
    assert wait.python_callable({"chain": "manual-indicators"}, ["shop"]) is False
