"""Airflow's side of the DAGs: assets, params, default arguments and the tasks of each stage.

The DAG files in `dags/` call the `*_tasks()` builders inside a `DAG` block; every task
here is a thin call into the rest of `ecomlab.orchestration`. Stages hand their scopes
(data set, days, lake paths) to the next one through the extra of the asset they update:

    collect --+
              +--> ODS --> clean --> DWD --+--> indicators --> ADS_INDICATORS --+--> dashboards --> DASHBOARDS
    ingest ---+                            +--> mining -----> ADS_MINING ------+

The dashboards run after either ADS asset; a chain is done (the master pipeline's wait ends)
once both of its ADS stages have published and the dashboards have been exported after them.
"""

from __future__ import annotations

import logging
import subprocess
from datetime import timedelta
from typing import Any

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import Asset, Param, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from ecomlab.orchestration import params as P
from ecomlab.orchestration import submit
from ecomlab.orchestration.scope import Scope, scopes_extra, scopes_from_extras
from ecomlab.settings import ConfigError, Settings, get_settings

ODS = Asset(name="ecomlab_ods", uri="ecomlab://warehouse/ods")
DWD = Asset(name="ecomlab_dwd", uri="ecomlab://warehouse/dwd")
ADS_INDICATORS = Asset(name="ecomlab_ads_indicators", uri="ecomlab://warehouse/ads/indicators")
ADS_MINING = Asset(name="ecomlab_ads_mining", uri="ecomlab://warehouse/ads/mining")
DASHBOARDS = Asset(name="ecomlab_dashboards", uri="ecomlab://dashboards")

TAGS = ["ecomlab"]
log = logging.getLogger(__name__)


def record_chain_failure(context) -> None:
    """Every task's failure callback (after its last try): a stage that failed for good tells the
    master pipeline waiting on its chain, so that the pipeline fails now instead of at its timeout."""
    from ecomlab.orchestration.stages import mark_failed

    ti = context["ti"]
    # Only the stages that take their scopes from upstream assets have resolve_scopes; ingest and
    # collect are watched by the master pipeline's trigger tasks directly.
    if ti.task_id == "resolve_scopes" or not (scopes := ti.xcom_pull(task_ids="resolve_scopes")):
        return
    where = f"{ti.dag_id}.{ti.task_id}" + (f"[{ti.map_index}]" if ti.map_index >= 0 else "")
    error = " ".join(str(context.get("exception") or "no error recorded").split())[:2000]
    for scope in scopes:
        path = mark_failed(settings(), Scope.from_dict(scope), where, error)
        log.info("recorded the failure of %s for chain %s: %s", where, scope["chain"], path)


DEFAULT_ARGS: dict[str, Any] = {
    "owner": "ecomlab",
    "retries": 2,
    "retry_delay": timedelta(seconds=20),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=5),
    "execution_timeout": timedelta(hours=2),
    "on_failure_callback": record_chain_failure,
}


def settings() -> Settings:
    """The profile's settings (read once per process; a wrong setting fails naming its key)."""
    return get_settings()


def _chain_param() -> Param:
    return Param(None, type=["null", "string"], description="Set by the master pipeline: the run that started it.")


def run_params(crawl_items: int = 0) -> dict[str, Param]:
    """Params of a run that brings in new data (ingest, collect, the master pipeline)."""
    return {
        "source": Param("shop", type="string", enum=list(P.SOURCES), description="shop (simulated) or a public file"),
        "start": Param(None, type=["null", "string"], format="date", description="first day (YYYY-MM-DD)"),
        "end": Param(None, type=["null", "string"], format="date", description="last day (YYYY-MM-DD)"),
        "events": Param(
            100_000,
            type="integer",
            minimum=P.MIN_EVENTS,
            maximum=P.MAX_EVENTS,
            description="simulator scale: clickstream events",
        ),
        "seed": Param(20261101, type="integer", description="simulator seed"),
        "input": Param(None, type=["null", "string"], description="path or URI of the taobao, cdnow or basket file"),
        "crawl_items": Param(
            crawl_items,
            type="integer",
            minimum=0,
            maximum=P.MAX_CRAWL_ITEMS,
            description="product pages per demo site to crawl (0: no crawl)",
        ),
        "chain": _chain_param(),
    }


def stage_params() -> dict[str, Param]:
    """Params of a stage DAG run by hand instead of by its upstream asset."""
    return {
        "dataset": Param("shop", type="string", enum=list(P.DATASETS)),
        "start": Param(P.DEFAULT_START.isoformat(), type="string", format="date", description="first day"),
        "end": Param(None, type=["null", "string"], format="date", description="last day (default: start)"),
        "tables": Param([], type="array", items={"type": "string"}, description="ODS tables (default: all)"),
        "chain": _chain_param(),
    }


def _checked(check, params: dict[str, Any]):
    try:
        return check({k: v for k, v in params.items() if k != "chain"})
    except P.ParamsError as exc:
        # Wrong parameters do not get better on a retry.
        raise AirflowFailException(str(exc)) from None


def _chain(params: dict[str, Any], run_id: str) -> str:
    return params.get("chain") or run_id


def spark_task(task_id: str, job: str, **kwargs) -> SparkSubmitOperator:
    return SparkSubmitOperator(task_id=task_id, **submit.submit_options(settings(), job), **kwargs)


def mapped_spark_task(task_id: str, job: str, args) -> Any:
    """One spark-submit per argument list (per data set, or per day)."""
    return SparkSubmitOperator.partial(task_id=task_id, **submit.submit_options(settings(), job)).expand(
        application_args=args
    )


# Tasks shared by the stages ---------------------------------------------------------------


@task
def resolve_scopes(params=None, run_id=None, triggering_asset_events=None) -> list[dict]:
    """The scopes to work on: from the upstream asset's events, or from the params when run by hand."""
    events = [event for events in (triggering_asset_events or {}).values() for event in events]
    if events:
        scopes = scopes_from_extras(event.extra for event in events)
        if not scopes:
            raise AirflowFailException("the triggering asset events carry no scope (were they sent by an ecomlab DAG?)")
    else:
        from ecomlab.orchestration.stages import scope_from_params

        stage = _checked(P.validate_stage_params, params)
        try:
            scopes = [scope_from_params(stage, _chain(params, run_id))]
        except (KeyError, ValueError) as exc:
            raise AirflowFailException(f"invalid run parameters: {exc}") from None
    return [scope.to_dict() for scope in scopes]


def publish(task_id: str, asset: Asset, trigger_rule: str = "all_success"):
    """A task that records the scopes on the asset's event, which starts the next stages."""

    @task(task_id=task_id, outlets=[asset], trigger_rule=trigger_rule)
    def _publish(scopes: list[dict] | dict, outlet_events=None) -> list[dict]:
        from ecomlab.orchestration.stages import mark_stage

        scopes = [scopes] if isinstance(scopes, dict) else scopes
        outlet_events[asset].extra = scopes_extra(Scope.from_dict(s) for s in scopes)
        # The dashboards stage reads these to know when both of a chain's ADS stages are in.
        for scope in scopes:
            mark_stage(settings(), Scope.from_dict(scope), asset.name)
        return scopes

    return _publish


# Ingest and collect ----------------------------------------------------------------------


@task
def check_params(params=None, run_id=None) -> dict:
    """Check the run's params; the checked values, with the chain they belong to."""
    checked = _checked(P.validate_params, params)
    return dict(checked.model_dump(mode="json"), chain=_chain(params, run_id))


@task
def land(checked: dict) -> dict:
    """Simulate or check the input and land it in the raw zone; the scope to load."""
    from ecomlab.orchestration.stages import land_source

    chain = checked.pop("chain")
    try:
        return land_source(settings(), P.RunParams(**checked), chain).to_dict()
    except (ConfigError, ValueError, FileNotFoundError) as exc:
        # A file of the wrong kind or a missing input is not fixed by retrying.
        raise AirflowFailException(str(exc)) from None


@task
def crawl(checked: dict) -> dict:
    """Crawl the demo shop and a competitor and land their records; the scope to load."""
    from ecomlab.orchestration.stages import collect_demo_shop

    if not checked["crawl_items"]:
        raise AirflowSkipException("crawl_items is 0: nothing to crawl")
    scope = collect_demo_shop(settings(), checked["crawl_items"], checked["chain"])
    if scope is None:
        raise AirflowFailException("the crawl landed no record (see the crawl report in the lake)")
    return scope.to_dict()


@task
def load_ods_arguments(scope: dict) -> list[str]:
    return submit.load_ods_args(Scope.from_dict(scope))


def ingest_tasks():
    """check params -> land -> load ODS (Spark) -> publish ODS."""
    landed = land(check_params())
    loaded = spark_task("load_ods", "load_ods", application_args=load_ods_arguments(landed))
    loaded >> publish("publish_ods", ODS)(landed)


def collect_tasks():
    """check params -> crawl -> load ODS (Spark) -> publish ODS."""
    crawled = crawl(check_params())
    loaded = spark_task("load_ods", "load_ods", application_args=load_ods_arguments(crawled))
    loaded >> publish("publish_ods", ODS)(crawled)


# Clean, indicators, mining ------------------------------------------------------------------


@task
def clean_arguments(scopes: list[dict]) -> list[list[str]]:
    return [submit.clean_args(Scope.from_dict(s)) for s in scopes]


@task
def indicator_arguments(scopes: list[dict]) -> list[list[str]]:
    """One run per data set that has indicators (none left: the job is skipped, the asset still updated)."""
    return [args for s in scopes if (args := submit.indicator_args(Scope.from_dict(s)))]


@task
def mining_arguments(scopes: list[dict]) -> list[list[str]]:
    return [args for s in scopes if (args := submit.mining_args(Scope.from_dict(s)))]


def spark_stage_tasks(job: str, arguments, asset: Asset):
    """resolve scopes -> one spark-submit of the job per argument list -> publish the asset."""
    scopes = resolve_scopes()
    ran = mapped_spark_task(job, job, arguments(scopes))
    # none_failed: a stage with nothing to compute for these data sets (no mapped run) still hands them on.
    ran >> publish(f"publish_{asset.name.removeprefix('ecomlab_')}", asset, "none_failed")(scopes)


def clean_tasks():
    spark_stage_tasks("clean", clean_arguments, DWD)


def indicators_tasks():
    spark_stage_tasks("indicators", indicator_arguments, ADS_INDICATORS)


def mining_tasks():
    spark_stage_tasks("mine", mining_arguments, ADS_MINING)


# Dashboards ----------------------------------------------------------------------------------


@task
def export_dashboards(scopes: list[dict]) -> str:
    """Export the dashboards of every data set in the mart with the CLI; fails with the command's own message."""
    command = submit.dashboard_command(settings())
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        datasets = ", ".join(sorted({s["dataset"] for s in scopes}))
        raise RuntimeError(f"dashboard export (after {datasets}) exited {done.returncode}:\n{tail}")
    return command[-1]


@task
def check_ads() -> list[str]:
    """The ADS tables are readable through HiveServer2 (pyhive), as the dashboards read them."""
    from ecomlab.orchestration.checks import check_ads_tables, has_hiveserver2

    if not has_hiveserver2(settings()):
        raise AirflowSkipException("the embedded profile has no HiveServer2 endpoint to check through")
    return check_ads_tables(settings())


# The stages whose results the dashboards show: a chain is done once both are in and exported.
DASHBOARD_INPUTS = [ADS_INDICATORS, ADS_MINING]


@task(outlets=[DASHBOARDS], trigger_rule="none_failed")
def finish(scopes: list[dict], outlet_events=None) -> list[str]:
    """Mark each data set's chain done once its indicators and mining have both been exported
    (the master pipeline waits for these markers); returns the markers written."""
    from ecomlab.orchestration.stages import mark_done, stages_missing

    outlet_events[DASHBOARDS].extra = scopes_extra(Scope.from_dict(s) for s in scopes)
    done = []
    for scope in map(Scope.from_dict, scopes):
        missing = stages_missing(settings(), scope, [asset.name for asset in DASHBOARD_INPUTS])
        if missing:
            log.info("chain %s of %s waits for %s before it is done", scope.chain, scope.dataset, missing)
        else:
            done.append(mark_done(settings(), scope))
    return done


def dashboards_tasks():
    """resolve scopes -> export dashboards -> SQL check through HiveServer2 -> mark the chain done."""
    scopes = resolve_scopes()
    export_dashboards(scopes) >> check_ads() >> finish(scopes)


# The master pipeline ---------------------------------------------------------------------


@task.short_circuit(ignore_downstream_trigger_rules=False)
def wants_crawl(checked: dict) -> bool:
    return checked["crawl_items"] > 0


@task
def datasets_of(checked: dict) -> list[str]:
    """The data sets whose chains this run waits for: the ingested one (a crawl's chain runs alongside)."""
    return [checked["source"]]


@task.sensor(poke_interval=20, timeout=int(timedelta(hours=3).total_seconds()), mode="reschedule")
def chain_done(checked: dict, datasets: list[str]) -> bool:
    """Every data set started by this run has gone through the dashboards stage; fails as soon as a stage failed."""
    from ecomlab.orchestration.stages import ChainFailed, chain_finished

    try:
        return chain_finished(settings(), checked["chain"], datasets)
    except ChainFailed as exc:
        raise AirflowFailException(f"chain {checked['chain']} stopped: {exc}") from None


def pipeline_tasks(ingest_dag_id: str, collect_dag_id: str):
    """check params -> trigger ingest (and collect) -> wait until the chain of assets reaches the dashboards.

    The triggers wait in the triggerer (deferrable) and the final wait reschedules, so that a
    run that waits holds no worker slot: the local profile has only a couple of them.
    """
    from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

    checked = check_params()
    ingest = TriggerDagRunOperator(
        task_id="trigger_ingest",
        trigger_dag_id=ingest_dag_id,
        conf=checked,
        wait_for_completion=True,
        poke_interval=10,
        failed_states=["failed"],
        deferrable=True,
        retries=0,
    )
    collect = TriggerDagRunOperator(
        task_id="trigger_collect",
        trigger_dag_id=collect_dag_id,
        conf=checked,
        wait_for_completion=True,
        poke_interval=10,
        failed_states=["failed"],
        deferrable=True,
        retries=0,
    )
    wait = chain_done.override(trigger_rule="none_failed")(checked, datasets_of(checked))
    checked >> ingest >> wait
    wants_crawl(checked) >> collect >> wait
